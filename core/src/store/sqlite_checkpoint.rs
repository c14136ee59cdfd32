//! Checkpoints off the writer's thread. A WAL-mode writer that checkpoints by itself (SQLite's
//! default, every 1000 pages) stops for the copy into the database file and its two fsyncs,
//! and every commit queued behind it waits: a few milliseconds, dozens of times a second on a
//! busy store. A thread with its own connection copies the WAL every [`EVERY`] instead;
//! `PASSIVE` checkpoints never block the writer.
//!
//! But a WAL restarts from its beginning only when a writer finds it fully copied, which a busy
//! writer never does while another connection checkpoints behind it: the WAL would grow without
//! end. So the writer still checkpoints itself past [`WRITER_PAGES`], copying only what the
//! thread has not.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the checkpoint thread copies the WAL into the database file.
pub const EVERY: Duration = Duration::from_millis(100);
/// The WAL size (in pages) past which the writer checkpoints after a commit, so that the WAL
/// restarts. Large enough that the thread has copied most of it by then.
pub const WRITER_PAGES: u32 = 4096;

/// Keeps the checkpoint thread running; dropping it stops the thread.
pub struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

/// Hands `writer` the [`WRITER_PAGES`] threshold and starts a thread checkpointing through
/// `conn` (another connection to the same file) until the returned handle is dropped.
pub fn start(writer: &Connection, conn: Connection, name: &str) -> Result<Checkpointer, String> {
    writer
        .pragma_update(None, "wal_autocheckpoint", WRITER_PAGES)
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
