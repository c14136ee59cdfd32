//! Connectors: chat transports (console, IRC, HTTP bot, web chat).

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::event::{Message, Outbound};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConnectorError(pub String);

/// What the core gives a running connector.
pub struct ConnectorIo {
    inbound: mpsc::Sender<Message>,
    intake: CancellationToken,
    shutdown: CancellationToken,
}

impl ConnectorIo {
    /// The runtime builds one per running connector.
    pub fn new(
        inbound: mpsc::Sender<Message>,
        intake: CancellationToken,
        shutdown: CancellationToken,
    ) -> Self {
        ConnectorIo {
            inbound,
            intake,
            shutdown,
        }
    }

    /// Hands one inbound message to the dispatcher, waiting while it is busy. An error means
    /// the bot is shutting down and no longer takes messages.
    pub async fn receive(&self, message: Message) -> Result<(), ConnectorError> {
        self.inbound
            .send(message)
            .await
            .map_err(|_| ConnectorError("the bot is no longer taking messages".into()))
    }

    /// Cancelled when the connector must stop reading (shutdown has begun).
    pub fn intake_stopped(&self) -> &CancellationToken {
        &self.intake
    }

    /// Asks the bot to shut down gracefully, e.g. when the console's input ends.
    pub fn request_shutdown(&self) {
        self.shutdown.cancel();
    }
}

/// Per-connector limits on what goes out, applied by the core before `send`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboundLimits {
    /// Longest message in UTF-8 bytes; longer replies are split. 0 = no limit.
    pub max_message_length: usize,
    /// Messages per second; 0 = unlimited.
    pub rate_limit: f64,
    /// Messages that may go out at once before the rate applies.
    pub rate_burst: u32,
}

impl Default for OutboundLimits {
    fn default() -> Self {
        OutboundLimits {
            max_message_length: 0,
            rate_limit: 0.0,
            rate_burst: 5,
        }
    }
}

#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// The instance name (the `NAME` of `[Connector.KIND.NAME]`); targets name connectors by it.
    fn name(&self) -> &str;
    /// The transport, e.g. `console` or `irc`.
    fn kind(&self) -> &str;
    fn limits(&self) -> OutboundLimits {
        OutboundLimits::default()
    }
    /// Admin user ids on this connector.
    fn admins(&self) -> Vec<String> {
        Vec::new()
    }
    /// Users this connector's messages are never answered for, from config.
    fn ignored(&self) -> Vec<String> {
        Vec::new()
    }
    /// Reads from the transport until `io.intake_stopped()` or the transport ends.
    async fn run(&self, io: ConnectorIo) -> Result<(), ConnectorError>;
    /// Sends one message, already split to fit `limits()`.
    async fn send(&self, message: &Outbound) -> Result<(), ConnectorError>;
}
