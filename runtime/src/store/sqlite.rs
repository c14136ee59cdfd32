//! The embedded default backend: one SQLite file in WAL mode.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use super::sqlite_thread::{self, Job};
use switchboard_api::store::sqlite_checkpoint::{self, Checkpointer};
use switchboard_api::store::{Store, StoreError};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema changes, in order. Append, never edit: a database records how many it has run in
/// `PRAGMA user_version`, and each one runs once, in its own transaction.
const MIGRATIONS: &[&str] = &[
    // 1: the key-value table behind `Store`. updated_at is unix seconds.
    "CREATE TABLE kv (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
    )",
    // 2: kv keeps its rows in the primary key's b-tree (WITHOUT ROWID), so a write updates one
    // b-tree instead of a table and its index: sinks write and delete a row per message.
    "CREATE TABLE kv_by_key (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    INSERT INTO kv_by_key (scope, key, value, updated_at)
        SELECT scope, key, value, updated_at FROM kv;
    DROP TABLE kv;
    ALTER TABLE kv_by_key RENAME TO kv",
];

/// Cheap to clone: clones share one connection, owned by the store's thread.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl SqliteStore {
    /// creates parent folders, opens, sets journal_mode=WAL, synchronous=NORMAL, busy_timeout 5s, runs migrations
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let created = if parent.exists() && !parent.is_dir() {
                // create_dir_all would only say "File exists".
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "it exists and is not a folder",
                ))
            } else {
                std::fs::create_dir_all(parent)
            };
            created.map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        // SQLite opens lazily: an unusable file only shows up at the first statement, here.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // New files keep SQLite's 4 KiB pages: 1 KiB pages wrote fewer WAL bytes per commit,
        // but their page splits cost a busy sink more CPU per row than the bytes saved
        // (`cargo bench --bench sink_load`: 80-96 against 73-78 µs CPU per request).
        let mode = wal_mode(&conn).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                path = %path.display(),
                journal_mode = %mode,
                "the store could not switch to WAL mode; writers will block readers"
            );
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        let checkpoints = Connection::open(path).map_err(open_err)?;
        checkpoints.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let checkpointer =
            sqlite_checkpoint::start(&conn, checkpoints, "store", sqlite_checkpoint::WAL_LIMIT)
                .map_err(|e| {
                    StoreError::backend(
                        format!("starting the checkpointer of {}", path.display()),
                        e,
                    )
                })?;
        Self::migrated(conn, path.to_path_buf(), Some(checkpointer))
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Self::migrated(conn, path, None)
    }

    fn migrated(
        mut conn: Connection,
        path: PathBuf,
        checkpointer: Option<Checkpointer>,
    ) -> Result<Self, StoreError> {
        migrate(&mut conn, &path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let jobs = sqlite_thread::start(conn, &name, checkpointer).map_err(|e| {
            StoreError::backend(
                format!("starting the store thread for {}", path.display()),
                e,
            )
        })?;
        Ok(SqliteStore { jobs, path })
    }

    fn stopped(what: &str, scope: &str) -> StoreError {
        StoreError::backend(
            format!("{what} in scope {scope:?}"),
            "the store thread stopped",
        )
    }

    /// Runs `op` on the store's thread, outside any transaction.
    async fn read<T, F>(&self, what: &'static str, scope: &str, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job = Job::Read(Box::new(move |conn| {
            let _ = answer.send(op(conn));
        }));
        self.jobs
            .send(job)
            .map_err(|_| Self::stopped(what, scope))?;
        answered
            .await
            .map_err(|_| Self::stopped(what, scope))?
            .map_err(|e| StoreError::backend(format!("{what} in scope {scope:?}"), e))
    }

    /// Runs `op` on the store's thread in a transaction (shared with the writes queued beside
    /// it); returns the rows it changed once that transaction is committed.
    async fn write<F>(&self, what: &'static str, scope: &str, op: F) -> Result<usize, StoreError>
    where
        F: Fn(&Connection) -> rusqlite::Result<usize> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job::Write(Box::new(op), answer))
            .map_err(|_| Self::stopped(what, scope))?;
        answered
            .await
            .map_err(|_| Self::stopped(what, scope))?
            .map_err(|e| StoreError::backend(format!("{what} in scope {scope:?}"), e))
    }

    #[cfg(test)]
    pub(crate) fn pragma_int(&self, name: &str) -> i64 {
        let (answer, answered) = std::sync::mpsc::channel();
        let sql = format!("PRAGMA {name}");
        let read = move |conn: &Connection| {
            let _ = answer.send(conn.query_row(&sql, [], |row| row.get(0)));
        };
        self.jobs
            .send(Job::Read(Box::new(read)))
            .expect("store thread");
        answered
            .recv()
            .expect("store thread")
            .unwrap_or_else(|e| panic!("PRAGMA {name}: {e}"))
    }
}

/// Switches to WAL. Changing the journal mode needs the file to itself and SQLite answers "busy"
/// at once rather than waiting, e.g. while another process is creating the same new file; so
/// this retries for as long as the busy timeout.
fn wal_mode(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

const UPSERT: &str = "INSERT INTO kv (scope, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
const DELETE: &str = "DELETE FROM kv WHERE scope = ?1 AND key = ?2";

pub(super) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    loop {
        let version_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        // IMMEDIATE takes the write lock before reading the version, so two processes opening
        // the same new file cannot both run the same migration.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(version_err)?;
        let found: u32 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(version_err)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let Some(sql) = MIGRATIONS.get(found as usize) else {
            return Ok(());
        };
        let version = found + 1;
        let migration_err = |e: rusqlite::Error| StoreError::Migration {
            path: path.to_path_buf(),
            version,
            source: e.into(),
        };
        tx.execute_batch(sql).map_err(migration_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migration_err)?;
        tx.commit().map_err(migration_err)?;
        tracing::debug!(path = %path.display(), version, "store migrated");
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        let (s, k) = (scope.to_owned(), key.to_owned());
        self.read("get", scope, move |conn| {
            conn.prepare_cached("SELECT value FROM kv WHERE scope = ?1 AND key = ?2")?
                .query_row(params![s, k], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StoreError> {
        let (s, k, v) = (scope.to_owned(), key.to_owned(), value.to_owned());
        self.write("put", scope, move |conn| {
            conn.prepare_cached(UPSERT)?
                .execute(params![s, k, v, unix_now()])
        })
        .await
        .map(drop)
    }

    async fn put_many(&self, scope: &str, entries: &[(String, String)]) -> Result<(), StoreError> {
        let s = scope.to_owned();
        let entries = entries.to_vec();
        self.write("put_many", scope, move |conn| {
            let mut insert = conn.prepare_cached(UPSERT)?;
            let now = unix_now();
            let mut rows = 0;
            for (k, v) in &entries {
                rows += insert.execute(params![s, k, v, now])?;
            }
            Ok(rows)
        })
        .await
        .map(drop)
    }

    async fn delete_many(&self, scope: &str, keys: &[String]) -> Result<(), StoreError> {
        let s = scope.to_owned();
        let keys = keys.to_vec();
        self.write("delete_many", scope, move |conn| {
            let mut delete = conn.prepare_cached(DELETE)?;
            let mut rows = 0;
            for key in &keys {
                rows += delete.execute(params![s, key])?;
            }
            Ok(rows)
        })
        .await
        .map(drop)
    }

    async fn delete(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        let (s, k) = (scope.to_owned(), key.to_owned());
        self.write("delete", scope, move |conn| {
            conn.prepare_cached(DELETE)?.execute(params![s, k])
        })
        .await
        .map(|rows| rows > 0)
    }

    async fn list(&self, scope: &str) -> Result<Vec<(String, String)>, StoreError> {
        let s = scope.to_owned();
        self.read("list", scope, move |conn| {
            // The default BINARY collation compares UTF-8 bytes: Rust's `String` order.
            let mut stmt =
                conn.prepare_cached("SELECT key, value FROM kv WHERE scope = ?1 ORDER BY key")?;
            let rows = stmt.query_map(params![s], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn scopes(&self, prefix: &str) -> Result<Vec<(String, usize)>, StoreError> {
        let p = prefix.to_owned();
        self.read("scopes", prefix, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT scope, COUNT(*) FROM kv WHERE substr(scope, 1, length(?1)) = ?1
                 GROUP BY scope ORDER BY scope",
            )?;
            let rows = stmt.query_map(params![p], |row| {
                let count: i64 = row.get(1)?;
                Ok((row.get(0)?, usize::try_from(count).unwrap_or(0)))
            })?;
            rows.collect()
        })
        .await
    }

    async fn move_rows(
        &self,
        from: &str,
        to: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<String>, StoreError> {
        let (f, t) = (from.to_owned(), to.to_owned());
        let keys = keys.map(<[String]>::to_vec);
        // The write runs in the store's transaction (and may run again should a neighbour in
        // its group commit fail): it records the keys it moved in `moved`, afresh each time.
        let moved = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = moved.clone();
        self.write("move_rows", from, move |conn| {
            let wanted: Vec<String> = match &keys {
                Some(keys) => keys.clone(),
                None => conn
                    .prepare_cached("SELECT key FROM kv WHERE scope = ?1")?
                    .query_map(params![f], |row| row.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
            };
            let mut update = conn.prepare_cached(
                "UPDATE kv SET scope = ?2 WHERE scope = ?1 AND key = ?3
                 AND NOT EXISTS (SELECT 1 FROM kv AS taken WHERE taken.scope = ?2 AND taken.key = ?3)",
            )?;
            let mut done = Vec::new();
            for key in wanted {
                if f != t && update.execute(params![f, t, key])? > 0 {
                    done.push(key);
                }
            }
            done.sort();
            done.dedup();
            let count = done.len();
            *record.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = done;
            Ok(count)
        })
        .await?;
        let moved = std::mem::take(
            &mut *moved
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        Ok(moved)
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}
