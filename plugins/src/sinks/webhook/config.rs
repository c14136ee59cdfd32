//! `[Sink.webhook.NAME]`: one signed webhook route.

use std::time::Duration;

use switchboard_api::config::{Config, ConfigError, KeySpec, SectionSpec, SectionView, ValueKind};
use switchboard_api::http::signing::Secret;
use switchboard_api::http::{is_loopback, key_error, listener_keys, ListenerSettings};
use switchboard_api::{Conversation, Target};

use super::template::MessageTemplate;
use super::verify::{Mode, Verifier, MODES};
use crate::sinks::conversation_of;

pub const SECTION: &str = "Sink.webhook.*";

pub fn section() -> SectionSpec {
    use ValueKind::*;
    let mut keys = listener_keys();
    keys.extend([
        KeySpec::new("path", Text, "The route, e.g. `/hooks/github`. Default: `/hooks/NAME`."),
        KeySpec::new("verify", Choice(MODES), "How callers are checked: standard-webhooks, github, stripe, hmac-sha256, bearer, or none (loopback only).").default("standard-webhooks"),
        KeySpec::new("secrets", List, "The secrets (or bearer tokens), comma-separated; any one verifies, so add the new one, switch the sender, then remove the old. Prefer `secrets_env`."),
        KeySpec::new("secrets_env", Text, "The name of an environment variable holding the comma-separated secrets."),
        KeySpec::new("signature_header", Text, "For `verify = hmac-sha256`: the header with the hex HMAC-SHA256 of the body (`sha256=` prefix optional).").default("x-signature"),
        KeySpec::new("tolerance", Duration, "How far a signed timestamp may be from now (standard-webhooks, stripe).").default("5m"),
        KeySpec::new("dedupe_window", Duration, "How long delivery ids are remembered to drop redeliveries; at least `tolerance`.").default("24h"),
        KeySpec::new("template", Text, "The chat message, rendered from the JSON body: `{{ field.path }}` placeholders (minijinja); missing fields render as nothing."),
        KeySpec::new("connector", Text, "The connector the message goes to.").default("console"),
        KeySpec::new("target", Text, "Where on that connector: `#channel` (or `channel`) or `@user`."),
    ]);
    SectionSpec::plugin(
        SECTION,
        "One signed webhook route: verify, dedupe, render a template, post to chat.",
        keys,
    )
}

pub struct WebhookConfig {
    pub name: String,
    pub listener: ListenerSettings,
    pub path: String,
    pub verifier: Verifier,
    pub dedupe_window: Duration,
    pub template: MessageTemplate,
    pub target: Target,
}

impl WebhookConfig {
    pub fn read(name: &str, view: &SectionView<'_>, config: &Config) -> Result<Self, ConfigError> {
        let listener = ListenerSettings::read(view, config)?;
        let path = view
            .get_opt::<String>("path")?
            .unwrap_or_else(|| format!("/hooks/{name}"));
        if !path.starts_with('/') {
            return Err(key_error(
                view,
                "path",
                "the path must start with `/`".into(),
            ));
        }
        let verify: String = view.get("verify")?;
        let mode = Mode::parse(&verify)
            .ok_or_else(|| key_error(view, "verify", format!("unknown mode `{verify}`")))?;
        let mut raw: Vec<String> = view.get_opt("secrets")?.unwrap_or_default();
        if let Some(var) = view
            .get_opt::<String>("secrets_env")?
            .filter(|v| !v.is_empty())
        {
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
            .map_err(|m| key_error(view, "secrets", m))?;
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
        let tolerance: Duration = view.get("tolerance")?;
        let dedupe_window: Duration = view.get("dedupe_window")?;
        if dedupe_window < tolerance {
            return Err(key_error(
                view,
                "dedupe_window",
                "must be at least `tolerance`, or a replay inside the tolerance would be delivered twice".into(),
            ));
        }
        let template = MessageTemplate::compile(&view.get::<String>("template")?)
            .map_err(|m| key_error(view, "template", m))?;
        let target_text: String = view.get("target")?;
        let conversation: Conversation = conversation_of(&target_text).ok_or_else(|| {
            key_error(
                view,
                "target",
                "expected `#channel`, `channel` or `@user`".into(),
            )
        })?;
        Ok(WebhookConfig {
            name: format!("webhook.{name}"),
            listener,
            path,
            verifier: Verifier {
                mode,
                secrets,
                signature_header: view.get("signature_header")?,
                tolerance,
            },
            dedupe_window,
            template,
            target: Target {
                connector: view.get("connector")?,
                conversation,
            },
        })
    }
}
