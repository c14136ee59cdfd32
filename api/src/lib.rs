//! What a Switchboard plugin builds on, and nothing else: the [`Plugin`], [`Command`],
//! [`Service`], [`Sink`] and [`Connector`] traits, the events and targets that travel on the
//! bus, the [`Context`] every part is handed, typed config, the HTTP intake with its answers
//! and refusals, signing, and the [`Store`].
//!
//! The runtime (bus, registry, dispatch, store engines, local-plugin loading, delivery) builds
//! on this crate and implements [`Host`]; built-in plugins and the local-plugin host depend on
//! this crate alone.

#![warn(missing_docs)]

pub mod cli;
pub mod command;
pub mod command_table;
pub mod config;
pub mod connector;
pub mod context;
pub mod event;
pub mod http;
pub mod ignore;
pub mod plugin;
pub mod service;
pub mod sink;
pub mod store;
pub mod subscription;
pub mod suggest;
pub mod timezone;

pub use command::{Command, CommandError, CommandSpec, Cooldown, Invocation, Reply};
pub use command_table::{CommandEntry, CommandTable};
pub use connector::{Connector, ConnectorError, ConnectorIo, OutboundLimits};
pub use context::{AcceptError, BotControl, BotInfo, Context, Host, ReloadError, SendError};
pub use event::{Conversation, Custom, Delivery, Event, Message, Outbound, StateChange, Target};
pub use plugin::{Plugin, PluginBuilder, PluginParts, PluginRecord, PluginState, Source};
pub use service::{Health, Service, ServiceError};
pub use sink::{ConnectorRef, ListenerAddr, RouteSpec, Sink, SinkFilter};
pub use store::{MemoryStore, ScopedStore, Store, StoreError};
pub use subscription::Subscription;

/// Re-exported so plugins implement the traits with the same macro version.
pub use async_trait::async_trait;
