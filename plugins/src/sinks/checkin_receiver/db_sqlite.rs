//! The receiver's SQLite file: the original's schema, in WAL mode. With `synchronous = FULL`
//! (the default) a commit is on disk before its requests are answered.
//!
//! Checkpoints run on their own thread and connection, as for the bot's store (see
//! [`switchboard_core::store::sqlite_checkpoint`]). Besides sparing the writer the copy, that
//! keeps the WAL from growing without end: appending to a growing file makes each fsync about
//! twice as slow as overwriting.

use std::path::Path;

use rusqlite::{params, Connection};
use tokio::sync::mpsc;

use switchboard_core::store::{sqlite_checkpoint, sqlite_wal_buffer};

use super::db::{answer, take_batch, updated_at_now, Pending, ReceiverDbError, SqliteSync};

/// The page size of a new database file, SQLite's default. Check-ins land on scattered index
/// pages and every commit writes each page it touched into the WAL, so 1 KiB pages write half
/// the bytes per check-in. But they split four times as often and their checkpoints touch
/// more of the file's 4 KiB blocks: under `wrk -t2 -c32` the receiver answered as many
/// check-ins/s with 4 KiB pages and its p99 fell from 11-13 ms to 8-9 ms (in 5 of 6 alternating
/// runs each; `cargo bench --bench checkin_load`: p99.9 13-14 ms against 15-17 ms).
const PAGE_SIZE: u32 = 4096;
/// The WAL size past which the writer copies it into the database file by itself, four times
/// the store's: with 4 KiB pages a busy receiver writes about 5 KiB of WAL per check-in
/// (`strace` of the writer), so it reached 32 MiB, and with `normal` 64 MiB, between two of the
/// checkpoint thread's copies, and each time stopped for a copy of its own. Under
/// `wrk -t2 -c32` (3 alternating runs each) `full`'s p99 went from 8.0-9.1 ms at 32 MiB to
/// 5.1-6.0 ms at 64 or 128 MiB; `normal`'s from 23-25 ms (32 MiB) and 38-41 ms (64 MiB) to
/// 10-11 ms at 128 MiB, with about 10 % more check-ins/s.
const WAL_LIMIT: u64 = 128 << 20;

pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS checkins (
    packet_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    message TEXT NOT NULL,
    channel TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    source_bot TEXT,
    updated_at TEXT NOT NULL
)";

const UPSERT: &str = "INSERT INTO checkins
    (packet_hash, username, message, channel, timestamp, source_bot, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT(packet_hash) DO UPDATE SET
        username = excluded.username, message = excluded.message,
        channel = excluded.channel, timestamp = excluded.timestamp,
        source_bot = excluded.source_bot, updated_at = excluded.updated_at";

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
    .map_err(open_err)?;
    std::thread::Builder::new()
        .name("checkin-writer".into())
        .spawn(move || {
            write_loop(conn, requests, &checkpointer);
        })
        .map_err(|e| open_err(format!("cannot start the writer thread: {e}")))?;
    Ok(())
}

fn open(path: &Path, sync: SqliteSync) -> Result<Connection, String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let conn = sqlite_wal_buffer::open(path).map_err(|e| e.to_string())?;
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
    mut requests: mpsc::Receiver<Pending>,
    checkpointer: &sqlite_checkpoint::Checkpointer,
) {
    while let Some(first) = requests.blocking_recv() {
        let batch = take_batch(first, &mut requests);
        let outcome = write_batch(&mut conn, &batch).map_err(|e| e.to_string());
        answer(batch, outcome);
        checkpointer.after_commit(&conn);
    }
}

fn write_batch(conn: &mut Connection, batch: &[Pending]) -> rusqlite::Result<()> {
    let now = updated_at_now();
    let tx = conn.transaction()?;
    {
        let mut upsert = tx.prepare_cached(UPSERT)?;
        for Pending { record: r, .. } in batch {
            upsert.execute(params![
                r.packet_hash,
                r.username,
                r.message,
                r.channel,
                r.timestamp,
                r.source_bot,
                now
            ])?;
        }
    }
    tx.commit()
}
