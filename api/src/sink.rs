//! Sinks: HTTP routes where external systems POST events that become chat messages.

use std::fmt;

use crate::context::Context;

/// The address a sink listens on; sinks on the same address share one server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerAddr {
    /// The address to bind, e.g. `127.0.0.1` or `::`.
    pub bind: String,
    /// The TCP port.
    pub port: u16,
}

impl fmt::Display for ListenerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bind.contains(':') {
            write!(f, "[{}]:{}", self.bind, self.port)
        } else {
            write!(f, "{}:{}", self.bind, self.port)
        }
    }
}

/// One method and path a sink answers, claimed in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteSpec {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path, with `{name}` for one variable segment, e.g. `/{conversation}`.
    pub path: String,
}

impl RouteSpec {
    /// `/a/` and `/a` are one route (both are served), so the trailing slash is dropped.
    pub fn new(method: &str, path: &str) -> Self {
        let trimmed = path.trim_end_matches('/');
        RouteSpec {
            method: method.to_uppercase(),
            path: if trimmed.is_empty() {
                "/".into()
            } else {
                trimmed.to_string()
            },
        }
    }
}

/// A connector a sink posts to, and where the config names it: a name no connector has is a
/// config error at that line, not a message lost later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRef {
    /// The connector's name.
    pub connector: String,
    /// Where it is named (the built-in default when the key is not written).
    pub origin: crate::config::Origin,
    /// The section naming it, e.g. `Sink.jsonrpc`.
    pub section: String,
    /// The key naming it, e.g. `connector`.
    pub key: &'static str,
}

impl ConnectorRef {
    /// The connector named by `key` of `view`, read as `connector`.
    pub fn from_key(
        view: &crate::config::SectionView<'_>,
        key: &'static str,
        connector: &str,
    ) -> Self {
        ConnectorRef {
            connector: connector.to_string(),
            origin: view
                .raw(key)
                .map(|(_, origin)| origin)
                .unwrap_or(crate::config::Origin::Default),
            section: view.name().to_string(),
            key,
        }
    }
}

/// The warp filter a sink serves its routes with.
pub type SinkFilter = warp::filters::BoxedFilter<(warp::reply::Response,)>;

/// An HTTP endpoint external systems post to, served on a shared listener.
pub trait Sink: Send + Sync + 'static {
    /// The instance name, e.g. `jsonrpc` or `jsonrpc.alerts`.
    fn name(&self) -> &str;
    /// The address it listens on.
    fn listener(&self) -> ListenerAddr;
    /// The certificate and key when the listener speaks TLS.
    fn tls(&self) -> Option<crate::http::TlsFiles> {
        None
    }
    /// Where the listener is configured (`config.ini:3: [Sink.jsonrpc] port`), so that a start
    /// error (a port in use) names the file, line and key.
    fn listener_configured_at(&self) -> Option<String> {
        None
    }
    /// How the listener is served (e.g. `tls: cert.pem` or `plain`). Sinks share an address
    /// only when they agree on this; otherwise the registry refuses the later one.
    fn listener_settings(&self) -> String {
        match self.tls() {
            Some(files) => format!("tls: {}", files.certfile.display()),
            None => "plain".into(),
        }
    }
    /// The connectors it posts to, checked against the configured ones before the bot starts.
    fn connector_refs(&self) -> Vec<ConnectorRef> {
        Vec::new()
    }
    /// The routes, for the registry; `filter` must answer exactly these.
    fn routes(&self) -> Vec<RouteSpec>;
    /// The warp filter that serves the routes; it publishes what it accepts through `ctx`.
    fn filter(&self, ctx: Context) -> SinkFilter;
}
