//! Building and updating the state every `Context` shares.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::config::Config;
use crate::context::{BotControl, BotInfo, Context, Shared};
use crate::ignore::IgnoreList;
use crate::registry::{PluginState, Registry};
use crate::store::{Store, StoreError};

pub(crate) struct Parts<'a> {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub registry: &'a Registry,
    pub bot_name: String,
    pub version: String,
    pub control: Arc<dyn BotControl>,
    pub shutdown: CancellationToken,
}

pub(crate) async fn build(parts: Parts<'_>) -> Result<Arc<Shared>, StoreError> {
    let configured_ignores = parts.registry.connectors.iter().flat_map(|(_, c)| {
        c.ignored()
            .into_iter()
            .map(|user| (c.name().to_string(), user))
    });
    let ignore =
        IgnoreList::load(parts.store.clone(), configured_ignores.collect::<Vec<_>>()).await?;
    Ok(Arc::new(Shared {
        bus: Bus::default(),
        http: reqwest::Client::builder()
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default(),
        store: parts.store,
        outbound: ArcSwap::from_pointee(HashMap::new()),
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
        outbox: crate::outbox::Outbox::default(),
    }))
}

/// Swaps in a reloaded config and command table; faults seen at run time are kept, except for
/// the `fresh` plugins, loaded anew by this reload.
pub(crate) fn swap(ctx: &Context, config: Config, registry: Registry, fresh: &[String]) {
    let shared = ctx.shared();
    let old = shared.plugins.load_full();
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
    shared.config.store(Arc::new(config));
    shared.commands.store(Arc::new(registry.commands));
    shared.plugins.store(Arc::new(plugins));
}

pub(crate) fn mark_faulted(ctx: &Context, plugin: &str, why: &str) {
    let shared = ctx.shared();
    let mut plugins = (*shared.plugins.load_full()).clone();
    if let Some(record) = plugins.iter_mut().find(|r| r.name == plugin) {
        record.state = PluginState::Faulted(why.to_string());
    }
    shared.plugins.store(Arc::new(plugins));
}

/// Clears a run-time fault (an exec plugin whose new process said hello); a rejection stays.
pub(crate) fn mark_active(ctx: &Context, plugin: &str) {
    let shared = ctx.shared();
    let mut plugins = (*shared.plugins.load_full()).clone();
    let Some(record) = plugins.iter_mut().find(|r| r.name == plugin) else {
        return;
    };
    if matches!(record.state, PluginState::Faulted(_)) {
        record.state = PluginState::Active;
        shared.plugins.store(Arc::new(plugins));
    }
}
