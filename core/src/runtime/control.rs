//! `BotControl` for the running bot: requests go to the runtime's main loop.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::context::BotControl;

pub(crate) enum ControlRequest {
    Reload(oneshot::Sender<Result<String, String>>),
}

pub(crate) struct ChannelControl {
    pub requests: mpsc::Sender<ControlRequest>,
    pub shutdown: CancellationToken,
}

#[async_trait]
impl BotControl for ChannelControl {
    async fn reload(&self) -> Result<String, String> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(ControlRequest::Reload(tx))
            .await
            .map_err(|_| "the bot is shutting down".to_string())?;
        rx.await
            .map_err(|_| "the bot is shutting down".to_string())?
    }

    fn shutdown(&self) {
        self.shutdown.cancel();
    }
}
