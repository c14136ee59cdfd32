//! The host services an exec plugin calls while it handles a request: log, publish, send,
//! key-value storage and its config section.

use serde_json::Value;

use super::protocol::HostCall;
use switchboard_api::context::Context;
use switchboard_api::event::{Event, Target};

/// Carries out one host call; answers `(ref, outcome)` for calls that want an answer.
pub(super) async fn host_call(
    name: &str,
    call: HostCall,
    ctx: Option<&Context>,
) -> Option<(u64, Result<Value, String>)> {
    let no_ctx = || Err("host services work while the plugin handles a request".to_string());
    match call {
        HostCall::Log { level, message } => {
            match level.as_str() {
                "error" => tracing::error!(plugin = %name, "{message}"),
                "warn" => tracing::warn!(plugin = %name, "{message}"),
                "debug" => tracing::debug!(plugin = %name, "{message}"),
                _ => tracing::info!(plugin = %name, "{message}"),
            }
            None
        }
        HostCall::Publish { topic, payload } => {
            if let Some(ctx) = ctx {
                ctx.publish(Event::custom(topic, payload));
            }
            None
        }
        HostCall::Send {
            connector,
            channel,
            user,
            text,
            reference,
        } => {
            let outcome = match (ctx, channel, user) {
                (None, ..) => no_ctx(),
                (Some(ctx), Some(channel), None) => ctx
                    .send(Target::channel(connector, channel), text)
                    .await
                    .map(|()| Value::Bool(true))
                    .map_err(|e| e.to_string()),
                (Some(ctx), None, Some(user)) => ctx
                    .send(Target::direct(connector, user), text)
                    .await
                    .map(|()| Value::Bool(true))
                    .map_err(|e| e.to_string()),
                _ => Err("send needs exactly one of `channel` and `user`".into()),
            };
            reference.map(|r| (r, outcome))
        }
        HostCall::KvGet { key, reference } => {
            let outcome = match ctx {
                None => no_ctx(),
                Some(ctx) => ctx
                    .storage()
                    .get(&key)
                    .await
                    .map(|v| v.map_or(Value::Null, Value::String))
                    .map_err(|e| e.to_string()),
            };
            Some((reference, outcome))
        }
        HostCall::KvPut {
            key,
            value,
            reference,
        } => {
            let outcome = match ctx {
                None => no_ctx(),
                Some(ctx) => ctx
                    .storage()
                    .put(&key, &value)
                    .await
                    .map(|()| Value::Bool(true))
                    .map_err(|e| e.to_string()),
            };
            reference.map(|r| (r, outcome))
        }
        HostCall::Config { reference } => {
            let outcome = match ctx {
                None => no_ctx(),
                Some(ctx) => Ok(Value::from(crate::section_values(&ctx.config(), name))),
            };
            Some((reference, outcome))
        }
    }
}
