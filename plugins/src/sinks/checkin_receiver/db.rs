//! Where the receiver keeps check-ins: the original's `checkins` table, in SQLite or in a
//! shared PostgreSQL. Writes are group-committed: requests that arrive while a commit is in
//! flight are written together in the next transaction, and each request is answered only
//! once its transaction is durable.

use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};

use super::validate::CheckinRecord;

/// The most check-ins written in one transaction.
pub(super) const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; beyond this, handlers wait for room (backpressure).
const QUEUE: usize = 8192;

/// When a SQLite commit counts as done (and its requests are answered 201).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// After fsync: survives a power loss or kernel crash (`synchronous = FULL`).
    #[default]
    Full,
    /// After the write reaches the operating system: survives the receiver being killed
    /// (kill -9), not a power loss (`synchronous = NORMAL`).
    Normal,
}

/// Which database the receiver writes to.
#[derive(Clone, PartialEq, Eq)]
pub enum DbTarget {
    Sqlite(PathBuf, SqliteSync),
    /// A `postgres://` URL, which may carry a password: never printed whole.
    Postgres(String),
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl DbTarget {
    /// A description without credentials, for logs.
    pub fn describe(&self) -> String {
        match self {
            DbTarget::Sqlite(path, SqliteSync::Full) => format!("sqlite:{}", path.display()),
            DbTarget::Sqlite(path, SqliteSync::Normal) => {
                format!("sqlite:{} (synchronous=normal)", path.display())
            }
            DbTarget::Postgres(url) => url
                .parse::<tokio_postgres::Config>()
                .map(|c| switchboard_api::store::postgres::describe_url(&c))
                .unwrap_or_else(|_| "postgres (unparsable URL)".into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiverDbError {
    #[error("cannot open the check-in database {target}: {message}")]
    Open { target: String, message: String },
    #[error("cannot write check-ins: {0}")]
    Write(String),
    #[error("the check-in writer has stopped")]
    Stopped,
}

pub(super) struct Pending {
    pub record: CheckinRecord,
    pub done: oneshot::Sender<Result<(), String>>,
}

/// The handle request handlers write through; cheap to clone.
#[derive(Clone)]
pub struct ReceiverDb {
    queue: mpsc::Sender<Pending>,
    target: String,
}

impl ReceiverDb {
    /// Opens (creating the table when needed) and starts the writer.
    pub async fn open(target: &DbTarget) -> Result<ReceiverDb, ReceiverDbError> {
        let (queue, requests) = mpsc::channel(QUEUE);
        match target {
            DbTarget::Sqlite(path, sync) => super::db_sqlite::start(path, *sync, requests)?,
            DbTarget::Postgres(url) => super::db_postgres::start(url, requests).await?,
        }
        Ok(ReceiverDb {
            queue,
            target: target.describe(),
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Inserts or replaces the row for `record.packet_hash`; returns once it is durable.
    pub async fn upsert(&self, record: CheckinRecord) -> Result<(), ReceiverDbError> {
        let (done, result) = oneshot::channel();
        self.queue
            .send(Pending { record, done })
            .await
            .map_err(|_| ReceiverDbError::Stopped)?;
        result
            .await
            .map_err(|_| ReceiverDbError::Stopped)?
            .map_err(ReceiverDbError::Write)
    }
}

/// The next batch: waits for one request, then takes whatever else is already queued.
pub(super) fn take_batch(first: Pending, requests: &mut mpsc::Receiver<Pending>) -> Vec<Pending> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match requests.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    batch
}

/// Answers every request of a batch with the outcome of its one transaction.
pub(super) fn answer(batch: Vec<Pending>, outcome: Result<(), String>) {
    if let Err(e) = &outcome {
        tracing::error!(error = %e, rows = batch.len(), "check-ins could not be stored");
    }
    for pending in batch {
        let _ = pending.done.send(outcome.clone());
    }
}

/// `2026-11-22T14:41:27.398485+00:00`, the original's `updated_at` format.
pub(super) fn updated_at_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}
