//! Every connector's queue, by connector name: where a message is handed over, and what
//! tracks it until its connector has sent it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use switchboard_api::{Connector, Event, Outbound, SendError};

use super::claim::Claim;
use super::connector_queue::{self, Request};
use crate::bus::Bus;

#[derive(Default)]
pub(super) struct Queues {
    by_connector: ArcSwap<HashMap<String, mpsc::Sender<Request>>>,
}

impl Queues {
    /// Starts a queue for `connector`; messages to its name go there from now on.
    pub(super) fn attach(&self, connector: Arc<dyn Connector>, bus: Bus) -> JoinHandle<()> {
        let name = connector.name().to_string();
        let (queue, task) = connector_queue::spawn(connector, bus);
        let mut queues = (*self.by_connector.load_full()).clone();
        queues.insert(name, queue);
        self.by_connector.store(Arc::new(queues));
        task
    }

    /// Whether a connector of that name is attached.
    pub(super) fn has(&self, connector: &str) -> bool {
        self.by_connector.load().contains_key(connector)
    }

    /// Publishes the message on the bus and queues it for its connector.
    pub(super) async fn queue(
        &self,
        bus: &Bus,
        message: Outbound,
        ack: Option<connector_queue::SentAck>,
        claim: Option<Arc<Claim>>,
    ) -> Result<(), SendError> {
        let queue = self
            .by_connector
            .load()
            .get(&message.target.connector)
            .cloned()
            .ok_or_else(|| SendError::UnknownConnector(message.target.connector.clone()))?;
        let connector = message.target.connector.clone();
        bus.publish(Event::Outbound(Arc::new(message.clone())));
        queue
            .send(Request::Send(message, ack, claim))
            .await
            .map_err(|_| SendError::ConnectorStopped(connector))
    }

    /// Queues a message; the returned future ends when its connector has sent it (or failed,
    /// or its claim withdrew it). Messages to one connector go out in the order they were queued.
    pub(super) async fn queue_tracked(
        &self,
        bus: &Bus,
        message: Outbound,
        claim: Option<Arc<Claim>>,
    ) -> Result<impl Future<Output = Result<(), SendError>>, SendError> {
        let (ack, sent) = tokio::sync::oneshot::channel();
        let connector = message.target.connector.clone();
        self.queue(bus, message, Some(ack), claim).await?;
        Ok(async move {
            match sent.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(SendError::NotSent { connector, error }),
                Err(_) => Err(SendError::ConnectorStopped(connector)),
            }
        })
    }

    /// Waits until each connector has been handed everything queued so far, each for at
    /// most `timeout`.
    pub(super) async fn flush(&self, timeout: Duration) {
        let queues = self.by_connector.load_full();
        for (name, queue) in queues.iter() {
            let (done, flushed) = tokio::sync::oneshot::channel();
            if queue.send(Request::Flush(done)).await.is_ok()
                && tokio::time::timeout(timeout, flushed).await.is_err()
            {
                tracing::warn!(connector = %name, "shutdown: the outbound flush did not finish within {timeout:?}");
            }
        }
    }
}
