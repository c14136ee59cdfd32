//! Users the bot never answers: from config per connector, and from `!ignore`, kept in the Store.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use crate::store::{Store, StoreError};

const SCOPE: &str = "ignore";

/// Users the bot never answers, by connector: from config, and from `!ignore` (kept in the Store).
#[derive(Clone)]
pub struct IgnoreList {
    users: Arc<RwLock<HashSet<(String, String)>>>,
    store: Arc<dyn Store>,
}

fn store_key(connector: &str, user: &str) -> String {
    format!("{connector}/{user}")
}

impl IgnoreList {
    /// Loads the users ignored through `!ignore` and adds those named in config.
    pub async fn load(
        store: Arc<dyn Store>,
        configured: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, StoreError> {
        let mut users: HashSet<(String, String)> = configured.into_iter().collect();
        for (key, _) in store.list(SCOPE).await? {
            if let Some((connector, user)) = key.split_once('/') {
                users.insert((connector.to_string(), user.to_string()));
            }
        }
        Ok(IgnoreList {
            users: Arc::new(RwLock::new(users)),
            store,
        })
    }

    /// A list with nobody on it yet.
    pub fn empty(store: Arc<dyn Store>) -> Self {
        IgnoreList {
            users: Arc::default(),
            store,
        }
    }

    /// Whether the bot ignores `user` on `connector`.
    pub fn is_ignored(&self, connector: &str, user: &str) -> bool {
        let users = self.users.read().unwrap_or_else(|p| p.into_inner());
        // Borrowed lookups need the tuple owned; most lists are empty, so check that first.
        !users.is_empty() && users.contains(&(connector.to_string(), user.to_string()))
    }

    /// Returns false when the user was already ignored.
    pub async fn ignore(&self, connector: &str, user: &str) -> Result<bool, StoreError> {
        self.store
            .put(SCOPE, &store_key(connector, user), "1")
            .await?;
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        Ok(users.insert((connector.to_string(), user.to_string())))
    }

    /// Returns false when the user was not ignored.
    pub async fn unignore(&self, connector: &str, user: &str) -> Result<bool, StoreError> {
        self.store
            .delete(SCOPE, &store_key(connector, user))
            .await?;
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        Ok(users.remove(&(connector.to_string(), user.to_string())))
    }

    /// Every ignored user on a connector, sorted.
    pub fn on(&self, connector: &str) -> Vec<String> {
        let users = self.users.read().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = users
            .iter()
            .filter(|(c, _)| c == connector)
            .map(|(_, u)| u.clone())
            .collect();
        names.sort();
        names
    }
}
