//! Checkpoints off the writer's thread. A WAL-mode writer that checkpoints by itself (SQLite's
//! default, every 1000 pages) stops for the copy into the database file and its two fsyncs,
//! and every commit queued behind it waits: a few milliseconds, dozens of times a second on a
//! busy store. A thread with its own connection copies the WAL every [`EVERY`] instead;
//! `PASSIVE` checkpoints never block the writer.
//!
//! But a WAL restarts from its beginning only when a writer finds it fully copied, which a busy
//! writer never does while another connection checkpoints behind it: the WAL would grow without
//! end. So the writer still checkpoints itself once the WAL passes [`WAL_LIMIT`], copying only
//! what the thread has not.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the checkpoint thread copies the WAL into the database file. A page written
/// several times between two checkpoints is copied once: with check-ins spread over the whole
/// index (real packet hashes), this and [`WAL_LIMIT`] (instead of 100 ms and 4 MiB) wrote a
/// third less to the disk per check-in, and in `cargo bench --bench checkin_load` the receiver
/// answered about 16% more check-ins/s with its p99 down from 6.8 ms to about 2 ms.
pub const EVERY: Duration = Duration::from_millis(250);
/// The WAL size past which the writer checkpoints after a commit, so that the WAL restarts.
/// Large enough that the thread has copied most of it by then, even at [`EVERY`]'s pace.
pub const WAL_LIMIT: u64 = 16 << 20;

/// Keeps the checkpoint thread running; dropping it stops the thread.
pub struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

/// Hands `writer` the [`WAL_LIMIT`] threshold (in its own pages) and starts a thread
/// checkpointing through `conn` (another connection to the same file) until the returned
/// handle is dropped.
pub fn start(writer: &Connection, conn: Connection, name: &str) -> Result<Checkpointer, String> {
    let page_size: u64 = writer
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    writer
        .pragma_update(None, "wal_autocheckpoint", WAL_LIMIT / page_size.max(512))
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| e.to_string())?;
    let (alive, gone) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name(format!("{name}-checkpoint"))
        .spawn(move || run(conn, gone))
        .map_err(|e| format!("cannot start the checkpoint thread: {e}"))?;
    Ok(Checkpointer { _alive: alive })
}

fn run(conn: Connection, gone: mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = gone.recv_timeout(EVERY) {
        // PASSIVE never blocks the writer; whatever it cannot copy now waits for the next one.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "a SQLite checkpoint failed");
        }
    }
}
