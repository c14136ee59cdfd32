//! A service that hands the plugin the custom bus events on the topics it declared.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use switchboard_plugin_sdk::{EventRequest, Request};
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use switchboard_api::context::Context;
use switchboard_api::event::Event;
use switchboard_api::service::{Health, Service, ServiceError};

pub struct TopicService {
    pub name: String,
    pub plugin: String,
    pub topics: Vec<String>,
    pub backend: Arc<dyn Backend>,
    pub timeout: Duration,
    pub task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[async_trait]
impl Service for TopicService {
    fn name(&self) -> &str {
        &self.name
    }

    async fn start(&self, ctx: Context, stop: CancellationToken) -> Result<(), ServiceError> {
        let mut events = ctx.subscribe();
        let (topics, backend, timeout, plugin) = (
            self.topics.clone(),
            self.backend.clone(),
            self.timeout,
            self.plugin.clone(),
        );
        let task = tokio::spawn(async move {
            // Until the stop, then the events published before it.
            while let Some(event) = events.recv_until(&stop).await {
                let Event::Custom(custom) = event else {
                    continue;
                };
                if !topics.contains(&custom.topic) {
                    continue;
                }
                let request = Request::Event(EventRequest {
                    topic: custom.topic.clone(),
                    payload: custom.payload.clone(),
                });
                if let Err(error) = backend.call(request, &ctx, timeout).await {
                    super::report(&ctx, &plugin, &format!("event `{}`", custom.topic), &error);
                }
            }
        });
        if let Ok(mut slot) = self.task.lock() {
            *slot = Some(task);
        }
        Ok(())
    }

    async fn stop(&self) -> Result<(), ServiceError> {
        // `stop` is cancelled by now: the task hands over what was published before it, each
        // call bounded by the plugin's call timeout; a plugin that still holds it up is cut off.
        if let Some(mut task) = self.task.lock().ok().and_then(|mut t| t.take()) {
            let wait = self.timeout.saturating_mul(4).max(Duration::from_secs(1));
            if tokio::time::timeout(wait, &mut task).await.is_err() {
                tracing::warn!(plugin = %self.plugin, "event hand-over did not finish within {wait:?}; aborted");
                task.abort();
            }
        }
        Ok(())
    }

    async fn health(&self) -> Health {
        Health::Healthy
    }
}
