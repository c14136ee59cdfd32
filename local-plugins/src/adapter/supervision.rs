//! A service that hands a local plugin's backend the bot's context when the bot starts, so
//! that an exec plugin's process dying while idle is reported at once rather than at the next
//! call.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use switchboard_api::context::Context;
use switchboard_api::service::{Health, Service, ServiceError};

pub struct Supervision {
    pub name: String,
    pub backend: Arc<dyn Backend>,
}

#[async_trait]
impl Service for Supervision {
    fn name(&self) -> &str {
        &self.name
    }

    async fn start(&self, ctx: Context, _stop: CancellationToken) -> Result<(), ServiceError> {
        self.backend.attach(&ctx);
        Ok(())
    }

    async fn stop(&self) -> Result<(), ServiceError> {
        Ok(())
    }

    /// Always healthy: the plugin's own state (active, faulted while it restarts) is in the
    /// plugin listing, and restarting this service would not restart the process sooner.
    async fn health(&self) -> Health {
        Health::Healthy
    }
}
