//! Connectors: chat transports (console, IRC, HTTP bot, web chat).

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::event::{Message, Outbound};

/// Why a connector stopped, or could not send a message.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The bot is shutting down and takes no more messages.
    #[error("the bot is no longer taking messages")]
    Closed,
    /// Reading from or writing to the transport failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. `stdout`.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Anything else: the transport's own words, or another error.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl ConnectorError {
    /// An error from a sentence or from another error type.
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ConnectorError::Other(error.into())
    }
}

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
            .map_err(|_| ConnectorError::Closed)
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

/// A chat transport: reads messages into the bot and sends its replies.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// The instance name (the `NAME` of `[Connector.KIND.NAME]`); targets name connectors by it.
    fn name(&self) -> &str;
    /// The transport, e.g. `console` or `irc`.
    fn kind(&self) -> &str;
    /// How long a message may be and how fast messages may go out.
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
