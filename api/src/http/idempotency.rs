//! Idempotency keys (`webhook-id`, `X-GitHub-Delivery`, a Stripe event id) kept in the
//! [`Store`](crate::Store), so a redelivery is recognised across restarts.
//!
//! The keys of the retention window are held in memory (loaded from the store on first use), so
//! telling a new delivery from a redelivery costs no database access. New keys are written
//! behind the response by one writer task, gathered for a moment into one transaction; the runtime waits for
//! that task at shutdown (it is spawned on [`Context::background_tasks`](crate::Context)). The
//! message itself is sent or durable before the sender hears 202 (the outbox); only its key is written
//! behind the response, so after a crash a redelivery may be accepted again (at least once).
//! This assumes one process writes a sink's keys, as with the embedded SQLite store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, OnceCell};
use tokio_util::task::TaskTracker;

use crate::store::{ScopedStore, StoreError};

/// How often expired keys are swept out.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Most operations the writer takes at once.
const BATCH: usize = 4096;
/// How long the writer gathers keys after the first one of a burst: keys are written behind
/// the response anyway, and a busy sink's keys then cost one transaction per interval
/// instead of one per handful of requests.
const GATHER: Duration = Duration::from_millis(20);

/// One sink's delivery ids: which were seen within the retention window (see the module).
pub struct IdempotencyKeys {
    store: ScopedStore,
    retention: Duration,
    tasks: TaskTracker,
    /// Set on first use, once the stored keys are loaded: the writer task's queue.
    writer: OnceCell<mpsc::Sender<Op>>,
    seen: Mutex<Seen>,
}

struct Seen {
    /// Key → unix seconds it was first seen.
    keys: HashMap<String, u64>,
    last_prune: Instant,
}

/// Store changes, applied in the order they were made.
enum Op {
    Put(String, String),
    Delete(String),
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Applies queued changes until every sender is gone; consecutive puts share one transaction.
async fn write_keys(store: ScopedStore, mut queue: mpsc::Receiver<Op>) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        tokio::time::sleep(GATHER).await;
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut puts = Vec::new();
        for op in batch.drain(..) {
            match op {
                Op::Put(key, value) => puts.push((key, value)),
                Op::Delete(key) => {
                    flush(&store, &mut puts).await;
                    if let Err(e) = store.delete(&key).await {
                        tracing::error!(scope = store.scope(), error = %e, "an idempotency key could not be deleted");
                    }
                }
            }
        }
        flush(&store, &mut puts).await;
    }
}

async fn flush(store: &ScopedStore, puts: &mut Vec<(String, String)>) {
    if puts.is_empty() {
        return;
    }
    if let Err(e) = store.put_many(puts).await {
        tracing::error!(
            scope = store.scope(),
            keys = puts.len(),
            error = %e,
            "idempotency keys could not be stored; redeliveries after a restart will be accepted again"
        );
    }
    puts.clear();
}

impl IdempotencyKeys {
    /// Keys are remembered for `retention` (at least the signature tolerance window). The writer
    /// task is spawned on `tasks` (the bot's background tasks, which shutdown waits for).
    pub fn new(store: ScopedStore, retention: Duration, tasks: TaskTracker) -> Self {
        IdempotencyKeys {
            store,
            retention,
            tasks,
            writer: OnceCell::new(),
            seen: Mutex::new(Seen {
                keys: HashMap::new(),
                last_prune: Instant::now(),
            }),
        }
    }

    fn fresh(&self, at: u64, now: u64) -> bool {
        now.saturating_sub(at) <= self.retention.as_secs()
    }

    async fn writer(&self) -> Result<&mpsc::Sender<Op>, StoreError> {
        self.writer
            .get_or_try_init(|| async {
                let stored = self.store.list().await?;
                let now = unix_now();
                let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
                for (key, value) in stored {
                    if let Ok(at) = value.parse::<u64>() {
                        if self.fresh(at, now) {
                            seen.keys.entry(key).or_insert(at);
                        }
                    }
                }
                let (tx, rx) = mpsc::channel(BATCH * 2);
                self.tasks.spawn(write_keys(self.store.clone(), rx));
                Ok(tx)
            })
            .await
    }

    async fn queue(&self, op: Op) -> Result<(), StoreError> {
        self.writer().await?.send(op).await.map_err(|_| {
            StoreError::backend("writing idempotency keys", "the key writer has stopped")
        })
    }

    /// Records `key`; true when it had not been seen within the retention window.
    pub async fn first_time(&self, key: &str) -> Result<bool, StoreError> {
        self.writer().await?;
        let now = unix_now();
        let expired = {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            if seen.keys.get(key).is_some_and(|at| self.fresh(*at, now)) {
                return Ok(false);
            }
            seen.keys.insert(key.to_string(), now);
            if seen.last_prune.elapsed() >= PRUNE_EVERY {
                seen.last_prune = Instant::now();
                let expired: Vec<String> = seen
                    .keys
                    .iter()
                    .filter(|(_, at)| !self.fresh(**at, now))
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in &expired {
                    seen.keys.remove(key);
                }
                expired
            } else {
                Vec::new()
            }
        };
        self.queue(Op::Put(key.to_string(), now.to_string()))
            .await?;
        for key in expired {
            self.queue(Op::Delete(key)).await?;
        }
        Ok(true)
    }

    /// Forgets `key`, e.g. when the message it carried could not be queued after all.
    pub async fn forget(&self, key: &str) -> Result<(), StoreError> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.keys.remove(key);
        }
        self.queue(Op::Delete(key.to_string())).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{MemoryStore, Store};

    fn keys(store: &Arc<dyn Store>, tasks: &TaskTracker) -> IdempotencyKeys {
        IdempotencyKeys::new(
            ScopedStore::new(store.clone(), "t"),
            Duration::from_secs(600),
            tasks.clone(),
        )
    }

    /// Drops the keys and waits for their writer, as shutdown does.
    async fn written(keys: IdempotencyKeys, tasks: &TaskTracker) {
        drop(keys);
        tasks.close();
        tasks.wait().await;
        tasks.reopen();
    }

    #[tokio::test]
    async fn a_key_is_new_once_and_forgetting_it_makes_it_new_again() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let tasks = TaskTracker::new();
        let keys = keys(&store, &tasks);
        assert!(keys.first_time("msg_1").await.unwrap());
        assert!(!keys.first_time("msg_1").await.unwrap());
        assert!(keys.first_time("msg_2").await.unwrap());
        keys.forget("msg_1").await.unwrap();
        assert!(keys.first_time("msg_1").await.unwrap());
        keys.forget("msg_2").await.unwrap();
        written(keys, &tasks).await;
        let stored: Vec<String> = store
            .list("t")
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(stored, vec!["msg_1"]);
    }

    #[tokio::test]
    async fn keys_in_the_store_are_known_to_a_new_instance_and_old_ones_are_not() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let tasks = TaskTracker::new();
        let first = keys(&store, &tasks);
        assert!(first.first_time("msg_1").await.unwrap());
        written(first, &tasks).await;
        let long_ago = (unix_now() - 3600).to_string();
        store.put("t", "msg_old", &long_ago).await.unwrap();
        let restarted = keys(&store, &tasks);
        assert!(!restarted.first_time("msg_1").await.unwrap());
        assert!(restarted.first_time("msg_old").await.unwrap());
    }
}
