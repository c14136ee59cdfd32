//! Serving the sinks: one server per listener address, shared by the sinks on it, started
//! before the bot is ready and stopped with the connectors (intake first) at shutdown.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use switchboard_api::context::Context;
use switchboard_api::http::{combine, BoundListener, ListenerError};
use switchboard_api::sink::{ListenerAddr, Sink};

/// A sink with the plugin that registered it, as the registry holds it.
type PluginSink = (String, Arc<dyn Sink>);

pub(crate) struct SinkServers {
    tasks: Vec<JoinHandle<()>>,
}

impl SinkServers {
    /// Waits for every server to stop accepting and finish its requests in flight.
    pub(crate) async fn stopped(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// A listener that could not start, with where its sinks configure it.
#[derive(Debug, thiserror::Error)]
pub struct SinkListenerError {
    /// `config.ini:3: [Sink.jsonrpc] port`, one per sink on the address; empty when unknown.
    configured_at: Vec<String>,
    #[source]
    source: ListenerError,
}

impl std::fmt::Display for SinkListenerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.configured_at.as_slice() {
            [] => write!(f, "{}", self.source),
            [at] => write!(f, "{at}: {}", self.source),
            [first, others @ ..] => write!(
                f,
                "{first}: {} (also the listener of {})",
                self.source,
                others.join(", ")
            ),
        }
    }
}

/// Binds every listener (a taken port or bad certificate stops the start), then serves each.
pub(crate) async fn start(
    sinks: &[PluginSink],
    ctx: &Context,
    stop: &CancellationToken,
) -> Result<SinkServers, SinkListenerError> {
    let mut groups: BTreeMap<ListenerAddr, Vec<&PluginSink>> = BTreeMap::new();
    for entry in sinks {
        groups.entry(entry.1.listener()).or_default().push(entry);
    }
    let mut bound = Vec::new();
    for (addr, group) in groups {
        // The registry only lets sinks share an address when their TLS settings agree.
        let tls = group.first().and_then(|(_, sink)| sink.tls());
        let listener = BoundListener::bind(&addr, tls.as_ref())
            .await
            .map_err(|source| SinkListenerError {
                configured_at: group
                    .iter()
                    .filter_map(|(_, sink)| sink.listener_configured_at())
                    .collect(),
                source,
            })?;
        let filters = group
            .iter()
            .map(|(plugin, sink)| sink.filter(ctx.for_plugin(plugin)))
            .collect();
        let names: Vec<&str> = group.iter().map(|(_, sink)| sink.name()).collect();
        bound.push((listener, filters, names.join(", ")));
    }
    let mut tasks = Vec::new();
    for (listener, filters, names) in bound {
        let Some(routes) = combine(filters) else {
            continue;
        };
        let local = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(
            addr = %local,
            tls = listener.is_tls(),
            sinks = %names,
            "sink listener ready"
        );
        tasks.push(listener.serve(routes, stop.clone()));
    }
    Ok(SinkServers { tasks })
}

/// Logs each sink's counters, once, at shutdown.
pub(crate) fn log_counters(ctx: &Context) {
    for (sink, counters) in ctx.sink_counters().snapshot() {
        tracing::info!(
            sink = %sink,
            received = counters.received,
            accepted = counters.accepted,
            duplicates = counters.duplicates,
            rejected = ?counters.rejected,
            "sink counters"
        );
    }
}
