//! A [`Store`] in memory: nothing survives the process. For unit tests of plugins and of the
//! API itself; the bot runs on the runtime's SQLite or PostgreSQL engine.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{Store, StoreError};

/// Scope, then key, to value; a `BTreeMap` keeps keys in byte order as [`Store::list`] wants.
#[derive(Debug, Default)]
pub struct MemoryStore {
    scopes: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, BTreeMap<String, String>>) -> T) -> T {
        f(&mut self.scopes.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.with(|s| s.get(scope).and_then(|keys| keys.get(key).cloned())))
    }

    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StoreError> {
        self.with(|s| {
            s.entry(scope.to_string())
                .or_default()
                .insert(key.to_string(), value.to_string())
        });
        Ok(())
    }

    async fn delete(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.get_mut(scope)
                .is_some_and(|keys| keys.remove(key).is_some())
        }))
    }

    async fn list(&self, scope: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self.with(|s| {
            s.get(scope)
                .map(|keys| keys.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        }))
    }

    async fn scopes(&self, prefix: &str) -> Result<Vec<(String, usize)>, StoreError> {
        Ok(self.with(|s| {
            s.iter()
                .filter(|(scope, keys)| scope.starts_with(prefix) && !keys.is_empty())
                .map(|(scope, keys)| (scope.clone(), keys.len()))
                .collect()
        }))
    }

    async fn move_rows(
        &self,
        from: &str,
        to: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|s| {
            let Some(source) = s.get(from) else {
                return Vec::new();
            };
            let wanted: Vec<String> = match keys {
                Some(keys) => keys
                    .iter()
                    .filter(|k| source.contains_key(*k))
                    .cloned()
                    .collect(),
                None => source.keys().cloned().collect(),
            };
            let taken = |k: &String| from == to || s.get(to).is_some_and(|t| t.contains_key(k));
            let mut moved: Vec<String> = wanted.into_iter().filter(|k| !taken(k)).collect();
            moved.sort();
            moved.dedup();
            for key in &moved {
                let value = s.get_mut(from).and_then(|keys| keys.remove(key));
                if let Some(value) = value {
                    s.entry(to.to_string())
                        .or_default()
                        .insert(key.clone(), value);
                }
            }
            moved
        }))
    }
}
