//! The running bot: assembles plugins, starts connectors, services and the dispatcher, and
//! shuts them down in order (stop intake, finish dispatching, stop services, flush outbound).

mod assemble;
mod control;
mod host;
pub mod reference;
mod sinks;
pub mod specs;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use assemble::{
    all_sections, assemble, assemble_with_local, discover_and_assemble, Assembly, StartupError,
};
pub use host::{BotHost, Parts as HostParts};

use switchboard_api::config::{Config, ConfigErrors};
use switchboard_api::{
    ConnectorIo, Event, Host, Message, Plugin, PluginState, ReloadError, Source, StateChange,
    Store, StoreError,
};
use switchboard_local_plugins::LocalSet;

use crate::dispatch::Dispatcher;
use crate::service::{ServiceState, Supervisor, SupervisorSettings};
use crate::store::{PostgresStore, SqliteStore};
use control::{ChannelControl, ControlRequest};

/// Re-reads the config the bot was started with, for `!reload` and SIGHUP.
pub type ConfigLoader = Arc<dyn Fn() -> Result<Config, ConfigErrors> + Send + Sync>;

pub struct BotOptions {
    pub version: String,
    /// Any refused local plugin stops the start.
    pub strict: bool,
    pub load_config: ConfigLoader,
    /// Overrides `[Store]`, e.g. an in-memory store in tests.
    pub store: Option<Arc<dyn Store>>,
}

/// How long shutdown waits for each stage before going on without it.
const STAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the bot until SIGINT, SIGTERM, `!shutdown` or a connector's request (console EOF).
pub async fn run(
    plugins: Vec<(Source, Arc<dyn Plugin>)>,
    options: BotOptions,
) -> Result<(), StartupError> {
    let started = std::time::Instant::now();
    let config = (options.load_config)()?;
    if !config.has_main_file() {
        tracing::info!("no config.ini found: running on built-in defaults (console connector, SQLite under data/)");
    }
    let (assembly, local) = discover_and_assemble(&config, &plugins).await;
    let assembly = assembly?;
    if options.strict {
        if let Some(refusal) = assembly.registry.refusals().first() {
            return Err(StartupError::Strict(refusal.clone()));
        }
    }
    let store: Arc<dyn Store> = match options.store.clone() {
        Some(store) => store,
        None => open_store(&assembly.core).await?,
    };

    let shutdown = CancellationToken::new();
    let (control_tx, mut control_rx) = mpsc::channel(8);
    let control = Arc::new(ChannelControl {
        requests: control_tx,
        shutdown: shutdown.clone(),
    });
    let registry = assembly.registry;
    let host = BotHost::build(host::Parts {
        config,
        store,
        registry: &registry,
        bot_name: assembly.core.bot_name.clone(),
        version: options.version.clone(),
        control,
        shutdown: shutdown.clone(),
    })
    .await?;
    let ctx = host.context("core");

    for (_, connector) in &registry.connectors {
        host.delivery.attach(connector.clone());
    }
    // Messages queued under a former bot name: adopted (SQLite) or reported (PostgreSQL)
    // before the outbox reads its own.
    crate::delivery::adopt_stranded(&ctx.store(), &assembly.core.bot_name).await;
    host.delivery.open_outbox(
        switchboard_api::ScopedStore::new(
            ctx.store(),
            crate::delivery::outbox_scope(&assembly.core.bot_name),
        ),
        ctx.background_tasks().clone(),
        shutdown.clone(),
    );

    // Sinks and connectors stop taking input first at shutdown. Listeners are bound before
    // anything else starts, so a taken port stops the start cleanly.
    let intake = CancellationToken::new();
    let sink_servers = sinks::start(&registry.sinks, &ctx, &intake).await?;

    let dispatcher = Arc::new(Dispatcher::new(
        specs::dispatch_settings(&assembly.core, &registry.connectors),
        ctx.clone(),
    ));
    let (inbound_tx, inbound_rx) = mpsc::channel::<Message>(1024);
    let dispatch_task = tokio::spawn(dispatch_loop(inbound_rx, dispatcher.clone(), host.clone()));

    let mut supervisors = Vec::new();
    let mut first_starts = Vec::new();
    for (plugin, service) in &registry.services {
        let service_ctx = ctx.for_plugin(plugin);
        let state_ctx = ctx.clone();
        let plugin = plugin.clone();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        first_starts.push(started);
        let started_tx = std::sync::Mutex::new(Some(started_tx));
        let on_state = move |name: &str, state: &ServiceState| {
            if !matches!(state, ServiceState::Starting) {
                if let Some(tx) = started_tx.lock().ok().and_then(|mut tx| tx.take()) {
                    let _ = tx.send(());
                }
            }
            if let ServiceState::Failed(why) = state {
                state_ctx.mark_faulted(&plugin, why);
            }
            state_ctx.publish(Event::State(Arc::new(StateChange {
                component: format!("service:{name}"),
                state: state.label().to_string(),
                detail: state.detail(),
            })));
        };
        supervisors.push(Supervisor::spawn(
            service.clone(),
            service_ctx,
            SupervisorSettings::default(),
            on_state,
        ));
    }

    // Services that subscribe to the bus (the check-in collector) must not miss the first
    // messages: connectors start once every service's first start is over (bounded).
    let _ = tokio::time::timeout(STAGE_TIMEOUT, futures::future::join_all(first_starts))
        .await
        .map_err(|_| tracing::warn!("starting connectors before every service finished starting"));

    // Handlers go in before any input is read, so a signal during startup shuts down cleanly.
    let mut hangup = signal_stream(SignalKind::Hangup);
    let mut interrupt = signal_stream(SignalKind::Interrupt);
    let mut terminate = signal_stream(SignalKind::Terminate);
    let mut connector_tasks = JoinSet::new();
    for (plugin, connector) in &registry.connectors {
        let io = ConnectorIo::new(inbound_tx.clone(), intake.clone(), shutdown.clone());
        let connector = connector.clone();
        let ctx = ctx.clone();
        let plugin = plugin.clone();
        connector_tasks.spawn(async move {
            let name = connector.name().to_string();
            let outcome = AssertUnwindSafe(connector.run(io)).catch_unwind().await;
            let why = match outcome {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.to_string(),
                Err(panic) => format!(
                    "panicked: {}",
                    crate::dispatch::panic_message(panic.as_ref())
                ),
            };
            tracing::error!(connector = %name, error = %why, "connector stopped");
            ctx.mark_faulted(&plugin, &why);
        });
    }
    drop(inbound_tx);

    let mut reloader = Reloader {
        plugins,
        local,
        options,
        dispatcher: dispatcher.clone(),
        host: host.clone(),
    };
    tracing::info!(
        connectors = registry.connectors.len(),
        commands = registry.commands.len(),
        services = registry.services.len(),
        sinks = registry.sinks.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "switchboard ready"
    );

    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = interrupt.recv() => { tracing::info!("SIGINT: shutting down"); break }
            _ = terminate.recv() => { tracing::info!("SIGTERM: shutting down"); break }
            _ = hangup.recv() => match reloader.reload().await {
                Ok(summary) => tracing::info!("SIGHUP: {summary}"),
                Err(errors) => tracing::error!("SIGHUP: reload refused:\n{errors}"),
            },
            Some(request) = control_rx.recv() => match request {
                ControlRequest::Reload(answer) => { let _ = answer.send(reloader.reload().await); }
            },
        }
    }

    // Shutdown, in order: stop intake, finish what was received, stop services, flush replies.
    // A command received before the shutdown began still runs, a `!reload` piped in before the
    // end of the input included; a reload asked for after that is answered "shutting down".
    tokio::spawn(async move {
        if interrupt.recv().await.is_some() {
            tracing::warn!("second SIGINT: exiting without finishing the shutdown");
            std::process::exit(130);
        }
    });
    shutdown.cancel();
    ctx.publish(Event::Shutdown);
    intake.cancel();
    let stage = |what: &'static str| {
        move |_| tracing::warn!("shutdown: {what} did not finish within {STAGE_TIMEOUT:?}")
    };
    let _ = tokio::time::timeout(STAGE_TIMEOUT, async {
        while connector_tasks.join_next().await.is_some() {}
    })
    .await
    .map_err(stage("connectors"));
    connector_tasks.abort_all();
    let _ = tokio::time::timeout(STAGE_TIMEOUT, sink_servers.stopped())
        .await
        .map_err(stage("sink listeners"));
    host.delivery.close_outbox();
    let drained = async {
        let mut dispatch_task = std::pin::pin!(dispatch_task);
        loop {
            tokio::select! {
                _ = &mut dispatch_task => break,
                Some(request) = control_rx.recv() => match request {
                    ControlRequest::Reload(answer) => { let _ = answer.send(reloader.reload().await); }
                },
            }
        }
    };
    let _ = tokio::time::timeout(STAGE_TIMEOUT, drained)
        .await
        .map_err(stage("dispatch"));
    drop(control_rx);
    for supervisor in supervisors {
        supervisor.shutdown().await;
    }
    let background = ctx.background_tasks();
    background.close();
    let _ = tokio::time::timeout(STAGE_TIMEOUT, background.wait())
        .await
        .map_err(stage("background tasks"));
    host.delivery.flush(STAGE_TIMEOUT).await;
    sinks::log_counters(&ctx);
    tracing::info!("switchboard stopped");
    Ok(())
}

/// The store `[Store]` names: PostgreSQL when `database_url` is set, else the SQLite file.
pub async fn open_store(core: &specs::CoreSettings) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match &core.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url).await?),
        None => Arc::new(SqliteStore::open(&core.sqlite_path)?),
    })
}

async fn dispatch_loop(
    mut inbound: mpsc::Receiver<Message>,
    dispatcher: Arc<Dispatcher>,
    host: Arc<BotHost>,
) {
    while let Some(message) = inbound.recv().await {
        let message = Arc::new(message);
        host.publish(Event::Inbound(message.clone()));
        for reply in dispatcher.handle(message).await {
            if let Err(e) = host.delivery.send(reply).await {
                tracing::error!(error = %e, "a reply could not be sent");
            }
        }
    }
}

struct Reloader {
    plugins: Vec<(Source, Arc<dyn Plugin>)>,
    /// The local plugins running now; replaced only by a reload that is accepted.
    local: LocalSet,
    options: BotOptions,
    dispatcher: Arc<Dispatcher>,
    host: Arc<BotHost>,
}

impl Reloader {
    /// Re-reads the config and re-scans the local plugins, then swaps in new settings, commands
    /// and plugins at once, or changes nothing: a local plugin that would be refused (a
    /// collision, or a library that does not load) refuses the whole reload.
    async fn reload(&mut self) -> Result<String, ReloadError> {
        let config =
            (self.options.load_config)().map_err(|e| ReloadError::Refused(e.to_string()))?;
        let local = switchboard_local_plugins::discover(&config, &self.local).await;
        let refuse = |local: &LocalSet, error: String| {
            local.stop_unless_in(&self.local);
            ReloadError::Refused(error)
        };
        let assembly = assemble_with_local(&config, &self.plugins, &local)
            .map_err(|e| refuse(&local, e.to_string()))?;
        let running = self.host.plugins();
        let new_refusals: Vec<String> = assembly
            .registry
            .plugins
            .iter()
            .filter(|p| matches!(p.state, PluginState::Rejected(_)) && !running.contains(p))
            .map(|p| format!("{} ({}): {}", p.name, p.source, p.state))
            .collect();
        if !new_refusals.is_empty() {
            return Err(refuse(&local, new_refusals.join("\n")));
        }
        if self.options.strict {
            if let Some(refusal) = assembly.registry.refusals().first() {
                return Err(refuse(
                    &local,
                    format!("--strict: a local plugin would be refused: {refusal}"),
                ));
            }
        }
        let registry = assembly.registry;
        let mut settings = specs::dispatch_settings(&assembly.core, &registry.connectors);
        // Connectors keep running across a reload; keep the admins of those that run.
        let running_settings = self.dispatcher.settings();
        settings
            .admins
            .retain(|name, _| running_settings.admins.contains_key(name));
        let commands = registry.commands.len();
        let changes = local_changes(&self.local, &local);
        self.host.swap(config, registry, &changes.fresh);
        self.dispatcher.update(settings);
        // Sinks and services started with the bot keep their plugin until restart; stop removed
        // and replaced exec plugins now rather than when the last of those goes.
        self.local.stop_unless_in(&local);
        self.local = local;
        Ok(format!(
            "config reloaded: {commands} commands{}. Changes to connectors, services and sinks take effect on restart.",
            changes.summary()
        ))
    }
}

/// How a reload changed the local plugins.
struct LocalChanges {
    added: Vec<String>,
    removed: Vec<String>,
    replaced: Vec<String>,
    /// Plugins loaded anew (added or replaced): faults of an earlier copy do not carry over.
    fresh: Vec<String>,
}

impl LocalChanges {
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (label, names) in [
            ("added", &self.added),
            ("removed", &self.removed),
            ("replaced", &self.replaced),
        ] {
            if !names.is_empty() {
                parts.push(format!("{label} {}", names.join(", ")));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("; local plugins {}", parts.join("; "))
        }
    }
}

fn local_changes(old: &LocalSet, new: &LocalSet) -> LocalChanges {
    let find = |set: &LocalSet, name: &str| {
        set.plugins
            .iter()
            .find(|(_, p)| p.name() == name)
            .map(|(_, p)| p.clone())
    };
    let mut changes = LocalChanges {
        added: Vec::new(),
        removed: Vec::new(),
        replaced: Vec::new(),
        fresh: Vec::new(),
    };
    for (_, plugin) in &new.plugins {
        let name = plugin.name().to_string();
        match find(old, &name) {
            None => {
                changes.added.push(name.clone());
                changes.fresh.push(name);
            }
            Some(before) if !Arc::ptr_eq(&before, plugin) => {
                changes.replaced.push(name.clone());
                changes.fresh.push(name);
            }
            Some(_) => {}
        }
    }
    for (_, plugin) in &old.plugins {
        if find(new, plugin.name()).is_none() {
            changes.removed.push(plugin.name().to_string());
        }
    }
    changes
}

#[derive(Clone, Copy)]
enum SignalKind {
    Hangup,
    Interrupt,
    Terminate,
}

/// A stream of one signal; on platforms without it, a stream that never yields.
fn signal_stream(kind: SignalKind) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind as Unix};
        let unix = match kind {
            SignalKind::Hangup => Unix::hangup(),
            SignalKind::Interrupt => Unix::interrupt(),
            SignalKind::Terminate => Unix::terminate(),
        };
        if let Ok(mut stream) = signal(unix) {
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(()).await.is_err() {
                        break;
                    }
                }
            });
        }
    }
    #[cfg(not(unix))]
    std::mem::forget(tx);
    rx
}

/// The host of a bot that runs no connectors, for the test harness (`switchboard-testing`).
pub async fn host_for_tests(
    config: Config,
    store: Arc<dyn Store>,
    assembly: &Assembly,
    control: Arc<dyn switchboard_api::BotControl>,
    shutdown: CancellationToken,
) -> Result<Arc<BotHost>, StoreError> {
    BotHost::build(host::Parts {
        config,
        store,
        registry: &assembly.registry,
        bot_name: assembly.core.bot_name.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        control,
        shutdown,
    })
    .await
}
