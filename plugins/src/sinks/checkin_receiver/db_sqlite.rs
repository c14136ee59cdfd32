//! The receiver's SQLite file: the original's columns, in WAL mode. With `synchronous = FULL`
//! (the default) a commit is on disk before its requests are answered.
//!
//! Checkpoints run on their own thread and connection, as for the bot's store (see
//! [`switchboard_api::store::sqlite_checkpoint`]). Besides sparing the writer the copy, that
//! keeps the WAL from growing without end: appending to a growing file makes each fsync about
//! twice as slow as overwriting.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::mpsc;

use switchboard_api::store::sqlite_checkpoint;

use super::db::{answer, take_batch, updated_at_now, Pending, ReceiverDbError, SqliteSync};
use super::row_index::RowIndex;

/// The page size of a new database file, SQLite's default. A commit's new rows go to the
/// table's last page or two (see [`RowIndex`]), which is what the commit writes.
const PAGE_SIZE: u32 = 4096;
/// The WAL size past which the writer copies it into the database file by itself, four times
/// the store's. A busy receiver writes about 0.7 KiB of WAL per check-in (the writer thread's
/// `wchar`: 156 MB for 225,538 check-ins), so the checkpoint thread's copies keep the WAL far
/// below this; the limit is for a disk so slow that the copies fall behind.
const WAL_LIMIT: u64 = 128 << 20;

/// The original's table, except that `packet_hash` is not its primary key: the writer keeps
/// the hashes unique itself (see [`RowIndex`]). A file made by the original, or by an earlier
/// receiver, keeps its primary key, and the same writer works on it.
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS checkins (
    packet_hash TEXT NOT NULL,
    username TEXT NOT NULL,
    message TEXT NOT NULL,
    channel TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    source_bot TEXT,
    updated_at TEXT NOT NULL
)";

pub(super) fn start(
    path: &Path,
    sync: SqliteSync,
    requests: mpsc::Receiver<Pending>,
) -> Result<(), ReceiverDbError> {
    let open_err = |message| ReceiverDbError::Open {
        target: format!("sqlite:{}", path.display()),
        message,
    };
    let conn = open(path, sync).map_err(open_err)?;
    let checkpointer = sqlite_checkpoint::start(
        &conn,
        open(path, sync).map_err(open_err)?,
        "checkin",
        WAL_LIMIT,
    )
    .map_err(|e| open_err(e.to_string()))?;
    // Read now rather than at the first request, which would wait for it (0.3 s for 900,000
    // rows).
    let mut index = RowIndex::new();
    index
        .refresh(&conn)
        .map_err(|e| open_err(format!("cannot read the stored packet hashes: {e}")))?;
    std::thread::Builder::new()
        .name("checkin-writer".into())
        .spawn(move || {
            write_loop(conn, index, requests, &checkpointer);
        })
        .map_err(|e| open_err(format!("cannot start the writer thread: {e}")))?;
    Ok(())
}

fn open(path: &Path, sync: SqliteSync) -> Result<Connection, String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    // Takes effect only on a new file; an existing one keeps its page size.
    conn.pragma_update(None, "page_size", PAGE_SIZE)
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    let synchronous = match sync {
        SqliteSync::Full => "FULL",
        SqliteSync::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(|e| e.to_string())?;
    conn.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
    Ok(conn)
}

fn write_loop(
    mut conn: Connection,
    mut index: RowIndex,
    mut requests: mpsc::Receiver<Pending>,
    checkpointer: &sqlite_checkpoint::Checkpointer,
) {
    while let Some(first) = requests.blocking_recv() {
        let batch = take_batch(first, &mut requests);
        let outcome = write_batch(&mut conn, &mut index, &batch).map_err(|e| {
            index.invalidate();
            e.to_string()
        });
        answer(batch, outcome);
        checkpointer.after_commit(&conn);
    }
}

fn write_batch(
    conn: &mut Connection,
    index: &mut RowIndex,
    batch: &[Pending],
) -> rusqlite::Result<()> {
    let now = updated_at_now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    index.refresh(&tx)?;
    for Pending { record, .. } in batch {
        index.upsert(&tx, record, &now)?;
    }
    tx.commit()
}
