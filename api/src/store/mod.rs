//! Persistence: a key-value [`Store`] partitioned into scopes (one per plugin or feature), with
//! SQLite as the embedded default. Anything that must survive a restart lives here.
//!
//! The trait carries no backend types: the runtime's SQLite and PostgreSQL engines implement it
//! and run one behaviour suite, and [`MemoryStore`] serves unit tests. Plugins with tables of
//! their own (the check-in receiver) open them through [`postgres`] and [`sqlite_checkpoint`].

mod memory;
pub mod postgres;
pub mod sqlite_checkpoint;
pub mod sqlite_wal_buffer;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use memory::MemoryStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the folder {path} for the store: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot migrate the store at {path} to schema version {version}: {message}")]
    Migration {
        path: PathBuf,
        version: u32,
        message: String,
    },
    #[error(
        "the store at {path} has schema version {found}, newer than the {known} this build knows; \
         refusing to touch it (was it written by a newer switchboard?)"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },
    #[error("storage error: {0}")]
    Backend(String),
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres"
    fn backend(&self) -> &'static str;
    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// Inserts, or overwrites the value already under `key`.
    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StoreError>;
    /// Inserts or overwrites several keys at once: all or none, in one transaction where the
    /// backend has them (so a burst of writes costs one commit).
    async fn put_many(&self, scope: &str, entries: &[(String, String)]) -> Result<(), StoreError> {
        for (key, value) in entries {
            self.put(scope, key, value).await?;
        }
        Ok(())
    }
    /// true when a row was deleted
    async fn delete(&self, scope: &str, key: &str) -> Result<bool, StoreError>;
    /// Deletes every key given (missing ones are fine); backends do it in one transaction.
    async fn delete_many(&self, scope: &str, keys: &[String]) -> Result<(), StoreError> {
        for key in keys {
            self.delete(scope, key).await?;
        }
        Ok(())
    }
    /// every (key, value) in the scope, sorted by key
    ///
    /// The order is byte order of the UTF-8 key (Rust's `String` order), whatever the
    /// database's locale: a PostgreSQL backend must sort with `COLLATE "C"`.
    async fn list(&self, scope: &str) -> Result<Vec<(String, String)>, StoreError>;
}

/// A [`Store`] bound to one scope: what a plugin is handed so it only sees its own keys.
#[derive(Clone)]
pub struct ScopedStore {
    store: Arc<dyn Store>,
    scope: String,
}

impl ScopedStore {
    pub fn new(store: Arc<dyn Store>, scope: impl Into<String>) -> Self {
        ScopedStore {
            store,
            scope: scope.into(),
        }
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.store.get(&self.scope, key).await
    }

    pub async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.store.put(&self.scope, key, value).await
    }

    pub async fn put_many(&self, entries: &[(String, String)]) -> Result<(), StoreError> {
        self.store.put_many(&self.scope, entries).await
    }

    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete(&self.scope, key).await
    }

    pub async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.store.delete_many(&self.scope, keys).await
    }

    pub async fn list(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.store.list(&self.scope).await
    }
}

impl fmt::Debug for ScopedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedStore")
            .field("backend", &self.store.backend())
            .field("scope", &self.scope)
            .finish()
    }
}
