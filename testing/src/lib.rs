//! Test support for Switchboard and its plugins, for `[dev-dependencies]` only: [`TestBot`]
//! drives commands the way a chat user would, [`TestPostgres`] runs a throwaway PostgreSQL
//! server for tests of the PostgreSQL store and of plugins with their own tables.

mod test_postgres;
mod testbot;

pub use test_postgres::TestPostgres;
pub use testbot::{TestBot, TEST_CONNECTOR};
