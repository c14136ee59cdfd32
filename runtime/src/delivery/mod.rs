//! A message's whole way out: one queue per connector that splits and paces what it sends
//! ([`connector_queue`]), the durable outbox for messages accepted from outside the bot
//! ([`outbox`]), and the delivery report on the bus. Nothing outside this module hands a
//! message to a connector.

mod chunk;
mod claim;
mod connector_queue;
mod outbox;
mod queues;
mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use switchboard_api::{AcceptError, Connector, Outbound, ScopedStore, SendError};

pub use chunk::split_message;
pub use outbox::admin::{
    one_line as outbox_one_line, OutboxError, Outboxes, Selection as OutboxSelection,
    State as OutboxState, Waiting,
};
pub use outbox::adopt::adopt_stranded;
pub use outbox::scope as outbox_scope;
pub use rate_limit::RateLimiter;

use crate::bus::Bus;
use outbox::Outbox;
use queues::Queues;

/// The bot's delivery: shared by every context; started once the connectors are known.
pub struct Delivery {
    bus: Bus,
    queues: Arc<Queues>,
    outbox: Outbox,
}

impl Delivery {
    /// Delivery on `bus`, with no connector yet and the outbox closed.
    pub fn new(bus: Bus) -> Self {
        Delivery {
            bus,
            queues: Arc::default(),
            outbox: Outbox::default(),
        }
    }

    /// Starts a queue for `connector`; the task ends once every sender of it is gone.
    pub fn attach(&self, connector: Arc<dyn Connector>) -> JoinHandle<()> {
        self.queues.attach(connector, self.bus.clone())
    }

    /// Opens the outbox on `store`: it first delivers what an earlier run left there. Its
    /// tasks run on `tasks` (which shutdown waits for); it stops retrying at `shutdown`.
    pub fn open_outbox(&self, store: ScopedStore, tasks: TaskTracker, shutdown: CancellationToken) {
        self.outbox.start(
            self.queues.clone(),
            self.bus.clone(),
            store,
            tasks,
            shutdown,
        );
    }

    /// Takes no more messages from outside; what was accepted is still delivered.
    pub fn close_outbox(&self) {
        self.outbox.close();
    }

    /// Queues a message for its connector.
    pub async fn send(&self, message: Outbound) -> Result<(), SendError> {
        self.queues.queue(&self.bus, message, None, None).await
    }

    /// Queues a message and waits until its connector has sent every chunk of it.
    pub async fn deliver(&self, message: Outbound) -> Result<(), SendError> {
        self.queues
            .queue_tracked(&self.bus, message, None)
            .await?
            .await
    }

    /// Returns once the message is sent by its connector or durable in the outbox.
    pub async fn accept(&self, message: Outbound) -> Result<(), AcceptError> {
        self.outbox.accept(message).await
    }

    /// Waits until each connector has been handed what is queued for it.
    pub async fn flush(&self, timeout: Duration) {
        self.queues.flush(timeout).await;
    }

    /// For tests: how long an accept waits for its message to be sent before writing it.
    #[cfg(test)]
    pub(crate) fn set_sent_wait(&self, wait: Duration) {
        self.outbox.set_sent_wait(wait);
    }
}
