//! The in-process event bus: bounded, many subscribers, and a publisher that never waits.
//!
//! A subscriber that falls more than `capacity` events behind skips ahead to the oldest event
//! still held; the events it missed are counted in [`Bus::lagged`] and logged once per gap
//! (see [`Subscription`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use switchboard_api::{Event, Subscription};

/// Default number of events the bus holds for its slowest subscriber.
pub const DEFAULT_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
    counters: Arc<BusCounters>,
}

#[derive(Default)]
struct BusCounters {
    published: AtomicU64,
    lagged: Arc<AtomicU64>,
}

impl Bus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Bus {
            sender,
            counters: Arc::default(),
        }
    }

    /// Publishes to every current subscriber. Never blocks; with no subscriber the event is dropped.
    pub fn publish(&self, event: Event) {
        self.counters.published.fetch_add(1, Ordering::Relaxed);
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.sender.subscribe(), self.counters.lagged.clone())
    }

    pub fn published(&self) -> u64 {
        self.counters.published.load(Ordering::Relaxed)
    }

    /// Events skipped by lagging subscribers, summed over all of them.
    pub fn lagged(&self) -> u64 {
        self.counters.lagged.load(Ordering::Relaxed)
    }

    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Bus::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(n: u64) -> Event {
        Event::custom("t", serde_json::json!(n))
    }

    fn number(event: Event) -> u64 {
        match event {
            Event::Custom(c) => c.payload.as_u64().unwrap_or(u64::MAX),
            other => panic!("unexpected event {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_subscriber_sees_every_event_in_order() {
        let bus = Bus::new(16);
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        for n in 0..10 {
            bus.publish(custom(n));
        }
        for sub in [&mut a, &mut b] {
            let got: Vec<u64> = (0..10).map(|_| number(sub.try_recv().unwrap())).collect();
            assert_eq!(got, (0..10).collect::<Vec<_>>());
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_skips_ahead_and_is_counted_while_the_publisher_goes_on() {
        let bus = Bus::new(4);
        let mut slow = bus.subscribe();
        for n in 0..10 {
            bus.publish(custom(n));
        }
        assert_eq!(bus.published(), 10);
        // It missed the six oldest and resumes at the oldest event still held.
        assert_eq!(number(slow.recv().await.unwrap()), 6);
        assert_eq!(bus.lagged(), 6);
        assert_eq!(number(slow.recv().await.unwrap()), 7);
    }

    #[tokio::test]
    async fn publishing_without_subscribers_is_fine() {
        let bus = Bus::default();
        bus.publish(Event::Shutdown);
        assert_eq!(bus.subscriber_count(), 0);
        assert_eq!(bus.published(), 1);
    }
}
