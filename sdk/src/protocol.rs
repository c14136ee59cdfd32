//! The JSON that crosses the boundary, shared by native plugins and exec plugins.
//!
//! The host sends a [`Request`]; a command answers `{"reply": "text" | null}`, an event `{}`,
//! an HTTP request an [`HttpResponse`]. A plugin describes itself with [`Declarations`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a plugin offers, read once when it is loaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declarations {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub commands: Vec<CommandDeclaration>,
    /// Bus topics whose custom events the plugin receives.
    #[serde(default)]
    pub topics: Vec<String>,
    /// HTTP routes, served on the listener set in the plugin's config section.
    #[serde(default)]
    pub routes: Vec<RouteDeclaration>,
    /// Keys the plugin reads from its config section (besides `enabled`, `bind`, `port`).
    #[serde(default)]
    pub config_keys: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDeclaration {
    pub name: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub usage: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Seconds a user waits between two runs.
    #[serde(default)]
    pub cooldown_user_secs: u64,
    /// Seconds a channel waits between two runs.
    #[serde(default)]
    pub cooldown_channel_secs: u64,
    #[serde(default)]
    pub dm_only: bool,
    #[serde(default)]
    pub admin_only: bool,
}

impl CommandDeclaration {
    pub fn new(name: &str, help: &str) -> Self {
        CommandDeclaration {
            name: name.into(),
            help: help.into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDeclaration {
    pub method: String,
    /// `{name}` matches one path segment, e.g. `/hello/{who}`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Command(CommandRequest),
    Event(EventRequest),
    Http(HttpRequest),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRequest {
    /// The command's declared name.
    pub command: String,
    /// The keyword as typed (the name or an alias).
    pub keyword: String,
    pub args: String,
    pub sender: String,
    pub connector: String,
    /// The channel, or `None` in a direct conversation.
    pub channel: Option<String>,
    pub sender_is_admin: bool,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    pub topic: String,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    /// The declared route that matched, e.g. `/hello/{who}`.
    pub route: String,
    pub path: String,
    /// Values of the route's `{name}` segments.
    pub params: BTreeMap<String, String>,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON when it is JSON, else as a string.
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Value,
}

impl HttpResponse {
    pub fn json(status: u16, body: Value) -> Self {
        HttpResponse {
            status,
            headers: BTreeMap::new(),
            body,
        }
    }
}

/// Where [`Host::send`](crate::Host::send) delivers: a channel or a user on a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendTarget {
    pub connector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}
