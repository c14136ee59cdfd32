//! `[Sink.jsonrpc]` and `[Sink.jsonrpc.NAME]`.

use switchboard_api::config::{Config, ConfigError, KeySpec, SectionSpec, SectionView, ValueKind};
use switchboard_api::http::{is_loopback, key_error, listener_keys, ListenerSettings};

pub const SECTION: &str = "Sink.jsonrpc";
pub const NAMED_SECTION: &str = "Sink.jsonrpc.*";

fn keys() -> Vec<KeySpec> {
    use ValueKind::*;
    let mut keys = listener_keys();
    keys.extend([
        KeySpec::new("connector", Text, "The connector messages go to; the path's conversation id is a channel (`general` → `#general`) or, with `@`, a user on it.").default("console"),
        KeySpec::new("api_key", Text, "When set, requests must carry `Authorization: Bearer <api_key>` (hangoutsbot had no auth, so it is off by default). Prefer `api_key_env`."),
        KeySpec::new("api_key_env", Text, "The name of an environment variable holding the API key, so it stays out of the file."),
    ]);
    keys
}

pub fn sections() -> Vec<SectionSpec> {
    vec![
        SectionSpec::plugin(
            SECTION,
            "The hangoutsbot-compatible JSON sink: `POST /<conversation>` with `{\"echo\": text}`.",
            keys(),
        ),
        SectionSpec::plugin(
            NAMED_SECTION,
            "More JSON sinks, one per name, each on its own route set.",
            keys(),
        ),
    ]
}

pub struct JsonRpcConfig {
    pub name: String,
    pub listener: ListenerSettings,
    pub connector: String,
    pub api_key: Option<String>,
}

impl JsonRpcConfig {
    pub fn read(name: &str, view: &SectionView<'_>, config: &Config) -> Result<Self, ConfigError> {
        let listener = ListenerSettings::read(view, config)?;
        let mut api_key = view.get_opt::<String>("api_key")?.filter(|k| !k.is_empty());
        if let Some(var) = view
            .get_opt::<String>("api_key_env")?
            .filter(|v| !v.is_empty())
        {
            match std::env::var(&var) {
                Ok(key) if !key.is_empty() => api_key = Some(key),
                _ => {
                    return Err(key_error(
                        view,
                        "api_key_env",
                        format!("the environment variable `{var}` is not set"),
                    ))
                }
            }
        }
        if api_key.is_none() && !is_loopback(&listener.addr.bind) {
            tracing::warn!(
                "[{}] listens on {} without `api_key`: anyone who can reach it can post to chat",
                view.name(),
                listener.addr
            );
        }
        Ok(JsonRpcConfig {
            name: name.to_string(),
            listener,
            connector: view.get("connector")?,
            api_key,
        })
    }
}
