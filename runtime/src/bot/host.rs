//! The state every `Context` of one bot shares, and the [`Host`] it gives plugins.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use switchboard_api::config::Config;
use switchboard_api::http::SinkCounterTable;
use switchboard_api::ignore::IgnoreList;
use switchboard_api::{
    async_trait, AcceptError, BotControl, BotInfo, CommandTable, Context, Event, Host, Outbound,
    PluginRecord, PluginState, SendError, Store, StoreError, Subscription,
};

use crate::bus::Bus;
use crate::delivery::Delivery;
use crate::registry::Registry;

pub struct BotHost {
    pub(crate) bus: Bus,
    http: reqwest::Client,
    store: Arc<dyn Store>,
    pub(crate) delivery: Delivery,
    config: ArcSwap<Config>,
    commands: ArcSwap<CommandTable>,
    plugins: ArcSwap<Vec<PluginRecord>>,
    ignore: IgnoreList,
    sink_counters: SinkCounterTable,
    background: TaskTracker,
    info: BotInfo,
    control: Arc<dyn BotControl>,
    shutdown: CancellationToken,
}

/// What a bot's host is built from.
pub struct Parts<'a> {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub registry: &'a Registry,
    pub bot_name: String,
    pub version: String,
    pub control: Arc<dyn BotControl>,
    pub shutdown: CancellationToken,
}

impl BotHost {
    /// A host for the registry's plugins; loads the ignore list from the store.
    pub async fn build(parts: Parts<'_>) -> Result<Arc<BotHost>, StoreError> {
        let configured_ignores = parts.registry.connectors.iter().flat_map(|(_, c)| {
            c.ignored()
                .into_iter()
                .map(|user| (c.name().to_string(), user))
        });
        let ignore =
            IgnoreList::load(parts.store.clone(), configured_ignores.collect::<Vec<_>>()).await?;
        let bus = Bus::default();
        Ok(Arc::new(BotHost {
            delivery: Delivery::new(bus.clone()),
            bus,
            http: reqwest::Client::builder()
                .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            store: parts.store,
            config: ArcSwap::from_pointee(parts.config),
            commands: ArcSwap::from_pointee(parts.registry.commands.clone()),
            plugins: ArcSwap::from_pointee(parts.registry.plugins.clone()),
            ignore,
            sink_counters: Default::default(),
            background: Default::default(),
            info: BotInfo {
                name: parts.bot_name,
                version: parts.version,
                started: Instant::now(),
                started_at: SystemTime::now(),
            },
            control: parts.control,
            shutdown: parts.shutdown,
        }))
    }

    /// A host with no plugins on `store`, for unit tests inside the runtime.
    #[cfg(test)]
    pub(crate) fn for_tests(store: Arc<dyn Store>) -> Arc<BotHost> {
        struct NoControl;
        #[async_trait]
        impl BotControl for NoControl {
            async fn reload(&self) -> Result<String, switchboard_api::ReloadError> {
                Err(switchboard_api::ReloadError::Unsupported(
                    "no bot to reload".into(),
                ))
            }
            fn shutdown(&self) {}
        }
        let bus = Bus::default();
        Arc::new(BotHost {
            delivery: Delivery::new(bus.clone()),
            bus,
            http: reqwest::Client::new(),
            ignore: IgnoreList::empty(store.clone()),
            store,
            config: ArcSwap::from_pointee(Config::default()),
            commands: ArcSwap::from_pointee(CommandTable::default()),
            plugins: ArcSwap::from_pointee(Vec::new()),
            sink_counters: Default::default(),
            background: Default::default(),
            info: BotInfo {
                name: "test".into(),
                version: "0".into(),
                started: Instant::now(),
                started_at: SystemTime::now(),
            },
            control: Arc::new(NoControl),
            shutdown: CancellationToken::new(),
        })
    }

    /// A context on this host for `plugin`.
    pub fn context(self: &Arc<Self>, plugin: &str) -> Context {
        Context::new(self.clone(), plugin)
    }

    /// Swaps in a reloaded config and command table; faults seen at run time are kept, except
    /// for the `fresh` plugins, loaded anew by this reload.
    pub(crate) fn swap(&self, config: Config, registry: Registry, fresh: &[String]) {
        let old = self.plugins.load_full();
        let mut plugins = registry.plugins;
        for record in &mut plugins {
            if let Some(before) = old.iter().find(|r| r.name == record.name) {
                if matches!(before.state, PluginState::Faulted(_))
                    && record.state == PluginState::Active
                    && !fresh.contains(&record.name)
                {
                    record.state = before.state.clone();
                }
            }
        }
        self.config.store(Arc::new(config));
        self.commands.store(Arc::new(registry.commands));
        self.plugins.store(Arc::new(plugins));
    }
}

#[async_trait]
impl Host for BotHost {
    fn publish(&self, event: Event) {
        self.bus.publish(event);
    }

    fn subscribe(&self) -> Subscription {
        self.bus.subscribe()
    }

    async fn send(&self, message: Outbound) -> Result<(), SendError> {
        self.delivery.send(message).await
    }

    async fn deliver(&self, message: Outbound) -> Result<(), SendError> {
        self.delivery.deliver(message).await
    }

    async fn accept(&self, message: Outbound) -> Result<(), AcceptError> {
        self.delivery.accept(message).await
    }

    fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    fn commands(&self) -> Arc<CommandTable> {
        self.commands.load_full()
    }

    fn plugins(&self) -> Arc<Vec<PluginRecord>> {
        self.plugins.load_full()
    }

    fn mark_faulted(&self, plugin: &str, why: &str) {
        let mut plugins = (*self.plugins.load_full()).clone();
        if let Some(record) = plugins.iter_mut().find(|r| r.name == plugin) {
            record.state = PluginState::Faulted(why.to_string());
        }
        self.plugins.store(Arc::new(plugins));
    }

    fn mark_active(&self, plugin: &str) {
        let mut plugins = (*self.plugins.load_full()).clone();
        let Some(record) = plugins.iter_mut().find(|r| r.name == plugin) else {
            return;
        };
        if matches!(record.state, PluginState::Faulted(_)) {
            record.state = PluginState::Active;
            self.plugins.store(Arc::new(plugins));
        }
    }

    fn ignore_list(&self) -> &IgnoreList {
        &self.ignore
    }

    fn background_tasks(&self) -> &TaskTracker {
        &self.background
    }

    fn sink_counters(&self) -> &SinkCounterTable {
        &self.sink_counters
    }

    fn info(&self) -> &BotInfo {
        &self.info
    }

    fn control(&self) -> &dyn BotControl {
        self.control.as_ref()
    }

    fn shutdown_signal(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}
