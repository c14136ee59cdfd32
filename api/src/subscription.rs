//! A plugin's view of the event bus: the events published since it subscribed, in order.
//!
//! A subscriber that falls more than the bus's capacity behind skips ahead to the oldest event
//! still held; the events it missed are counted (the runtime reports the sum) and logged once
//! per gap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::event::Event;

/// Events from the bus, from the moment of [`Context::subscribe`](crate::Context::subscribe).
pub struct Subscription {
    receiver: broadcast::Receiver<Event>,
    lagged: Arc<AtomicU64>,
}

impl Subscription {
    /// A subscription on the runtime's broadcast channel; `lagged` counts skipped events.
    pub fn new(receiver: broadcast::Receiver<Event>, lagged: Arc<AtomicU64>) -> Self {
        Subscription { receiver, lagged }
    }

    /// The next event, skipping ahead past any this subscriber was too slow to read.
    /// `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            match self.receiver.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(missed)) => self.note_lag(missed),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Event> {
        loop {
            match self.receiver.try_recv() {
                Ok(event) => return Some(event),
                Err(broadcast::error::TryRecvError::Lagged(missed)) => self.note_lag(missed),
                Err(_) => return None,
            }
        }
    }

    fn note_lag(&self, missed: u64) {
        self.lagged.fetch_add(missed, Ordering::Relaxed);
        tracing::warn!(missed, "a bus subscriber fell behind and skipped events");
    }
}
