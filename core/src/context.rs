//! The handle every plugin part gets: publish and subscribe, send, storage, config, and the
//! bot's own controls.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, Subscription};
use crate::config::Config;
use crate::event::{Event, Outbound, Target};
use crate::ignore::IgnoreList;
use crate::registry::{CommandTable, PluginRecord};
use crate::store::{ScopedStore, Store};

/// What the bot is, for `version` and `uptime`.
#[derive(Debug, Clone)]
pub struct BotInfo {
    pub name: String,
    pub version: String,
    pub started: Instant,
    pub started_at: SystemTime,
}

/// Operations on the running bot that commands such as `reload` and `shutdown` use.
#[async_trait]
pub trait BotControl: Send + Sync {
    /// Re-reads the config and applies it; the answer summarises what changed, the error
    /// lists what is wrong (and nothing was changed).
    async fn reload(&self) -> Result<String, String>;
    fn shutdown(&self);
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("no connector is named `{0}`")]
    UnknownConnector(String),
    #[error("connector `{0}` has stopped")]
    ConnectorStopped(String),
    #[error("connector `{connector}` could not send it: {error}")]
    NotSent { connector: String, error: String },
}

/// Told when a connector has sent a message (every chunk), or why it could not.
pub(crate) type SentAck = tokio::sync::oneshot::Sender<Result<(), String>>;

/// Asked right before a connector is given a message; false drops the message (its sender
/// withdrew it), and the ack says it was not sent.
pub(crate) type SendGate = Arc<dyn Fn() -> bool + Send + Sync>;

/// A message or a flush request on its way to one connector's outbound queue.
pub(crate) enum OutboundRequest {
    Send(Outbound, Option<SentAck>, Option<SendGate>),
    /// Answered once everything queued before it has been handed to the connector.
    Flush(tokio::sync::oneshot::Sender<()>),
}

pub(crate) type OutboundQueues = HashMap<String, mpsc::Sender<OutboundRequest>>;

pub(crate) struct Shared {
    pub bus: Bus,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub outbound: ArcSwap<OutboundQueues>,
    pub config: ArcSwap<Config>,
    pub commands: ArcSwap<CommandTable>,
    pub plugins: ArcSwap<Vec<PluginRecord>>,
    pub ignore: IgnoreList,
    pub sink_counters: crate::http::SinkCounterTable,
    pub background: tokio_util::task::TaskTracker,
    pub info: BotInfo,
    pub control: Arc<dyn BotControl>,
    pub shutdown: CancellationToken,
    pub outbox: crate::outbox::Outbox,
}

#[derive(Clone)]
pub struct Context {
    shared: Arc<Shared>,
    plugin: Arc<str>,
}

impl Context {
    pub(crate) fn new(shared: Arc<Shared>, plugin: &str) -> Self {
        Context {
            shared,
            plugin: plugin.into(),
        }
    }

    /// The same bot, seen by another plugin.
    pub fn for_plugin(&self, plugin: &str) -> Context {
        Context::new(self.shared.clone(), plugin)
    }

    /// A context on an empty bot with an in-memory store, for unit tests inside the core.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Context {
        let store: Arc<dyn Store> =
            Arc::new(crate::store::SqliteStore::in_memory().expect("in-memory store"));
        Self::for_tests_with(store)
    }

    /// Like [`for_tests`](Self::for_tests), on the given store.
    #[cfg(test)]
    pub(crate) fn for_tests_with(store: Arc<dyn Store>) -> Context {
        struct NoControl;
        #[async_trait]
        impl BotControl for NoControl {
            async fn reload(&self) -> Result<String, String> {
                Err("no bot to reload".into())
            }
            fn shutdown(&self) {}
        }
        let shared = Shared {
            bus: Bus::default(),
            http: reqwest::Client::new(),
            ignore: IgnoreList::empty(store.clone()),
            sink_counters: Default::default(),
            background: Default::default(),
            store,
            outbound: ArcSwap::from_pointee(HashMap::new()),
            config: ArcSwap::from_pointee(Config::default()),
            commands: ArcSwap::from_pointee(CommandTable::default()),
            plugins: ArcSwap::from_pointee(Vec::new()),
            info: BotInfo {
                name: "test".into(),
                version: "0".into(),
                started: Instant::now(),
                started_at: SystemTime::now(),
            },
            control: Arc::new(NoControl),
            shutdown: CancellationToken::new(),
            outbox: crate::outbox::Outbox::default(),
        };
        Context::new(Arc::new(shared), "test")
    }

    /// For tests: routes a connector's messages through a real outbound worker.
    #[cfg(test)]
    pub(crate) fn attach_connector(&self, connector: Arc<dyn crate::connector::Connector>) {
        let (queue, _task) =
            crate::runtime::outbound_worker::spawn(connector.clone(), self.shared.bus.clone());
        let mut queues = (*self.shared.outbound.load_full()).clone();
        queues.insert(connector.name().to_string(), queue);
        self.shared.outbound.store(Arc::new(queues));
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub fn plugin_name(&self) -> &str {
        &self.plugin
    }

    pub fn publish(&self, event: Event) {
        self.shared.bus.publish(event);
    }

    pub fn subscribe(&self) -> Subscription {
        self.shared.bus.subscribe()
    }

    pub fn bus(&self) -> &Bus {
        &self.shared.bus
    }

    /// Queues a message for its connector, which splits and paces it as configured.
    pub async fn send(&self, target: Target, text: impl Into<String>) -> Result<(), SendError> {
        self.queue(target, text.into(), None, None).await
    }

    /// Sends a message and waits until its connector has sent every chunk of it.
    pub async fn deliver(&self, target: Target, text: impl Into<String>) -> Result<(), SendError> {
        self.queue_tracked(target, text.into(), None).await?.await
    }

    /// Queues a message; the returned future ends when its connector has sent it (or failed,
    /// or `gate` withdrew it). Messages to one connector go out in the order they were queued.
    pub(crate) async fn queue_tracked(
        &self,
        target: Target,
        text: String,
        gate: Option<SendGate>,
    ) -> Result<impl std::future::Future<Output = Result<(), SendError>>, SendError> {
        let (ack, sent) = tokio::sync::oneshot::channel();
        let connector = target.connector.clone();
        self.queue(target, text, Some(ack), gate).await?;
        Ok(async move {
            match sent.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(SendError::NotSent { connector, error }),
                Err(_) => Err(SendError::ConnectorStopped(connector)),
            }
        })
    }

    /// Accepts a message from outside the bot (a sink) durably: once this returns, the message
    /// is sent, or in the Store and will be delivered even if the bot is killed before it is
    /// sent. See [`crate::outbox`].
    pub async fn accept(
        &self,
        target: Target,
        text: impl Into<String>,
    ) -> Result<(), crate::outbox::OutboxError> {
        self.shared.outbox.accept(target, text.into()).await
    }

    pub(crate) fn outbox(&self) -> &crate::outbox::Outbox {
        &self.shared.outbox
    }

    async fn queue(
        &self,
        target: Target,
        text: String,
        ack: Option<SentAck>,
        gate: Option<SendGate>,
    ) -> Result<(), SendError> {
        let outbound = Outbound { target, text };
        let queue = {
            let queues = self.shared.outbound.load();
            queues
                .get(&outbound.target.connector)
                .cloned()
                .ok_or_else(|| SendError::UnknownConnector(outbound.target.connector.clone()))?
        };
        let connector = outbound.target.connector.clone();
        self.shared
            .bus
            .publish(Event::Outbound(Arc::new(outbound.clone())));
        queue
            .send(OutboundRequest::Send(outbound, ack, gate))
            .await
            .map_err(|_| SendError::ConnectorStopped(connector))
    }

    /// The bot's HTTP client (rustls, connection pooling), for plugins that call out.
    pub fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    /// The whole store, shared by every plugin.
    pub fn store(&self) -> Arc<dyn Store> {
        self.shared.store.clone()
    }

    /// Key-value storage private to this plugin.
    pub fn storage(&self) -> ScopedStore {
        ScopedStore::new(self.shared.store.clone(), format!("plugin:{}", self.plugin))
    }

    /// The config as last loaded (it changes on reload).
    pub fn config(&self) -> Arc<Config> {
        self.shared.config.load_full()
    }

    pub fn commands(&self) -> Arc<CommandTable> {
        self.shared.commands.load_full()
    }

    pub fn plugins(&self) -> Arc<Vec<PluginRecord>> {
        self.shared.plugins.load_full()
    }

    pub fn ignore_list(&self) -> &IgnoreList {
        &self.shared.ignore
    }

    /// Work that must finish before the bot exits (such as writing idempotency keys): shutdown
    /// waits for these tasks after the sinks and services have stopped.
    pub fn background_tasks(&self) -> &tokio_util::task::TaskTracker {
        &self.shared.background
    }

    /// Every sink's request counters, by sink name.
    pub fn sink_counters(&self) -> &crate::http::SinkCounterTable {
        &self.shared.sink_counters
    }

    pub fn info(&self) -> &BotInfo {
        &self.shared.info
    }

    pub fn control(&self) -> &dyn BotControl {
        self.shared.control.as_ref()
    }

    /// Cancelled when the bot begins to shut down.
    pub fn shutdown_signal(&self) -> CancellationToken {
        self.shared.shutdown.clone()
    }
}
