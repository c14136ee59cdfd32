//! `BotControl` for the running bot: requests go to the runtime's main loop.

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use switchboard_api::{async_trait, BotControl, ReloadError};

pub(crate) enum ControlRequest {
    Reload(oneshot::Sender<Result<String, ReloadError>>),
}

pub(crate) struct ChannelControl {
    pub requests: mpsc::Sender<ControlRequest>,
    pub shutdown: CancellationToken,
}

#[async_trait]
impl BotControl for ChannelControl {
    async fn reload(&self) -> Result<String, ReloadError> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(ControlRequest::Reload(tx))
            .await
            .map_err(|_| ReloadError::ShuttingDown)?;
        rx.await.map_err(|_| ReloadError::ShuttingDown)?
    }

    fn shutdown(&self) {
        self.shutdown.cancel();
    }
}
