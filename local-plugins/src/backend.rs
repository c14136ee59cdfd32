//! What the adapters need from a loaded local plugin, native or exec: its declarations and one
//! JSON call.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use switchboard_plugin_sdk::{Declarations, Request};

use switchboard_api::context::Context;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin answered with an error of its own; it is shown to the user as is.
    #[error("{0}")]
    Plugin(String),
    /// The plugin panicked or hung, or answered something that is not the protocol: it is
    /// faulted and takes no more calls.
    #[error("{0}")]
    Fault(String),
    /// The plugin is unavailable for now (an exec plugin restarting, a call timing out on a
    /// process that will be restarted).
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    fn declarations(&self) -> &Declarations;
    /// `native` or `exec`, for listings.
    fn kind(&self) -> &'static str;
    /// Stops what runs on the plugin's behalf (an exec plugin's process); later calls fail.
    /// A native library cannot be stopped: it is never unloaded.
    fn stop(&self) {}
    /// Hands it the bot's context once the bot runs, so that what happens between calls (an
    /// exec plugin's process exiting while idle) is reported in the plugin's state at once.
    fn attach(&self, _ctx: &Context) {}
    /// Sends one request and waits at most `timeout` for the answer.
    async fn call(
        &self,
        request: Request,
        ctx: &Context,
        timeout: Duration,
    ) -> Result<Value, CallError>;
}

/// Stands in for a plugin switched off in the config; it is never registered or called.
pub struct Disabled;

#[async_trait]
impl Backend for Disabled {
    fn declarations(&self) -> &Declarations {
        static NONE: std::sync::OnceLock<Declarations> = std::sync::OnceLock::new();
        NONE.get_or_init(Declarations::default)
    }

    fn kind(&self) -> &'static str {
        "disabled"
    }

    async fn call(&self, _: Request, _: &Context, _: Duration) -> Result<Value, CallError> {
        Err(CallError::Unavailable("the plugin is disabled".into()))
    }
}
