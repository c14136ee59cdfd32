//! Idempotency keys (`webhook-id`, `X-GitHub-Delivery`, a Stripe event id) kept in the
//! [`Store`](crate::Store), so a redelivery is recognised across restarts.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Mutex;

use crate::store::{ScopedStore, StoreError};

/// How often expired keys are swept out of the store.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct IdempotencyKeys {
    store: ScopedStore,
    retention: Duration,
    /// Serialises check-and-record within this process; holds when the last sweep ran.
    last_prune: Mutex<Instant>,
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
            last_prune: Mutex::new(Instant::now()),
        }
    }

    /// Records `key`; true when it had not been seen within the retention window.
    pub async fn first_time(&self, key: &str) -> Result<bool, StoreError> {
        let mut last_prune = self.last_prune.lock().await;
        let now = unix_now();
        let seen = self
            .store
            .get(key)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|at| now.saturating_sub(at) <= self.retention.as_secs());
        if seen {
            return Ok(false);
        }
        self.store.put(key, &now.to_string()).await?;
        if last_prune.elapsed() >= PRUNE_EVERY {
            *last_prune = Instant::now();
            self.prune(now).await?;
        }
        Ok(true)
    }

    /// Forgets `key`, e.g. when the message it carried could not be queued after all.
    pub async fn forget(&self, key: &str) -> Result<(), StoreError> {
        let _guard = self.last_prune.lock().await;
        self.store.delete(key).await.map(drop)
    }

    async fn prune(&self, now: u64) -> Result<(), StoreError> {
        for (key, value) in self.store.list().await? {
            let expired = value
                .parse::<u64>()
                .map(|at| now.saturating_sub(at) > self.retention.as_secs())
                .unwrap_or(true);
            if expired {
                self.store.delete(&key).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{SqliteStore, Store};

    #[tokio::test]
    async fn a_key_is_new_once_and_forgetting_it_makes_it_new_again() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let keys = IdempotencyKeys::new(ScopedStore::new(store, "t"), Duration::from_secs(600));
        assert!(keys.first_time("msg_1").await.unwrap());
        assert!(!keys.first_time("msg_1").await.unwrap());
        assert!(keys.first_time("msg_2").await.unwrap());
        keys.forget("msg_1").await.unwrap();
        assert!(keys.first_time("msg_1").await.unwrap());
    }
}
