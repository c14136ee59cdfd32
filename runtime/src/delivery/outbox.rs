//! The outbox: a message accepted from outside the bot (a sink) is either sent by its connector
//! or written to the Store before the sender hears 2xx. A written message is removed only
//! once its connector has sent it, so a kill -9 in between loses nothing: the next start
//! delivers what is left (at least once, in order).
//!
//! An accept hands the message to its connector at once and waits up to [`SENT_WAIT`] for it
//! to be sent; only a message still unsent by then is written. A quick connector thus costs
//! the store nothing, and a slow or stopped one adds that wait to the sender's answer.
//! Writes are group-committed by the store: the SQLite store commits the writes queued
//! together in one transaction, so concurrent requests share a commit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use switchboard_api::{
    AcceptError, Conversation, Outbound, ScopedStore, SendError, StoreError, Target,
};

pub mod admin;
pub mod adopt;

use super::claim::{AfterFailedWrite, AfterWrite, Claim};
use super::queues::Queues;
use crate::bus::Bus;

/// Most messages queued to connectors before waiting for them to be sent.
const WINDOW: usize = 256;
/// How long an accept waits for its connector to send the message before writing it to the
/// store. A connector that is not held up (console, an IRC server within its flood limit)
/// sends well within it.
const SENT_WAIT: Duration = Duration::from_millis(2);
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);

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

/// One message, as the delivery task sees it.
#[derive(Clone)]
struct Row {
    key: String,
    stored: Arc<Stored>,
    /// None for a message read back from the store, whose row is surely written.
    claim: Option<Arc<Claim>>,
}

impl Row {
    /// Called once the message is sent: true when its row must be deleted now.
    fn sent(&self) -> bool {
        self.claim.as_ref().is_none_or(|claim| claim.mark_sent())
    }

    fn send_failed(&self) {
        if let Some(claim) = &self.claim {
            claim.send_failed();
        }
    }

    /// Its accept could not write it and told the sender so: it must not be sent.
    fn withdrawn(&self) -> bool {
        self.claim.as_ref().is_some_and(|claim| claim.withdrawn())
    }

    /// Whether its row is surely in the store (read back from it, or written by its accept).
    fn stored(&self) -> bool {
        self.claim.as_ref().is_none_or(|claim| claim.is_written())
    }

    /// An operator removed its row (`switchboard outbox drop`) while it waited for a retry.
    async fn dropped(&self, store: &ScopedStore) -> bool {
        self.stored() && matches!(store.get(&self.key).await, Ok(None))
    }

    async fn queue(
        &self,
        out: &Out,
    ) -> Result<impl std::future::Future<Output = Result<(), SendError>>, SendError> {
        let message = Outbound {
            target: self.stored.target(),
            text: self.stored.text.clone(),
        };
        out.queues
            .queue_tracked(&out.bus, message, self.claim.clone())
            .await
    }
}

/// What an open outbox (between `start` and `close`) writes to.
#[derive(Clone)]
struct Open {
    store: ScopedStore,
    /// The connectors there are: a message for none of them is refused, not accepted.
    queues: Arc<Queues>,
    /// The delivery task's queue; it ends once `close` and every accept in flight let go.
    rows: mpsc::UnboundedSender<Row>,
    /// Where writes of unsent messages run, so that a sender hanging up cannot cut one short
    /// (the bot's background tasks, which shutdown waits for).
    tasks: TaskTracker,
}

/// Where the delivery task hands messages over, and when it gives up retrying.
struct Out {
    queues: Arc<Queues>,
    bus: Bus,
    shutdown: CancellationToken,
}

/// Set once the delivery task has read what an earlier run left: no row is both in that
/// list and in its queue of new ones.
#[derive(Default)]
struct Replay {
    read: AtomicBool,
    notify: Notify,
}

#[derive(Default)]
pub(super) struct Outbox {
    open: Mutex<Option<Open>>,
    started: AtomicBool,
    replay: Arc<Replay>,
    sequence: AtomicU64,
    /// Microseconds an accept waits for its message to be sent; 0 for [`SENT_WAIT`].
    sent_wait_micros: AtomicU64,
}

/// The Store scope of one bot's outbox; bots sharing a PostgreSQL store keep theirs apart.
pub fn scope(bot_name: &str) -> String {
    format!("outbox:{bot_name}")
}

impl Outbox {
    /// Returns once the message is sent by its connector or durable in the store.
    pub(super) async fn accept(&self, message: Outbound) -> Result<(), AcceptError> {
        let Outbound { target, text } = message;
        let open = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(AcceptError::Closed)?;
        if !open.queues.has(&target.connector) {
            return Err(AcceptError::UnknownConnector(target.connector));
        }
        self.replay_read().await;
        let claim = Arc::new(Claim::new());
        let key = self.next_key();
        let stored = Arc::new(Stored::new(&target, text));
        let queued = open
            .rows
            .send(Row {
                key: key.clone(),
                stored: stored.clone(),
                claim: Some(claim.clone()),
            })
            .is_ok();
        let listening = Listening(&claim);
        if queued
            && tokio::time::timeout(self.sent_wait(), claim.sent())
                .await
                .is_ok()
        {
            return listening.heard(Ok(()));
        }
        let write = open
            .tasks
            .spawn(write_unsent(open.store, claim.clone(), key, stored));
        let outcome = match write.await {
            Ok(outcome) => outcome,
            // A panicked write: as for a failed one.
            Err(e) => match claim.write_failed().await {
                AfterFailedWrite::Sent => Ok(()),
                _ => Err(StoreError::backend("writing an outbox row", e.to_string()).into()),
            },
        };
        listening.heard(outcome)
    }

    fn sent_wait(&self) -> Duration {
        match self.sent_wait_micros.load(Ordering::Relaxed) {
            0 => SENT_WAIT,
            micros => Duration::from_micros(micros),
        }
    }

    /// For tests that need the accept's wait to outlast a slow machine.
    #[cfg(test)]
    pub(super) fn set_sent_wait(&self, wait: Duration) {
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX).max(1);
        self.sent_wait_micros.store(micros, Ordering::Relaxed);
    }

    async fn replay_read(&self) {
        loop {
            let read = self.replay.notify.notified();
            if self.replay.read.load(Ordering::Acquire) {
                return;
            }
            read.await;
        }
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
    pub(super) fn start(
        &self,
        queues: Arc<Queues>,
        bus: Bus,
        store: ScopedStore,
        tasks: TaskTracker,
        shutdown: CancellationToken,
    ) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let (rows, queue) = mpsc::unbounded_channel();
        let out = Out {
            queues: queues.clone(),
            bus,
            shutdown,
        };
        tasks.spawn(deliver(out, self.replay.clone(), store.clone(), queue));
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = Some(Open {
            store,
            queues,
            rows,
            tasks,
        });
    }

    /// Takes no more messages; what was accepted is still delivered.
    pub(super) fn close(&self) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// Writes a message its connector has not sent yet; should it be sent meanwhile, the row is
/// deleted again (the deliverer leaves that to the writer, see [`Claim`]).
async fn write_unsent(
    store: ScopedStore,
    claim: Arc<Claim>,
    key: String,
    stored: Arc<Stored>,
) -> Result<(), AcceptError> {
    if !claim.start_write() {
        return Ok(());
    }
    let written = match serde_json::to_string(&*stored) {
        Ok(value) => store.put(&key, &value).await,
        Err(e) => Err(StoreError::backend("encoding an outbox row", e)),
    };
    match written {
        Ok(()) => {
            if claim.written() == AfterWrite::Delete {
                forget(&store, &[key]).await;
            }
            Ok(())
        }
        Err(e) => match claim.write_failed().await {
            AfterFailedWrite::Sent => Ok(()),
            AfterFailedWrite::Withdrawn => {
                // Should the write have landed after all (a lost commit reply), the next
                // start must not deliver what the sender was told was refused.
                let _ = store.delete(&key).await;
                Err(e.into())
            }
            AfterFailedWrite::LeftToDeliver => Err(e.into()),
        },
    }
}

/// Held by an accept until it has its outcome: should the accept be dropped first (its
/// sender hung up), the claim learns that nobody would hear of a withdrawal.
struct Listening<'a>(&'a Claim);

impl Listening<'_> {
    fn heard<T>(self, outcome: T) -> T {
        std::mem::forget(self);
        outcome
    }
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

async fn deliver(
    out: Out,
    replay_read: Arc<Replay>,
    store: ScopedStore,
    mut rows: mpsc::UnboundedReceiver<Row>,
) {
    let left = match store.list().await {
        Ok(left) => left,
        Err(e) => {
            tracing::error!(error = %e, "the outbox could not be read; undelivered messages wait for the next start");
            Vec::new()
        }
    };
    replay_read.read.store(true, Ordering::Release);
    replay_read.notify.notify_waiters();
    if !left.is_empty() {
        tracing::info!(
            messages = left.len(),
            "delivering messages accepted before the last stop"
        );
    }
    let mut replay = Vec::new();
    for (key, value) in left {
        match serde_json::from_str::<Stored>(&value) {
            Ok(stored) => replay.push(Row {
                key,
                stored: Arc::new(stored),
                claim: None,
            }),
            Err(e) => {
                tracing::error!(key, error = %e, "an outbox row is unreadable and stays in the store")
            }
        }
    }
    for window in replay.chunks(WINDOW) {
        send_window(&out, &store, window.to_vec()).await;
    }
    let mut window = Vec::with_capacity(WINDOW);
    while rows.recv_many(&mut window, WINDOW).await > 0 {
        send_window(&out, &store, std::mem::take(&mut window)).await;
    }
}

/// Queues a window of messages at once (the connectors keep their order), waits for each to be
/// sent, removes the sent ones in one transaction, and retries the others one by one.
async fn send_window(out: &Out, store: &ScopedStore, window: Vec<Row>) {
    let mut queued = Vec::with_capacity(window.len());
    let mut retry = Vec::new();
    for row in window {
        if row.withdrawn() {
            continue;
        }
        match row.queue(out).await {
            Ok(sent) => queued.push((row, sent)),
            Err(_) => retry.push(row),
        }
    }
    let mut delivered = Vec::with_capacity(queued.len());
    for (row, sent) in queued {
        match sent.await {
            Ok(()) if row.sent() => delivered.push(row.key),
            Ok(()) => {}
            Err(_) => {
                row.send_failed();
                retry.push(row);
            }
        }
    }
    forget(store, &delivered).await;
    for row in retry {
        send_one(out, store, &row).await;
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
async fn send_one(out: &Out, store: &ScopedStore, row: &Row) {
    let stored = &row.stored;
    let shutdown = &out.shutdown;
    let mut wait = FIRST_RETRY;
    loop {
        if row.withdrawn() {
            return;
        }
        let outcome = match row.queue(out).await {
            Ok(sent) => sent.await,
            Err(e) => Err(e),
        };
        if outcome.is_err() {
            row.send_failed();
            if row.withdrawn() {
                return;
            }
        }
        match outcome {
            Ok(()) => break,
            Err(e @ SendError::UnknownConnector(_)) => {
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
                if row.dropped(store).await {
                    tracing::info!(id = %row.key, connector = %stored.connector, "a message waiting for a retry was dropped from the outbox; it is not sent");
                    return;
                }
            }
        }
    }
    if row.sent() {
        forget(store, std::slice::from_ref(&row.key)).await;
    }
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
