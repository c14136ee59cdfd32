//! Idempotency keys (`webhook-id`, `X-GitHub-Delivery`, a Stripe event id) kept in the
//! [`Store`](crate::Store), so a redelivery is recognised across restarts.
//!
//! The keys of the retention window are also held in memory (loaded from the store on first
//! use), so telling a new delivery from a redelivery costs no database read, and new keys are
//! written by one writer task that commits whatever has queued up in one transaction (group
//! commit): a caller hears "new" only once its key is stored. That assumes one process writes a
//! sink's keys, as with the embedded SQLite store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot, OnceCell};

use crate::store::{ScopedStore, StoreError};

/// How often expired keys are swept out.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Most keys committed in one transaction.
const BATCH: usize = 512;

pub struct IdempotencyKeys {
    store: ScopedStore,
    retention: Duration,
    /// Set on first use, once the stored keys are loaded: the queue of the writer task.
    writer: OnceCell<mpsc::Sender<Write>>,
    seen: Mutex<Seen>,
}

struct Write {
    key: String,
    value: String,
    done: oneshot::Sender<Result<(), String>>,
}

/// Writes queued keys, each burst in one transaction, until every sender is gone.
async fn write_keys(store: ScopedStore, mut queue: mpsc::Receiver<Write>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        // Let the requests already running reach the queue, so one commit covers them too.
        tokio::task::yield_now().await;
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        let entries: Vec<(String, String)> = batch
            .iter()
            .map(|w| (w.key.clone(), w.value.clone()))
            .collect();
        let result = store.put_many(&entries).await.map_err(|e| e.to_string());
        for write in batch {
            let _ = write.done.send(result.clone());
        }
    }
}

struct Seen {
    /// Key → unix seconds it was first seen.
    keys: HashMap<String, u64>,
    last_prune: Instant,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl IdempotencyKeys {
    /// Keys are remembered for `retention` (at least the signature tolerance window).
    pub fn new(store: ScopedStore, retention: Duration) -> Self {
        IdempotencyKeys {
            store,
            retention,
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

    async fn writer(&self) -> Result<&mpsc::Sender<Write>, StoreError> {
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
                let (tx, rx) = mpsc::channel(BATCH * 4);
                tokio::spawn(write_keys(self.store.clone(), rx));
                Ok(tx)
            })
            .await
    }

    /// Stores `key` through the writer task; returns once it is committed.
    async fn store_key(&self, key: &str, at: u64) -> Result<(), StoreError> {
        let gone = || StoreError::Backend("the idempotency key writer stopped".into());
        let (done, committed) = oneshot::channel();
        let write = Write {
            key: key.to_string(),
            value: at.to_string(),
            done,
        };
        self.writer().await?.send(write).await.map_err(|_| gone())?;
        committed
            .await
            .map_err(|_| gone())?
            .map_err(StoreError::Backend)
    }

    /// Records `key`; true when it had not been seen within the retention window. The key is in
    /// the store when this returns true.
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
        if let Err(e) = self.store_key(key, now).await {
            self.forget_in_memory(key);
            return Err(e);
        }
        for key in expired {
            self.store.delete(&key).await?;
        }
        Ok(true)
    }

    /// Forgets `key`, e.g. when the message it carried could not be queued after all.
    pub async fn forget(&self, key: &str) -> Result<(), StoreError> {
        self.forget_in_memory(key);
        self.store.delete(key).await.map(drop)
    }

    fn forget_in_memory(&self, key: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.keys.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{SqliteStore, Store};

    fn keys(store: &Arc<dyn Store>) -> IdempotencyKeys {
        IdempotencyKeys::new(
            ScopedStore::new(store.clone(), "t"),
            Duration::from_secs(600),
        )
    }

    #[tokio::test]
    async fn a_key_is_new_once_and_forgetting_it_makes_it_new_again() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let keys = keys(&store);
        assert!(keys.first_time("msg_1").await.unwrap());
        assert!(!keys.first_time("msg_1").await.unwrap());
        assert!(keys.first_time("msg_2").await.unwrap());
        keys.forget("msg_1").await.unwrap();
        assert!(keys.first_time("msg_1").await.unwrap());
    }

    #[tokio::test]
    async fn keys_in_the_store_are_known_to_a_new_instance_and_old_ones_are_not() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        assert!(keys(&store).first_time("msg_1").await.unwrap());
        let long_ago = (unix_now() - 3600).to_string();
        store.put("t", "msg_old", &long_ago).await.unwrap();
        let restarted = keys(&store);
        assert!(!restarted.first_time("msg_1").await.unwrap());
        assert!(restarted.first_time("msg_old").await.unwrap());
    }
}
