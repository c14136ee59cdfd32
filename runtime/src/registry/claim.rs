//! What a plugin claims, and how two claims on one thing are reported.

use std::fmt;

use switchboard_api::plugin::Source;
use switchboard_api::sink::ListenerAddr;

/// Something only one plugin may own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    Plugin(String),
    /// A command name or alias, lower case: names and aliases share one namespace.
    Keyword(String),
    Route {
        listener: ListenerAddr,
        method: String,
        path: String,
    },
    /// A whole listener address, for parts that own their server rather than share it.
    Listener(ListenerAddr),
    Connector(String),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Plugin(name) => write!(f, "plugin name `{name}`"),
            Resource::Keyword(word) => write!(f, "command keyword `{word}`"),
            Resource::Route {
                listener,
                method,
                path,
            } => write!(f, "route `{method} {path}` on {listener}"),
            Resource::Listener(addr) => write!(f, "listener {addr}"),
            Resource::Connector(name) => write!(f, "connector name `{name}`"),
        }
    }
}

/// One claim: what, by which plugin from where, and which of its parts wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub resource: Resource,
    pub plugin: String,
    pub source: Source,
    /// The part making the claim, e.g. "command `ping`" or "alias of `ping` set at config.ini:12".
    pub part: String,
    /// Claims with the same key share the resource instead of colliding (sinks on one listener
    /// with the same settings). `None` claims it alone.
    pub share_key: Option<String>,
}

impl Claim {
    /// Whether two claims on the same resource can both stand.
    pub fn shares_with(&self, other: &Claim) -> bool {
        self.share_key.is_some() && self.share_key == other.share_key
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin `{}` ({}; {})",
            self.plugin, self.source, self.part
        )
    }
}

/// Two claims on one resource. `first` keeps it; the plugin of `second` is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub first: Claim,
    pub second: Claim,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is claimed by {} and by {}",
            self.first.resource, self.first, self.second
        )
    }
}
