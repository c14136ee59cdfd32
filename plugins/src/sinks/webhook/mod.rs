//! Signed webhooks to chat: each `[Sink.webhook.NAME]` is one route that verifies its caller
//! (Standard Webhooks, GitHub, Stripe, plain HMAC, bearer), drops redeliveries by their
//! delivery id, renders the JSON body through a template and hands the message to the outbox.
//! Answers 202 once the message is sent or durable (200 for a duplicate).

mod config;
mod template;
mod verify;

use std::sync::Arc;
use std::time::SystemTime;

use switchboard_api::config::{ConfigError, ConfigSection, SectionSpec};
use switchboard_api::http::catalogue::{BadJson, BadPayload, EmptyMessage, NotDelivered};
use switchboard_api::http::{
    json_ok, Answer, HandlerResult, IdempotencyKeys, Intake, SinkRequest, TlsFiles,
};
use switchboard_api::sink::SinkFilter;
use switchboard_api::{Context, ListenerAddr, Plugin, PluginBuilder, RouteSpec, ScopedStore, Sink};
use warp::http::StatusCode;

pub use config::{WebhookConfig, WebhookSection};
pub use template::MessageTemplate;
pub use verify::{Mode, Verifier};

pub struct WebhookPlugin;

impl Plugin for WebhookPlugin {
    fn name(&self) -> &str {
        "webhook"
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        vec![WebhookSection::spec().clone()]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let spec = WebhookSection::spec();
        let mut sinks = Vec::new();
        for name in config.instances(spec) {
            let view = config.view(&format!("Sink.webhook.{name}"), spec);
            if view.enabled() {
                sinks.push(WebhookSink {
                    config: Arc::new(WebhookConfig::read(name, &view, config)?),
                });
            }
        }
        for sink in sinks {
            builder.add_sink(sink);
        }
        Ok(())
    }
}

pub struct WebhookSink {
    config: Arc<WebhookConfig>,
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn listener(&self) -> ListenerAddr {
        self.config.listener.addr.clone()
    }

    fn tls(&self) -> Option<TlsFiles> {
        self.config.listener.tls.clone()
    }

    fn listener_configured_at(&self) -> Option<String> {
        Some(self.config.listener.configured_at.clone())
    }

    fn connector_refs(&self) -> Vec<switchboard_api::ConnectorRef> {
        vec![self.config.connector_ref.clone()]
    }

    fn routes(&self) -> Vec<RouteSpec> {
        vec![RouteSpec::new("POST", &self.config.path)]
    }

    fn filter(&self, ctx: Context) -> SinkFilter {
        let name = &self.config.name;
        let config = self.config.clone();
        // The head is checked before the body: callers without a valid key, or without a
        // signature at all, take no slot.
        let intake = Intake::builder(
            name,
            self.config.listener.limits.clone(),
            ctx.sink_counters().for_sink(name),
        )
        .check_head(move |_, headers| config.verifier.check_head(headers))
        .build();
        let handler = Arc::new(Handler {
            keys: IdempotencyKeys::new(
                ScopedStore::new(ctx.store(), format!("sink:{name}:delivered")),
                self.config.dedupe_window,
                ctx.background_tasks().clone(),
            ),
            config: self.config.clone(),
            ctx,
        });
        intake.serve(&self.routes()[0], move |request| {
            let handler = handler.clone();
            async move { handler.handle(request).await }
        })
    }
}

struct Handler {
    config: Arc<WebhookConfig>,
    keys: IdempotencyKeys,
    ctx: Context,
}

impl Handler {
    async fn handle(&self, request: SinkRequest) -> HandlerResult {
        let header_key = self.config.verifier.verify(&request, SystemTime::now())?;
        let body: serde_json::Value =
            serde_json::from_slice(&request.body).map_err(|e| BadJson::new(e.to_string()))?;
        let key = match self.config.verifier.mode {
            Mode::Stripe => verify::delivery_id(body.get("id").and_then(|v| v.as_str()))?,
            _ => header_key,
        };
        let text = self
            .config
            .template
            .render(&body)
            .map_err(BadPayload::new)?;
        if text.is_empty() {
            return Err(
                EmptyMessage::new("the template rendered an empty message for this body").into(),
            );
        }
        if let Some(key) = &key {
            let first = self.keys.first_time(key).await.map_err(|e| {
                NotDelivered::new(format!("the delivery id could not be recorded: {e}"))
            })?;
            if !first {
                return Ok(Answer::Duplicate(json_ok(
                    StatusCode::OK,
                    &serde_json::json!({"status": 200, "duplicate": true, "id": key}),
                )));
            }
        }
        if let Err(e) = self.ctx.accept(self.config.target.clone(), text).await {
            if let Some(key) = &key {
                // Let the sender's retry through: the message was withdrawn, not delivered.
                let _ = self.keys.forget(key).await;
            }
            return Err(NotDelivered::new(e.to_string()).into());
        }
        Ok(Answer::Accepted(json_ok(
            StatusCode::ACCEPTED,
            &serde_json::json!({"status": 202, "accepted": true, "id": key, "request_id": request.request_id}),
        )))
    }
}
