//! The shared backend: PostgreSQL, for several bot or receiver instances on one database.

use std::fmt;

use deadpool_postgres::Pool;
use switchboard_api::store::postgres::{connect_pool, pg_error};
use switchboard_api::store::{Store, StoreError};

/// Schema changes, in order; append, never edit. The count that has run is kept in
/// `switchboard_schema`, and migrations run under an advisory lock so that two instances
/// starting together do not both run one.
const MIGRATIONS: &[&str] = &[
    // 1: the key-value table behind `Store`. "C" collation: keys sort by UTF-8 bytes.
    "CREATE TABLE kv (
        scope TEXT NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (scope, key)
    )",
];

/// An arbitrary constant naming the migration lock among the database's advisory locks.
const MIGRATION_LOCK: i64 = 0x5357_4254_4348_0001;

const POOL_SIZE: usize = 16;

/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    target: String,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let (pool, target) = connect_pool(url, POOL_SIZE).await?;
        let store = PostgresStore { pool, target };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let err = |version: u32| {
            let target = self.target.clone();
            move |e: tokio_postgres::Error| StoreError::Migration {
                path: target.into(),
                version,
                source: pg_error(&e).into(),
            }
        };
        let tx = client.transaction().await.map_err(err(0))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(err(0))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS switchboard_schema (version INTEGER NOT NULL)",
        )
        .await
        .map_err(err(0))?;
        let found: Option<i32> = tx
            .query_opt("SELECT version FROM switchboard_schema", &[])
            .await
            .map_err(err(0))?
            .map(|row| row.get(0));
        let found = found.unwrap_or(0).max(0) as u32;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::TooNew {
                path: self.target.clone().into(),
                found,
                known,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = index as u32 + 1;
            tx.batch_execute(sql).await.map_err(err(version))?;
        }
        tx.execute("DELETE FROM switchboard_schema", &[])
            .await
            .map_err(err(known))?;
        tx.execute(
            "INSERT INTO switchboard_schema (version) VALUES ($1)",
            &[&(known as i32)],
        )
        .await
        .map_err(err(known))?;
        tx.commit().await.map_err(err(known))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::backend(self.target.clone(), e))
    }
}

fn backend_err(what: &'static str, scope: &str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    let scope = scope.to_owned();
    move |e| StoreError::backend(format!("{what} in scope {scope:?}"), pg_error(&e))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT value FROM kv WHERE scope = $1 AND key = $2")
            .await
            .map_err(backend_err("get", scope))?;
        let row = client
            .query_opt(&stmt, &[&scope, &key])
            .await
            .map_err(backend_err("get", scope))?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO kv (scope, key, value, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (scope, key)
                 DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .await
            .map_err(backend_err("put", scope))?;
        client
            .execute(&stmt, &[&scope, &key, &value, &unix_now()])
            .await
            .map_err(backend_err("put", scope))?;
        Ok(())
    }

    /// All in one transaction: one commit for the lot.
    async fn put_many(&self, scope: &str, entries: &[(String, String)]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let err = backend_err("put_many", scope);
        let tx = client.transaction().await.map_err(&err)?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO kv (scope, key, value, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (scope, key)
                 DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .await
            .map_err(&err)?;
        let now = unix_now();
        for (key, value) in entries {
            tx.execute(&stmt, &[&scope, key, value, &now])
                .await
                .map_err(&err)?;
        }
        tx.commit().await.map_err(&err)
    }

    async fn delete_many(&self, scope: &str, keys: &[String]) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM kv WHERE scope = $1 AND key = ANY($2)")
            .await
            .map_err(backend_err("delete_many", scope))?;
        client
            .execute(&stmt, &[&scope, &keys])
            .await
            .map_err(backend_err("delete_many", scope))?;
        Ok(())
    }

    async fn delete(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM kv WHERE scope = $1 AND key = $2")
            .await
            .map_err(backend_err("delete", scope))?;
        let rows = client
            .execute(&stmt, &[&scope, &key])
            .await
            .map_err(backend_err("delete", scope))?;
        Ok(rows > 0)
    }

    async fn list(&self, scope: &str) -> Result<Vec<(String, String)>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT key, value FROM kv WHERE scope = $1 ORDER BY key COLLATE \"C\"")
            .await
            .map_err(backend_err("list", scope))?;
        let rows = client
            .query(&stmt, &[&scope])
            .await
            .map_err(backend_err("list", scope))?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn scopes(&self, prefix: &str) -> Result<Vec<(String, usize)>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT scope, COUNT(*) FROM kv WHERE left(scope, length($1)) = $1
                 GROUP BY scope ORDER BY scope COLLATE \"C\"",
            )
            .await
            .map_err(backend_err("scopes", prefix))?;
        let rows = client
            .query(&stmt, &[&prefix])
            .await
            .map_err(backend_err("scopes", prefix))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let count: i64 = r.get(1);
                (r.get(0), usize::try_from(count).unwrap_or(0))
            })
            .collect())
    }

    /// One UPDATE: atomic, and a row another instance moves or deletes meanwhile is moved at
    /// most once.
    async fn move_rows(
        &self,
        from: &str,
        to: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<String>, StoreError> {
        if from == to {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let err = backend_err("move_rows", from);
        let stmt = client
            .prepare_cached(
                "UPDATE kv SET scope = $2
                 WHERE scope = $1 AND ($3::text[] IS NULL OR key = ANY($3))
                 AND NOT EXISTS (SELECT 1 FROM kv AS taken WHERE taken.scope = $2 AND taken.key = kv.key)
                 RETURNING key",
            )
            .await
            .map_err(&err)?;
        let keys: Option<Vec<String>> = keys.map(<[String]>::to_vec);
        let rows = client
            .query(&stmt, &[&from, &to, &keys])
            .await
            .map_err(&err)?;
        let mut moved: Vec<String> = rows.into_iter().map(|r| r.get(0)).collect();
        moved.sort();
        Ok(moved)
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}
