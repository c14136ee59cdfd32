//! The outbox: messages accepted from outside the bot (sinks) are written to the Store before
//! the sender hears 2xx, and removed only once their connector has sent them. A kill -9 in
//! between loses nothing: the next start delivers what is left (at least once, in order).
//!
//! Accepts are group-committed by the store: the SQLite store commits the writes queued
//! together in one transaction, so concurrent requests share a commit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};

use crate::context::Context;
use crate::event::{Conversation, Target};
use crate::store::{ScopedStore, StoreError};

/// Most messages queued to connectors before waiting for them to be sent.
const WINDOW: usize = 256;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("the message could not be stored: {0}")]
    Store(#[from] StoreError),
    #[error("the bot is not taking messages (starting or shutting down)")]
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    connector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    text: String,
}

impl Stored {
    fn new(target: &Target, text: String) -> Self {
        let (channel, user) = match &target.conversation {
            Conversation::Channel(c) => (Some(c.clone()), None),
            Conversation::Direct(u) => (None, Some(u.clone())),
        };
        Stored {
            connector: target.connector.clone(),
            channel,
            user,
            text,
        }
    }

    fn target(&self) -> Target {
        let conversation = match (&self.channel, &self.user) {
            (Some(channel), _) => Conversation::Channel(channel.clone()),
            (None, Some(user)) => Conversation::Direct(user.clone()),
            (None, None) => Conversation::Channel(String::new()),
        };
        Target {
            connector: self.connector.clone(),
            conversation,
        }
    }
}

/// One row, as the delivery task sees it.
type Row = (String, Stored);

/// What an open outbox (between `start` and `close`) writes to.
#[derive(Clone)]
struct Open {
    store: ScopedStore,
    /// The delivery task's queue; it ends once `close` and every accept in flight let go.
    rows: mpsc::UnboundedSender<Row>,
}

#[derive(Default)]
pub struct Outbox {
    open: Mutex<Option<Open>>,
    started: AtomicBool,
    /// Set once the delivery task has read what an earlier run left: no row is both in that
    /// list and in its queue of new ones.
    replayed: AtomicBool,
    replay_read: Notify,
    sequence: AtomicU64,
}

/// The Store scope of one bot's outbox; bots sharing a PostgreSQL store keep theirs apart.
pub fn scope(bot_name: &str) -> String {
    format!("outbox:{bot_name}")
}

impl Outbox {
    /// Stores the message; returns once it is durable.
    pub async fn accept(&self, target: Target, text: String) -> Result<(), OutboxError> {
        let open = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(OutboxError::Closed)?;
        self.replay_read().await;
        let row = Stored::new(&target, text);
        let value = serde_json::to_string(&row)
            .map_err(|e| StoreError::Backend(format!("encoding an outbox row: {e}")))?;
        let key = self.next_key();
        open.store.put(&key, &value).await?;
        let _ = open.rows.send((key, row));
        Ok(())
    }

    async fn replay_read(&self) {
        loop {
            let read = self.replay_read.notified();
            if self.replayed.load(Ordering::Acquire) {
                return;
            }
            read.await;
        }
    }

    fn mark_replay_read(&self) {
        self.replayed.store(true, Ordering::Release);
        self.replay_read.notify_waiters();
    }

    /// Keys sort in accept order: nanoseconds since the epoch, then a counter.
    fn next_key(&self) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) % 1_000_000;
        format!("{nanos:020}-{sequence:06}")
    }

    /// Starts the delivery task on the bot's background tasks; it first sends what an earlier
    /// run left behind, and accepts wait until it has read that.
    pub(crate) fn start(&self, ctx: &Context, store: ScopedStore) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let (rows, queue) = mpsc::unbounded_channel();
        ctx.background_tasks()
            .spawn(deliver(ctx.clone(), store.clone(), queue));
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = Some(Open { store, rows });
    }

    /// Takes no more messages; what was accepted is still delivered.
    pub(crate) fn close(&self) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

async fn deliver(ctx: Context, store: ScopedStore, mut rows: mpsc::UnboundedReceiver<Row>) {
    let left = match store.list().await {
        Ok(left) => left,
        Err(e) => {
            tracing::error!(error = %e, "the outbox could not be read; undelivered messages wait for the next start");
            Vec::new()
        }
    };
    ctx.outbox().mark_replay_read();
    if !left.is_empty() {
        tracing::info!(
            messages = left.len(),
            "delivering messages accepted before the last stop"
        );
    }
    let mut replay = Vec::new();
    for (key, value) in left {
        match serde_json::from_str::<Stored>(&value) {
            Ok(stored) => replay.push((key, stored)),
            Err(e) => {
                tracing::error!(key, error = %e, "an outbox row is unreadable and stays in the store")
            }
        }
    }
    for window in replay.chunks(WINDOW) {
        send_window(&ctx, &store, window.to_vec()).await;
    }
    let mut window = Vec::with_capacity(WINDOW);
    while rows.recv_many(&mut window, WINDOW).await > 0 {
        send_window(&ctx, &store, std::mem::take(&mut window)).await;
    }
}

/// Queues a window of messages at once (the connectors keep their order), waits for each to be
/// sent, removes the sent ones in one transaction, and retries the others one by one.
async fn send_window(ctx: &Context, store: &ScopedStore, window: Vec<Row>) {
    let mut queued = Vec::with_capacity(window.len());
    let mut retry = Vec::new();
    for (key, stored) in window {
        match ctx
            .queue_tracked(stored.target(), stored.text.clone())
            .await
        {
            Ok(sent) => queued.push((key, stored, sent)),
            Err(_) => retry.push((key, stored)),
        }
    }
    let mut delivered = Vec::with_capacity(queued.len());
    for (key, stored, sent) in queued {
        match sent.await {
            Ok(()) => delivered.push(key),
            Err(_) => retry.push((key, stored)),
        }
    }
    forget(store, &delivered).await;
    for (key, stored) in retry {
        send_one(ctx, store, &key, &stored).await;
    }
}

async fn forget(store: &ScopedStore, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    if let Err(e) = store.delete_many(keys).await {
        tracing::error!(messages = keys.len(), error = %e, "delivered messages could not be removed from the outbox; they may be sent again after a restart");
    }
}

/// Sends one message, retrying with backoff until it is sent or the bot shuts down (then it
/// stays in the store for the next start), and removes it once sent.
async fn send_one(ctx: &Context, store: &ScopedStore, key: &str, stored: &Stored) {
    let shutdown = ctx.shutdown_signal();
    let mut wait = FIRST_RETRY;
    loop {
        match ctx.deliver(stored.target(), stored.text.clone()).await {
            Ok(()) => break,
            Err(e @ crate::context::SendError::UnknownConnector(_)) => {
                tracing::error!(error = %e, "an accepted message names no running connector; kept for a start that has it");
                return;
            }
            Err(e) if shutdown.is_cancelled() => {
                tracing::warn!(connector = %stored.connector, error = %e, "not delivered before shutdown; kept for the next start");
                return;
            }
            Err(e) => {
                tracing::warn!(connector = %stored.connector, error = %e, retry_in = ?wait, "an accepted message could not be delivered yet");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => {}
                }
                wait = (wait * 2).min(LAST_RETRY);
            }
        }
    }
    forget(store, &[key.to_string()]).await;
}

/// For tests: the rows still waiting.
#[cfg(test)]
pub(crate) async fn waiting(store: &ScopedStore) -> Vec<String> {
    store
        .list()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str::<Stored>(&v).ok().map(|s| s.text))
        .collect()
}

#[cfg(test)]
mod tests;
