//! Switchboard's core: the event bus, the plugin traits, the registry, command dispatch,
//! configuration and storage. Built-in and local plugins build on this crate alone.

pub mod bus;
pub mod command;
pub mod config;
pub mod connector;
pub mod context;
pub mod dispatch;
pub mod event;
pub mod http;
pub mod ignore;
pub mod local;
pub mod outbound;
pub mod outbox;
pub mod plugin;
pub mod registry;
pub mod runtime;
pub mod service;
pub mod sink;
pub mod store;
pub mod suggest;
pub mod test_postgres;
pub mod testbot;
pub mod timezone;

pub use bus::{Bus, Subscription};
pub use command::{Command, CommandError, CommandSpec, Cooldown, Invocation, Reply};
pub use connector::{Connector, ConnectorError, ConnectorIo, OutboundLimits};
pub use context::{BotControl, BotInfo, Context, SendError};
pub use event::{Conversation, Custom, Delivery, Event, Message, Outbound, StateChange, Target};
pub use plugin::{Plugin, PluginBuilder, PluginParts, Source};
pub use service::{Health, Service, ServiceError};
pub use sink::{ListenerAddr, RouteSpec, Sink};
pub use store::{PostgresStore, ScopedStore, SqliteStore, Store, StoreError};
pub use testbot::TestBot;

/// Re-exported so plugins implement the traits with the same macro version.
pub use async_trait::async_trait;
