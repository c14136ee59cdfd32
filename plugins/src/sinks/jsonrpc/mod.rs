//! The hangoutsbot-compatible JSON sink: `POST /<conversation id>[/]` with
//! `{"echo": text, "image": {"base64encoded": ..., "filename": ...}}` posts to that conversation.
//! Answers `200 OK` (text/html, like the original's async sink) once the message is queued;
//! bad input gets 400 with a JSON reason where the original answered 500.

mod config;
mod payload;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use switchboard_api::config::{ConfigError, ConfigSection, SectionSpec};
use switchboard_api::http::catalogue::{
    BadConversation, BadJson, BadPayload, EmptyMessage, NotDelivered,
};
use switchboard_api::http::{signing, Answer, HandlerResult, Intake, Refusal, SinkRequest};
use switchboard_api::sink::SinkFilter;
use switchboard_api::{
    Context, Event, ListenerAddr, Plugin, PluginBuilder, RouteSpec, Sink, Target,
};
use warp::Reply;

use super::conversation_of;
pub use config::{sections, JsonRpcConfig, JsonRpcKeys, JsonRpcSection, NamedJsonRpcSection};
pub use payload::{parse, Image, Payload, PayloadError};

pub struct JsonRpcPlugin;

impl Plugin for JsonRpcPlugin {
    fn name(&self) -> &str {
        "jsonrpc"
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        sections()
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let (base, named) = (JsonRpcSection::spec(), NamedJsonRpcSection::spec());
        let mut found = Vec::new();
        if config.section(config::SECTION).is_some() {
            found.push(("jsonrpc".to_string(), config.view(config::SECTION, base)));
        }
        for name in config.instances(named) {
            let section = format!("{}.{name}", config::SECTION);
            found.push((format!("jsonrpc.{name}"), config.view(&section, named)));
        }
        let mut sinks = Vec::new();
        for (name, view) in found {
            if view.enabled() {
                sinks.push(JsonRpcSink {
                    config: JsonRpcConfig::read(&name, &view, config)?,
                });
            }
        }
        for sink in sinks {
            builder.add_sink(sink);
        }
        Ok(())
    }
}

pub struct JsonRpcSink {
    config: JsonRpcConfig,
}

impl Sink for JsonRpcSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn listener(&self) -> ListenerAddr {
        self.config.listener.addr.clone()
    }

    fn tls(&self) -> Option<switchboard_api::http::TlsFiles> {
        self.config.listener.tls.clone()
    }

    fn listener_configured_at(&self) -> Option<String> {
        Some(self.config.listener.configured_at.clone())
    }

    fn connector_refs(&self) -> Vec<switchboard_api::ConnectorRef> {
        vec![self.config.connector_ref.clone()]
    }

    fn routes(&self) -> Vec<RouteSpec> {
        vec![RouteSpec::new("POST", "/{conversation}")]
    }

    fn filter(&self, ctx: Context) -> SinkFilter {
        let mut intake = Intake::builder(
            &self.config.name,
            self.config.listener.limits.clone(),
            ctx.sink_counters().for_sink(&self.config.name),
        );
        if let Some(key) = &self.config.api_key {
            // Checked from the head, before the body: callers without the key take no slot.
            let key = signing::Secret::new(key.as_bytes());
            intake = intake.check_head(move |_, headers| {
                let authorization = headers.get("authorization").map(|v| v.as_bytes());
                Ok(signing::verify_bearer(
                    std::slice::from_ref(&key),
                    authorization,
                )?)
            });
        }
        let intake = intake.build();
        let handler = Arc::new(Handler {
            sink: self.config.name.clone(),
            connector: self.config.connector.clone(),
            ctx,
        });
        intake.serve(&self.routes()[0], move |request| {
            let handler = handler.clone();
            async move { handler.handle(request).await }
        })
    }
}

struct Handler {
    sink: String,
    connector: String,
    ctx: Context,
}

impl Handler {
    /// A request whose bearer key (when the sink has one) the intake has checked.
    async fn handle(&self, request: SinkRequest) -> HandlerResult {
        let id = request
            .path_segments()
            .into_iter()
            .next()
            .unwrap_or_default();
        let conversation = conversation_of(&id).map_err(|e| BadConversation::new(e.to_string()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let payload = parse(&request.body, now).map_err(refusal)?;
        let target = Target {
            connector: self.connector.clone(),
            conversation,
        };
        if let Some(image) = &payload.image {
            use base64::Engine;
            self.ctx.publish(Event::custom(
                "sink.image",
                serde_json::json!({
                    "sink": self.sink,
                    "connector": target.connector,
                    "conversation": target.conversation.to_string(),
                    "filename": image.filename,
                    "base64": base64::engine::general_purpose::STANDARD.encode(&image.bytes),
                }),
            ));
        }
        self.ctx
            .accept(target, payload.message())
            .await
            .map_err(|e| NotDelivered::new(e.to_string()))?;
        Ok(Answer::Accepted(
            warp::reply::with_header("OK", "content-type", "text/html; charset=utf-8")
                .into_response(),
        ))
    }
}

/// The catalogue's word for each payload problem: not JSON, nothing to send, or a payload that
/// cannot become a message.
fn refusal(error: PayloadError) -> Refusal {
    match error {
        PayloadError::NotJson(detail) => BadJson::new(detail).into(),
        PayloadError::NothingToSend => EmptyMessage::new("give `echo` or `image`").into(),
        other => BadPayload::new(other.to_string()).into(),
    }
}
