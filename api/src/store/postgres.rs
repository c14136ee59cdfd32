//! Connecting to PostgreSQL: the pool the store and plugins with their own tables (the
//! check-in receiver) share, and errors and URLs described without credentials.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::StoreError;

/// A driver error with the server's message (the driver's own text is only "db error").
pub fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

/// `host:port/dbname` of a connection URL, without user or password, for logs and errors.
pub fn describe_url(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default)");
    format!("postgres://{host}:{port}/{db}")
}

/// A connection pool on `url` (`postgres://user:password@host:port/db`); connects once to
/// fail early on a bad URL, an unreachable server or bad credentials.
pub async fn connect_pool(url: &str, size: usize) -> Result<(Pool, String), StoreError> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Connect {
        target: "the database URL".into(),
        source: format!("not a valid postgres:// URL: {e}").into(),
    })?;
    let target = describe_url(&config);
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| StoreError::Connect {
            target: target.clone(),
            source: e.into(),
        })?;
    let first = pool.get().await.map_err(|e| StoreError::Connect {
        target: target.clone(),
        source: e.into(),
    })?;
    drop(first);
    Ok((pool, target))
}
