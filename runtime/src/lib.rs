//! Switchboard's runtime: the event bus, the registry, command dispatch, delivery, the store
//! engines, the service supervisor, and the running bot that puts them together. Plugins never
//! depend on this crate: they build on `switchboard-api`, which the runtime implements.

pub mod bot;
pub mod bus;
pub mod delivery;
pub mod dispatch;
pub mod registry;
pub mod service;
pub mod store;

pub use bot::{BotHost, BotOptions, ConfigLoader, StartupError};
pub use bus::Bus;
pub use store::{PostgresStore, SqliteStore};
