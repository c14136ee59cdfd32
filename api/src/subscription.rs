//! A plugin's view of the event bus: the events published since it subscribed, in order.
//!
//! A subscriber that falls more than the bus's capacity behind skips ahead to the oldest event
//! still held; the events it missed are counted (the runtime reports the sum) and logged once
//! per gap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

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

    /// The next event, until `stop` is cancelled; from then on only the events already
    /// published (then `None`). A service that reads the bus this way processes every event
    /// handed to it before it was told to stop.
    pub async fn recv_until(&mut self, stop: &CancellationToken) -> Option<Event> {
        if stop.is_cancelled() {
            return self.try_recv();
        }
        tokio::select! {
            biased;
            event = self.recv() => event,
            () = stop.cancelled() => self.try_recv(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: u64) -> Event {
        Event::custom("t", serde_json::json!(n))
    }

    #[tokio::test]
    async fn after_stop_the_events_already_published_are_still_handed_over_then_none() {
        let (sender, receiver) = broadcast::channel(64);
        let mut events = Subscription::new(receiver, Arc::default());
        let stop = CancellationToken::new();
        for n in 0..5 {
            sender.send(numbered(n)).unwrap();
        }
        stop.cancel();
        let mut got = Vec::new();
        while let Some(Event::Custom(c)) = events.recv_until(&stop).await {
            got.push(c.payload.as_u64().unwrap());
        }
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_waiting_reader_ends_when_stopped_with_nothing_left() {
        let (_sender, receiver) = broadcast::channel::<Event>(4);
        let mut events = Subscription::new(receiver, Arc::default());
        let stop = CancellationToken::new();
        let stopper = stop.clone();
        let reader = tokio::spawn(async move { events.recv_until(&stop).await.is_none() });
        stopper.cancel();
        assert!(reader.await.unwrap());
    }
}
