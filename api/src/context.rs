//! The handle every plugin part gets: publish and subscribe, send, storage, config, and the
//! bot's own controls. A [`Context`] is a facade over the runtime's [`Host`]; a plugin never
//! sees the runtime itself.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::command_table::CommandTable;
use crate::config::Config;
use crate::event::{Event, Outbound, Target};
use crate::http::SinkCounterTable;
use crate::ignore::IgnoreList;
use crate::plugin::PluginRecord;
use crate::store::{ScopedStore, Store, StoreError};
use crate::subscription::Subscription;

/// What the bot is, for `version` and `uptime`.
#[derive(Debug, Clone)]
pub struct BotInfo {
    /// `[Bot] name`.
    pub name: String,
    /// The running build's version.
    pub version: String,
    /// When the bot started, for durations.
    pub started: Instant,
    /// When the bot started, for dates.
    pub started_at: SystemTime,
}

/// Why a reload changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReloadError {
    /// The new config or a local plugin is wrong; every problem, one per line.
    #[error("{0}")]
    Refused(String),
    /// The bot is shutting down and takes no reload.
    #[error("the bot is shutting down")]
    ShuttingDown,
    /// This bot cannot reload (a test bot without a config file).
    #[error("{0}")]
    Unsupported(String),
}

/// Operations on the running bot that commands such as `reload` and `shutdown` use.
#[async_trait]
pub trait BotControl: Send + Sync {
    /// Re-reads the config and applies it; the answer summarises what changed, the error
    /// lists what is wrong (and nothing was changed).
    async fn reload(&self) -> Result<String, ReloadError>;
    /// Begins a graceful shutdown.
    fn shutdown(&self);
}

/// Why a message was not handed to its connector, or not sent by it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The target names a connector that is not configured.
    #[error("no connector is named `{0}`")]
    UnknownConnector(String),
    /// The connector's queue is gone (the bot is stopping).
    #[error("connector `{0}` has stopped")]
    ConnectorStopped(String),
    /// The connector tried and failed; `error` is its reason.
    #[error("connector `{connector}` could not send it: {error}")]
    NotSent {
        /// The connector's name.
        connector: String,
        /// What the connector reported.
        error: String,
    },
}

/// Why a message from outside the bot was not accepted (the sender must not hear 2xx).
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Neither sent nor written to the Store.
    #[error("the message could not be stored: {0}")]
    Store(#[from] StoreError),
    /// The bot is starting or shutting down.
    #[error("the bot is not taking messages (starting or shutting down)")]
    Closed,
    /// The target names a connector the bot does not run: it could never be delivered.
    #[error("no connector is named `{0}`, so the message could never be delivered")]
    UnknownConnector(String),
}

/// What the runtime provides behind every [`Context`]. Plugins use `Context`; the runtime (and
/// a test harness) implements this.
#[async_trait]
pub trait Host: Send + Sync + 'static {
    /// Publishes on the bus; never waits.
    fn publish(&self, event: Event);
    /// Every event published from now on.
    fn subscribe(&self) -> Subscription;
    /// Queues a message for its connector.
    async fn send(&self, message: Outbound) -> Result<(), SendError>;
    /// Queues a message and waits until its connector has sent every chunk.
    async fn deliver(&self, message: Outbound) -> Result<(), SendError>;
    /// Accepts a message from outside the bot durably (sent, or in the Store).
    async fn accept(&self, message: Outbound) -> Result<(), AcceptError>;
    /// The shared HTTP client.
    fn http(&self) -> &reqwest::Client;
    /// The shared store.
    fn store(&self) -> Arc<dyn Store>;
    /// The config as last loaded.
    fn config(&self) -> Arc<Config>;
    /// The command table as last built.
    fn commands(&self) -> Arc<CommandTable>;
    /// Every plugin with its state.
    fn plugins(&self) -> Arc<Vec<PluginRecord>>;
    /// Marks a plugin faulted at run time (shown by `plugins` and `!plugins`).
    fn mark_faulted(&self, plugin: &str, why: &str);
    /// Clears a run-time fault; a rejection stays.
    fn mark_active(&self, plugin: &str);
    /// Users the bot never answers.
    fn ignore_list(&self) -> &IgnoreList;
    /// Work shutdown waits for.
    fn background_tasks(&self) -> &TaskTracker;
    /// Every sink's request counters.
    fn sink_counters(&self) -> &SinkCounterTable;
    /// What the bot is.
    fn info(&self) -> &BotInfo;
    /// Reload and shutdown.
    fn control(&self) -> &dyn BotControl;
    /// Cancelled when the bot begins to shut down.
    fn shutdown_signal(&self) -> CancellationToken;
}

/// A plugin's handle on the bot: cheap to clone, one per plugin (its storage scope and the
/// plugin its faults are reported against).
#[derive(Clone)]
pub struct Context {
    host: Arc<dyn Host>,
    plugin: Arc<str>,
}

impl Context {
    /// A context on `host` for `plugin`; the runtime builds these.
    pub fn new(host: Arc<dyn Host>, plugin: &str) -> Self {
        Context {
            host,
            plugin: plugin.into(),
        }
    }

    /// The same bot, seen by another plugin.
    pub fn for_plugin(&self, plugin: &str) -> Context {
        Context::new(self.host.clone(), plugin)
    }

    /// The plugin this context belongs to.
    pub fn plugin_name(&self) -> &str {
        &self.plugin
    }

    /// Publishes an event to every subscriber; never waits.
    pub fn publish(&self, event: Event) {
        self.host.publish(event);
    }

    /// Every event published from now on.
    pub fn subscribe(&self) -> Subscription {
        self.host.subscribe()
    }

    /// Queues a message for its connector, which splits and paces it as configured.
    pub async fn send(&self, target: Target, text: impl Into<String>) -> Result<(), SendError> {
        self.host
            .send(Outbound {
                target,
                text: text.into(),
            })
            .await
    }

    /// Sends a message and waits until its connector has sent every chunk of it.
    pub async fn deliver(&self, target: Target, text: impl Into<String>) -> Result<(), SendError> {
        self.host
            .deliver(Outbound {
                target,
                text: text.into(),
            })
            .await
    }

    /// Accepts a message from outside the bot (a sink) durably: once this returns, the message
    /// is sent, or in the Store and will be delivered even if the bot is killed before it is
    /// sent (at least once, in order).
    pub async fn accept(&self, target: Target, text: impl Into<String>) -> Result<(), AcceptError> {
        self.host
            .accept(Outbound {
                target,
                text: text.into(),
            })
            .await
    }

    /// The bot's HTTP client (rustls, connection pooling), for plugins that call out.
    pub fn http(&self) -> &reqwest::Client {
        self.host.http()
    }

    /// The whole store, shared by every plugin.
    pub fn store(&self) -> Arc<dyn Store> {
        self.host.store()
    }

    /// Key-value storage private to this plugin.
    pub fn storage(&self) -> ScopedStore {
        ScopedStore::new(self.host.store(), format!("plugin:{}", self.plugin))
    }

    /// The config as last loaded (it changes on reload).
    pub fn config(&self) -> Arc<Config> {
        self.host.config()
    }

    /// Every command by keyword, as help and dispatch see them.
    pub fn commands(&self) -> Arc<CommandTable> {
        self.host.commands()
    }

    /// Every plugin with its kinds and state.
    pub fn plugins(&self) -> Arc<Vec<PluginRecord>> {
        self.host.plugins()
    }

    /// Marks `plugin` faulted at run time, with the reason shown by `plugins`.
    pub fn mark_faulted(&self, plugin: &str, why: &str) {
        self.host.mark_faulted(plugin, why);
    }

    /// Clears `plugin`'s run-time fault (a restarted process that works again).
    pub fn mark_active(&self, plugin: &str) {
        self.host.mark_active(plugin);
    }

    /// Users the bot never answers.
    pub fn ignore_list(&self) -> &IgnoreList {
        self.host.ignore_list()
    }

    /// Work that must finish before the bot exits (such as writing idempotency keys): shutdown
    /// waits for these tasks after the sinks and services have stopped.
    pub fn background_tasks(&self) -> &TaskTracker {
        self.host.background_tasks()
    }

    /// Every sink's request counters, by sink name.
    pub fn sink_counters(&self) -> &SinkCounterTable {
        self.host.sink_counters()
    }

    /// What the bot is: name, version, start time.
    pub fn info(&self) -> &BotInfo {
        self.host.info()
    }

    /// Reload and shutdown.
    pub fn control(&self) -> &dyn BotControl {
        self.host.control()
    }

    /// Cancelled when the bot begins to shut down.
    pub fn shutdown_signal(&self) -> CancellationToken {
        self.host.shutdown_signal()
    }
}
