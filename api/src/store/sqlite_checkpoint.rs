//! Checkpoints off the writer's thread. A WAL-mode writer that checkpoints by itself (SQLite's
//! default, every 1000 pages) stops for the copy into the database file and its two fsyncs,
//! and every commit queued behind it waits: a few milliseconds, dozens of times a second on a
//! busy store. A thread with its own connection copies the WAL every [`EVERY`] instead;
//! `PASSIVE` checkpoints never block the writer.
//!
//! But a WAL restarts from its beginning only when a writer finds it fully copied, which a busy
//! writer never does while another connection checkpoints behind it: the WAL would grow without
//! end. So once the thread has copied a WAL of [`RESTART_AT`] or more, the writer's next commit
//! copies the few frames written since ([`Checkpointer::after_commit`]), and the write after
//! that starts the WAL over. Should the thread fall behind, the writer checkpoints by itself
//! once the WAL passes [`WAL_LIMIT`]: a longer pause, since it then copies what the thread has
//! not.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

/// How often the checkpoint thread copies the WAL into the database file. A page written
/// several times between two checkpoints is copied once: with check-ins spread over the whole
/// index (real packet hashes), 250 ms instead of 100 ms (with the writer copying by itself past
/// 16 MiB instead of 4 MiB) wrote a third less to the disk per check-in, and in
/// `cargo bench --bench checkin_load` the receiver answered about 16% more check-ins/s with its
/// p99 down from 6.8 ms to about 2 ms.
pub const EVERY: Duration = Duration::from_millis(250);
/// The WAL size from which the writer, once the thread has copied the WAL, finishes the copy
/// itself so that the WAL starts over. The writer then copies a few milliseconds of frames
/// rather than up to [`EVERY`]'s worth when it reaches [`WAL_LIMIT`]: in
/// `cargo bench --bench checkin_load` (3 alternating pairs) the receiver's p99.9 went from
/// 21-24 ms to 16-18 ms and its slowest request from 28-38 ms to 21-23 ms (`full`).
pub const RESTART_AT: u64 = 4 << 20;
/// The WAL size past which the writer checkpoints by itself after a commit, should the thread
/// fall behind (the usual limit; see [`start`]). At 16 MiB a busy `normal` receiver with
/// 1 KiB pages still reached it between two checkpoints: 32 MiB took its p99.9 from 40-45 ms
/// to 23-26 ms (2 alternating pairs).
pub const WAL_LIMIT: u64 = 32 << 20;

/// Keeps the checkpoint thread running; dropping it stops the thread.
pub struct Checkpointer {
    _alive: mpsc::Sender<()>,
    /// Set by the thread when it has copied a WAL of [`RESTART_AT`] or more to its end.
    copied: Arc<AtomicBool>,
}

impl Checkpointer {
    /// For the writer, after each commit: right after the thread has copied the WAL, copies the
    /// frames written since, so that the next write starts the WAL over.
    pub fn after_commit(&self, writer: &Connection) {
        if self.copied.swap(false, Ordering::AcqRel) {
            if let Err(e) = checkpoint(writer) {
                tracing::warn!(error = %e, "a SQLite checkpoint failed");
            }
        }
    }
}

/// Hands `writer` the `wal_limit` threshold in bytes ([`WAL_LIMIT`] unless the writer has a
/// reason for another) and starts a thread checkpointing through `conn` (another connection
/// to the same file) until the returned handle is dropped. The writer calls
/// [`Checkpointer::after_commit`] after each commit.
pub fn start(
    writer: &Connection,
    conn: Connection,
    name: &str,
    wal_limit: u64,
) -> Result<Checkpointer, CheckpointerError> {
    let page_size = writer
        .query_row("PRAGMA page_size", [], |row| row.get::<_, u64>(0))?
        .max(512);
    writer.pragma_update(None, "wal_autocheckpoint", wal_limit / page_size)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let (alive, gone) = mpsc::channel::<()>();
    let copied = Arc::new(AtomicBool::new(false));
    let restart_frames = RESTART_AT / page_size;
    let flag = copied.clone();
    std::thread::Builder::new()
        .name(format!("{name}-checkpoint"))
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = gone.recv_timeout(EVERY) {
                match checkpoint(&conn) {
                    Ok(copy) if copy.completes(restart_frames) => {
                        flag.store(true, Ordering::Release)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a SQLite checkpoint failed"),
                }
            }
        })
        .map_err(CheckpointerError::Thread)?;
    Ok(Checkpointer {
        _alive: alive,
        copied,
    })
}

/// Why the checkpointer did not start.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointerError {
    /// The connections could not be set up for it.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Its thread could not be started.
    #[error("cannot start the checkpoint thread: {0}")]
    Thread(std::io::Error),
}

/// What a checkpoint found and did, in WAL frames.
struct WalCopy {
    in_wal: i64,
    copied: i64,
}

impl WalCopy {
    /// Whether it copied a WAL of at least `frames` frames to its end.
    fn completes(&self, frames: u64) -> bool {
        u64::try_from(self.in_wal).is_ok_and(|n| n >= frames) && self.copied == self.in_wal
    }
}

/// A `PASSIVE` checkpoint: it never blocks the writer; what it cannot copy now waits for the
/// next one.
fn checkpoint(conn: &Connection) -> rusqlite::Result<WalCopy> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(WalCopy {
            in_wal: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(conn: &Connection, rows: usize) {
        for n in 0..rows {
            conn.execute("INSERT INTO t (v) VALUES (?1)", [n as i64])
                .unwrap();
        }
    }

    #[test]
    fn told_the_thread_copied_the_wal_the_writer_copies_the_rest_and_starts_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let db_size = || std::fs::metadata(&path).unwrap().len();
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (v INTEGER)",
            )
            .unwrap();
        let (alive, _gone) = mpsc::channel();
        let checkpoints = Checkpointer {
            _alive: alive,
            copied: Arc::new(AtomicBool::new(false)),
        };
        insert(&writer, 200);
        let before = db_size();

        // Not told: nothing is copied into the database file.
        checkpoints.after_commit(&writer);
        assert_eq!(db_size(), before);

        checkpoints.copied.store(true, Ordering::Release);
        checkpoints.after_commit(&writer);
        assert!(db_size() > before, "the writer copied nothing");
        assert!(!checkpoints.copied.load(Ordering::Acquire));

        // The next writes start the WAL over instead of appending to its 200-odd frames.
        insert(&writer, 2);
        let other = Connection::open(&path).unwrap();
        let wal = checkpoint(&other).unwrap();
        assert!(wal.in_wal <= 4, "the WAL holds {} frames", wal.in_wal);
    }
}
