//! The store engines behind [`Store`](switchboard_api::Store): SQLite, the embedded default
//! (one writer thread, group commits, a checkpoint thread), and PostgreSQL for several
//! instances on one database. Both pass one behaviour suite (`tests::store_contract`).

mod postgres;
mod sqlite;
mod sqlite_thread;

#[cfg(test)]
pub(crate) mod tests;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
