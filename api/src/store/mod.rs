//! Persistence: a key-value [`Store`] partitioned into scopes (one per plugin or feature), with
//! SQLite as the embedded default. Anything that must survive a restart lives here.
//!
//! The trait carries no backend types: the runtime's SQLite and PostgreSQL engines implement it
//! and run one behaviour suite, and [`MemoryStore`] serves unit tests. Plugins with tables of
//! their own (the check-in receiver) open them through [`postgres`] and [`sqlite_checkpoint`].

mod memory;
pub mod postgres;
pub mod sqlite_checkpoint;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use memory::MemoryStore;

/// A boxed error from a storage engine (the driver's, or a sentence).
pub type EngineError = Box<dyn std::error::Error + Send + Sync>;

/// Why the store could not be opened, or an operation on it failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite file could not be opened.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The folder for the SQLite file could not be created.
    #[error("cannot create the folder {path} for the store: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The file system's error.
        source: std::io::Error,
    },
    /// A schema migration failed; the store is left at the version before it.
    #[error("cannot migrate the store at {path} to schema version {version}: {source}")]
    Migration {
        /// The file or database.
        path: PathBuf,
        /// The version it was migrating to.
        version: u32,
        /// The engine's error.
        source: EngineError,
    },
    /// The store was written by a newer build; it is not touched.
    #[error(
        "the store at {path} has schema version {found}, newer than the {known} this build knows; \
         refusing to touch it (was it written by a newer switchboard?)"
    )]
    TooNew {
        /// The file or database.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// The database server could not be reached or refused the login.
    #[error("cannot connect to {target}: {source}")]
    Connect {
        /// `postgres://host:port/db`, without credentials.
        target: String,
        /// Why.
        source: EngineError,
    },
    /// An operation failed.
    #[error("storage error: {what}: {source}")]
    Backend {
        /// What was being done, e.g. `reading a key in scope "ignore"`.
        what: String,
        /// The engine's error.
        source: EngineError,
    },
}

impl StoreError {
    /// `what` failed because of `source` (an engine's error, or a sentence).
    pub fn backend(what: impl Into<String>, source: impl Into<EngineError>) -> Self {
        StoreError::Backend {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// Key-value storage in scopes: what the runtime's engines implement and plugins use.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres"
    fn backend(&self) -> &'static str;
    /// The value under `key`, if any.
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
    /// Every scope whose name starts with `prefix` and holds at least one row, with its row
    /// count, sorted by name. For maintenance (finding the outboxes of other bot names).
    async fn scopes(&self, prefix: &str) -> Result<Vec<(String, usize)>, StoreError> {
        let _ = prefix;
        Err(StoreError::backend(
            "listing scopes",
            format!("the {} store cannot list its scopes", self.backend()),
        ))
    }
    /// Moves rows from scope `from` to scope `to`, keys and values unchanged: the `keys` given
    /// (missing ones are skipped), or every row with `None`. All in one transaction, so a row
    /// is in exactly one of the two scopes at any time; a key already in `to` stays in `from`.
    /// Returns the keys moved, sorted.
    async fn move_rows(
        &self,
        from: &str,
        to: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<String>, StoreError> {
        let _ = (to, keys);
        Err(StoreError::backend(
            format!("moving rows of scope {from:?}"),
            format!("the {} store cannot move rows", self.backend()),
        ))
    }
}

/// A [`Store`] bound to one scope: what a plugin is handed so it only sees its own keys.
#[derive(Clone)]
pub struct ScopedStore {
    store: Arc<dyn Store>,
    scope: String,
}

impl ScopedStore {
    /// `store`, seen through `scope`.
    pub fn new(store: Arc<dyn Store>, scope: impl Into<String>) -> Self {
        ScopedStore {
            store,
            scope: scope.into(),
        }
    }

    /// Its scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The value under `key`, if any.
    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.store.get(&self.scope, key).await
    }

    /// Inserts, or overwrites the value under `key`.
    pub async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.store.put(&self.scope, key, value).await
    }

    /// Inserts or overwrites several keys at once, all or none.
    pub async fn put_many(&self, entries: &[(String, String)]) -> Result<(), StoreError> {
        self.store.put_many(&self.scope, entries).await
    }

    /// Deletes `key`; true when it was there.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete(&self.scope, key).await
    }

    /// Deletes every key given, at once.
    pub async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.store.delete_many(&self.scope, keys).await
    }

    /// Every (key, value) in the scope, sorted by key.
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
