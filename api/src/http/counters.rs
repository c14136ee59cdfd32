//! Per-sink counters: received, accepted, duplicates, rejected by reason. The admin API and the
//! shutdown log read them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// One sink's counters, counted by its [`Intake`](super::Intake).
#[derive(Debug, Default)]
pub struct SinkCounters {
    received: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

/// The counters of one sink at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CounterSnapshot {
    /// Requests that reached the intake.
    pub received: u64,
    /// Requests taken in (a message queued, a check-in stored).
    pub accepted: u64,
    /// Redeliveries recognised by their idempotency key and dropped.
    pub duplicates: u64,
    /// Rejections by reason, e.g. `bad_signature`, `too_large`.
    pub rejected: BTreeMap<String, u64>,
}

impl SinkCounters {
    /// Counts a request that reached the intake.
    pub fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request taken in.
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a redelivery dropped.
    pub fn duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refusal under its reason word.
    pub fn rejected(&self, reason: &'static str) {
        let mut rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        *rejected.entry(reason).or_default() += 1;
    }

    /// The counters as they are now.
    pub fn snapshot(&self) -> CounterSnapshot {
        let rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        CounterSnapshot {
            received: self.received.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            rejected: rejected.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
}

/// Every sink's counters, by sink name; shared by all contexts of one bot.
#[derive(Debug, Default)]
pub struct SinkCounterTable {
    sinks: Mutex<BTreeMap<String, Arc<SinkCounters>>>,
}

impl SinkCounterTable {
    /// The counters of `sink`, created on first use.
    pub fn for_sink(&self, sink: &str) -> Arc<SinkCounters> {
        let mut sinks = self.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        sinks.entry(sink.to_string()).or_default().clone()
    }

    /// Every sink's counters as they are now, by sink name.
    pub fn snapshot(&self) -> BTreeMap<String, CounterSnapshot> {
        let sinks = self.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        sinks
            .iter()
            .map(|(k, v)| (k.clone(), v.snapshot()))
            .collect()
    }
}
