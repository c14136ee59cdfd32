//! Long-running services: a [`Service`] starts its own work and reports its [`Health`]; the
//! runtime's supervisor starts it, polls its health, restarts it with backoff when it turns
//! unhealthy and gives up after too many consecutive failed starts.

use std::fmt;

use tokio_util::sync::CancellationToken;

use crate::context::Context;

/// What a service says about itself when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Still starting up: not ready yet, not broken either.
    Starting,
    /// Working.
    Healthy,
    /// Not working, and why; the supervisor restarts it.
    Unhealthy(String),
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Starting => f.write_str("starting"),
            Health::Healthy => f.write_str("healthy"),
            Health::Unhealthy(reason) => write!(f, "unhealthy: {reason}"),
        }
    }
}

/// Why a service could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Its store could not be read or written.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// Anything else: a sentence, or another error.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    /// An error from a sentence or from another error type.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ServiceError::Other(error.into())
    }
}

/// A long-running task with start/stop/health, run by the runtime's supervisor.
#[async_trait::async_trait]
pub trait Service: Send + Sync + 'static {
    /// Its name, in states and logs.
    fn name(&self) -> &str;

    /// Starts the service's work (spawning its own tasks) and returns. `ctx` is how it talks to
    /// the bot (bus, send, storage, config); `stop` is its own shutdown signal, cancelled before
    /// [`Service::stop`] is called.
    async fn start(&self, ctx: Context, stop: CancellationToken) -> Result<(), ServiceError>;

    /// Stops the work started by `start` (called before a restart and at shutdown).
    /// Called once after every call to `start`, including one that failed.
    async fn stop(&self) -> Result<(), ServiceError>;

    /// Asked every `health_interval`; must answer within that interval.
    async fn health(&self) -> Health;
}
