//! `[Sink.jsonrpc]` and `[Sink.jsonrpc.NAME]`.

use switchboard_api::config::{Config, ConfigError, ConfigSection, SectionSpec, SectionView};
use switchboard_api::http::{is_loopback, key_error, ListenerKeys, ListenerSettings};

pub const SECTION: &str = "Sink.jsonrpc";

switchboard_api::config_section! {
    /// The keys of a JSON sink, `[Sink.jsonrpc]` or `[Sink.jsonrpc.NAME]`.
    pub struct JsonRpcKeys {
        /// The listener and limit keys every sink accepts.
        pub listener: ListenerKeys,
        /// The connector messages go to; the path's conversation id is a channel (`general` →
        /// `#general`) or, with `@`, a user on it.
        #[key(default = "console")]
        pub connector: String,
        /// When set, requests must carry `Authorization: Bearer <api_key>`. Off by default, as
        /// hangoutsbot had no auth; `check-config` warns about a sink without it on a
        /// non-loopback address. Prefer `api_key_env`.
        pub api_key: Option<String>,
        /// The name of an environment variable holding the API key, so it stays out of the
        /// file.
        #[key(example = "JSONRPC_API_KEY")]
        pub api_key_env: Option<String>,
    }
}

switchboard_api::config_section! {
    /// The hangoutsbot-compatible JSON sink: `POST /<conversation>` with `{"echo": text}`
    /// posts to `#conversation` (or, for `/@user`, to that user) on `connector`.
    #[section("Sink.jsonrpc", plugin, example_disabled)]
    pub struct JsonRpcSection {
        /// The keys of a JSON sink.
        pub keys: JsonRpcKeys,
    }
}

switchboard_api::config_section! {
    /// More JSON sinks, one per name, each on its own route set; their keys are those of
    /// `[Sink.jsonrpc]`.
    #[section("Sink.jsonrpc.*", plugin, example_description_only)]
    pub struct NamedJsonRpcSection {
        /// The keys of a JSON sink.
        pub keys: JsonRpcKeys,
    }
}

pub fn sections() -> Vec<SectionSpec> {
    vec![
        JsonRpcSection::spec().clone(),
        NamedJsonRpcSection::spec().clone(),
    ]
}

pub struct JsonRpcConfig {
    pub name: String,
    pub listener: ListenerSettings,
    pub connector: String,
    /// Where `connector` is named, for the check that such a connector exists.
    pub connector_ref: switchboard_api::ConnectorRef,
    pub api_key: Option<String>,
}

impl JsonRpcConfig {
    pub fn read(name: &str, view: &SectionView<'_>, config: &Config) -> Result<Self, ConfigError> {
        let keys: JsonRpcKeys = view.read()?;
        let listener = ListenerSettings::from_keys(keys.listener, view, config)?;
        // An empty key would turn auth off without a word: refused, as an unset variable is.
        if keys.api_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(key_error(
                view,
                "api_key",
                "is empty: give a key, or leave `api_key` out to accept requests without one"
                    .into(),
            ));
        }
        let mut api_key = keys.api_key;
        if let Some(var) = keys.api_key_env.filter(|v| !v.is_empty()) {
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
            connector_ref: switchboard_api::ConnectorRef::from_key(
                view,
                "connector",
                &keys.connector,
            ),
            connector: keys.connector,
            api_key,
        })
    }
}
