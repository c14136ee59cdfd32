//! `[Sink.webhook.NAME]`: one signed webhook route.

use std::time::Duration;

use switchboard_api::config::{
    Config, ConfigError, FromConfigValue, SectionView, ValueError, ValueKind,
};
use switchboard_api::http::signing::Secret;
use switchboard_api::http::{is_loopback, key_error, ListenerKeys, ListenerSettings};
use switchboard_api::{Conversation, Target};

use super::template::MessageTemplate;
use super::verify::{Mode, Verifier, MODES};
use crate::sinks::conversation_of;

switchboard_api::config_section! {
    /// One signed webhook route: verifies the sender, drops redeliveries, renders the JSON
    /// body through `template` and posts it to `target` on `connector`.
    #[section("Sink.webhook.*", plugin, instance = "github", example_disabled)]
    pub struct WebhookSection {
        /// The listener and limit keys every sink accepts.
        pub listener: ListenerKeys,
        /// The route (POST), e.g. `/hooks/github`.
        #[key(default_doc = "`/hooks/NAME`", example = "/hooks/github")]
        pub path: Option<String>,
        /// How callers are checked: `standard-webhooks`, `github`, `stripe`, `hmac-sha256`,
        /// `bearer`, or `none` (only on a loopback `bind`).
        #[key(default = "standard-webhooks", example = "github")]
        pub verify: Mode,
        /// The secrets (bearer tokens for `bearer`), comma-separated. Any one verifies: to
        /// rotate, add the new secret, switch the sender, then remove the old one. For
        /// `standard-webhooks` each is `whsec_` + base64. Prefer `secrets_env`.
        pub secrets: Option<Vec<String>>,
        /// The name of an environment variable holding comma-separated secrets (added to
        /// `secrets`).
        #[key(example = "GITHUB_WEBHOOK_SECRET", example_set = true)]
        pub secrets_env: Option<String>,
        /// For `verify = hmac-sha256`: the header holding the hex HMAC-SHA256 of the body
        /// (`sha256=` prefix optional).
        #[key(default = "x-signature")]
        pub signature_header: String,
        /// How far a signed timestamp may be from now (`standard-webhooks`, `stripe`), either
        /// way. Older or newer: `401 stale_timestamp`.
        #[key(default = "5m")]
        pub tolerance: Duration,
        /// How long delivery ids are remembered to drop redeliveries; at least `tolerance`.
        /// Kept in the store, so a restart does not forget them.
        #[key(default = "24h")]
        pub dedupe_window: Duration,
        /// The chat message, rendered from the JSON body: `{{ field.path }}` placeholders
        /// ([minijinja](https://docs.rs/minijinja) syntax, and filters such as `length`). A
        /// missing field renders as nothing. The body must be a JSON object.
        #[key(
            example = "[{{ repository.full_name }}] {{ sender.login }} pushed {{ commits | length }} commit(s)"
        )]
        pub template: String,
        /// The connector the message goes to.
        #[key(default = "console")]
        pub connector: String,
        /// Where on that connector: `#channel` (or `channel`) or `@user`.
        #[key(example = "#dev")]
        pub target: String,
    }
}

/// The word of [`MODES`] that names `mode`.
fn mode_word(mode: Mode) -> &'static str {
    MODES
        .iter()
        .find(|word| Mode::parse(word) == Some(mode))
        .copied()
        .unwrap_or_default()
}

/// `verify`: one of [`MODES`], in any case.
impl FromConfigValue for Mode {
    const KIND: ValueKind = ValueKind::Choice(MODES);
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        Mode::parse(raw)
            .ok_or_else(|| ValueError::expected(format!("one of {}", MODES.join(", ")), raw))
    }
}

pub struct WebhookConfig {
    pub name: String,
    pub listener: ListenerSettings,
    pub path: String,
    pub verifier: Verifier,
    pub dedupe_window: Duration,
    pub template: MessageTemplate,
    /// Where `connector` is named, for the check that such a connector exists.
    pub connector_ref: switchboard_api::ConnectorRef,
    pub target: Target,
}

impl WebhookConfig {
    pub fn read(name: &str, view: &SectionView<'_>, config: &Config) -> Result<Self, ConfigError> {
        let section: WebhookSection = view.read()?;
        let listener = ListenerSettings::from_keys(section.listener, view, config)?;
        let path = section.path.unwrap_or_else(|| format!("/hooks/{name}"));
        if !path.starts_with('/') {
            return Err(key_error(
                view,
                "path",
                "the path must start with `/`".into(),
            ));
        }
        let mode = section.verify;
        let verify = mode_word(mode);
        let mut raw: Vec<String> = section.secrets.unwrap_or_default();
        if let Some(var) = section.secrets_env.filter(|v| !v.is_empty()) {
            let value = std::env::var(&var).map_err(|_| {
                key_error(
                    view,
                    "secrets_env",
                    format!("the environment variable `{var}` is not set"),
                )
            })?;
            raw.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
        }
        let secrets = raw
            .iter()
            .map(|s| match mode {
                Mode::StandardWebhooks => Secret::standard_webhooks(s),
                _ => Ok(Secret::new(s.as_bytes())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| key_error(view, "secrets", e.to_string()))?;
        match mode {
            Mode::None if !is_loopback(&listener.addr.bind) => return Err(key_error(
                view,
                "verify",
                "`verify = none` is only allowed on a loopback `bind` (127.0.0.1, ::1, localhost)"
                    .into(),
            )),
            Mode::None => {}
            _ if secrets.is_empty() => {
                return Err(key_error(
                    view,
                    "secrets",
                    format!("`verify = {verify}` needs `secrets` or `secrets_env`"),
                ))
            }
            _ => {}
        }
        let tolerance = section.tolerance;
        let dedupe_window = section.dedupe_window;
        if dedupe_window < tolerance {
            return Err(key_error(
                view,
                "dedupe_window",
                "must be at least `tolerance`, or a replay inside the tolerance would be delivered twice".into(),
            ));
        }
        let template = MessageTemplate::compile(&section.template)
            .map_err(|m| key_error(view, "template", m))?;
        let conversation: Conversation = conversation_of(&section.target).map_err(|e| {
            key_error(
                view,
                "target",
                format!("expected `#channel`, `channel` or `@user`: {e}"),
            )
        })?;
        Ok(WebhookConfig {
            name: format!("webhook.{name}"),
            listener,
            path,
            verifier: Verifier {
                mode,
                secrets,
                signature_header: section.signature_header,
                tolerance,
            },
            dedupe_window,
            template,
            connector_ref: switchboard_api::ConnectorRef::from_key(
                view,
                "connector",
                &section.connector,
            ),
            target: Target {
                connector: section.connector,
                conversation,
            },
        })
    }
}
