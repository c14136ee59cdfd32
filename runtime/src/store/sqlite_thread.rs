//! The thread that owns a [`SqliteStore`](super::SqliteStore)'s connection. Every operation is
//! a job on its queue, run in arrival order. Writes that are waiting together share one
//! transaction and one commit: the outbox, idempotency keys and delivered-message deletes of a
//! busy sink cost one commit between them instead of one each, and no hop through the blocking
//! thread pool. Should one write fail, the shared transaction is rolled back and each write
//! runs again in its own, so a failing write never undoes the others.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use switchboard_api::store::sqlite_checkpoint::Checkpointer;

/// Most jobs taken from the queue at once.
const MAX_JOBS: usize = 1024;
/// How long the thread sleeps before committing a write, while fewer than [`GATHER_JOBS`] jobs
/// are queued. A commit costs about as much as three small writes, and the requests that would
/// follow a moment later then share it: on a busy sink this cut the process's CPU per request
/// by about a sixth (`cargo bench --bench sink_load`: 53-55 µs against 62-65 µs) and its p99
/// latency too. Sleeping rather than yielding in a loop leaves the processor to the senders and
/// spares them waking this thread: the sink answered 2-8 % more requests/s in each of 4 alternating
/// pairs. An idle store pays this much latency (plus the timer's slack).
const GATHER: Duration = Duration::from_micros(100);
/// Jobs enough to commit at once.
const GATHER_JOBS: usize = 16;

/// A read: runs on the connection and sends its own answer.
pub(super) type Read = Box<dyn FnOnce(&Connection) + Send>;
/// A write: returns the rows it changed; answered once its transaction is committed. It may
/// run twice (see the module docs), so it only reads what it captured.
pub(super) type WriteOp = Box<dyn Fn(&Connection) -> rusqlite::Result<usize> + Send>;
type Answer = oneshot::Sender<rusqlite::Result<usize>>;

pub(super) enum Job {
    Read(Read),
    Write(WriteOp, Answer),
}

/// Starts the thread; it ends once every sender is dropped, and stops `checkpoints` then.
pub(super) fn start(
    conn: Connection,
    name: &str,
    checkpoints: Option<Checkpointer>,
) -> std::io::Result<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("store-{name}"))
        .spawn(move || run(conn, queue, checkpoints))?;
    Ok(jobs)
}

fn run(conn: Connection, queue: mpsc::Receiver<Job>, checkpoints: Option<Checkpointer>) {
    let mut writes = Vec::new();
    while let Ok(first) = queue.recv() {
        let jobs = gather(first, &queue);
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            for job in jobs {
                match job {
                    Job::Write(op, answer) => writes.push((op, answer)),
                    Job::Read(read) => {
                        // Reads see every write queued before them.
                        commit(&conn, &mut writes);
                        read(&conn);
                    }
                }
            }
            commit(&conn, &mut writes);
        }));
        if ran.is_err() {
            // The store outlives a panicking operation: what was in flight is rolled back and
            // its callers get an error (their answers are dropped); later jobs run as usual.
            tracing::error!("a store operation panicked; the writes in flight were not stored");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            writes.clear();
        }
        if let Some(checkpoints) = &checkpoints {
            checkpoints.after_commit(&conn);
        }
    }
}

/// `first` and what is queued behind it; a write with little company first waits [`GATHER`]
/// for more.
fn gather(first: Job, queue: &mpsc::Receiver<Job>) -> Vec<Job> {
    let gathering = matches!(first, Job::Write(..));
    let mut jobs = vec![first];
    jobs.extend(queue.try_iter().take(MAX_JOBS - jobs.len()));
    if gathering && jobs.len() < GATHER_JOBS {
        std::thread::sleep(GATHER);
        jobs.extend(queue.try_iter().take(MAX_JOBS - jobs.len()));
    }
    jobs
}

/// Runs the writes in one transaction and answers each once it is committed (or failed).
fn commit(conn: &Connection, writes: &mut Vec<(WriteOp, Answer)>) {
    if writes.is_empty() {
        return;
    }
    if writes.len() > 1 {
        match transaction(conn, writes.iter().map(|(op, _)| op)) {
            Ok(rows) => {
                for ((_, answer), rows) in writes.drain(..).zip(rows) {
                    let _ = answer.send(Ok(rows));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "a shared store transaction failed; retrying its writes one by one")
            }
        }
    }
    for (op, answer) in writes.drain(..) {
        let outcome = transaction(conn, std::iter::once(&op)).map(|rows| rows[0]);
        let _ = answer.send(outcome);
    }
}

/// The rows each write changed, once all of them are committed; on any error nothing is kept.
fn transaction<'a>(
    conn: &Connection,
    ops: impl Iterator<Item = &'a WriteOp>,
) -> rusqlite::Result<Vec<usize>> {
    conn.prepare_cached("BEGIN")?.execute([])?;
    let written = ops
        .map(|op| op(conn))
        .collect::<rusqlite::Result<Vec<usize>>>()
        .and_then(|rows| {
            conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(rows)
        });
    if written.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(values: &'static [i64]) -> WriteOp {
        Box::new(move |conn| {
            let mut rows = 0;
            for v in values {
                rows += conn.execute("INSERT INTO t (x) VALUES (?1)", [v])?;
            }
            Ok(rows)
        })
    }

    /// A store thread on an in-memory database with one table `t (x)`.
    fn table_t() -> mpsc::Sender<Job> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .unwrap();
        start(conn, "test", None).unwrap()
    }

    #[tokio::test]
    async fn a_panicking_operation_fails_its_callers_and_the_store_goes_on() {
        let jobs = table_t();
        let (answer, answered) = oneshot::channel();
        let panics: WriteOp = Box::new(|_| panic!("a bug in an operation"));
        jobs.send(Job::Write(panics, answer)).unwrap();
        assert!(answered.await.is_err(), "the caller hears of the failure");

        let (answer, answered) = oneshot::channel();
        jobs.send(Job::Write(insert(&[7]), answer)).unwrap();
        assert_eq!(answered.await.unwrap().unwrap(), 1);
    }

    #[tokio::test]
    async fn writes_queued_together_share_a_commit_and_a_failing_one_undoes_only_itself() {
        let jobs = table_t();
        // Hold the thread in a read so the three writes are queued together.
        let (release, gate) = mpsc::channel::<()>();
        jobs.send(Job::Read(Box::new(move |_| {
            let _ = gate.recv();
        })))
        .unwrap();
        let mut answers = Vec::new();
        for values in [&[1][..], &[2, 1], &[3]] {
            let (answer, answered) = oneshot::channel();
            jobs.send(Job::Write(insert(values), answer)).unwrap();
            answers.push(answered);
        }
        release.send(()).unwrap();
        let mut outcomes = Vec::new();
        for answered in answers {
            outcomes.push(answered.await.unwrap().map_err(|e| e.to_string()));
        }
        assert_eq!(outcomes[0], Ok(1));
        assert!(
            outcomes[1].as_ref().is_err_and(|e| e.contains("UNIQUE")),
            "{outcomes:?}"
        );
        assert_eq!(outcomes[2], Ok(1));

        let (answer, answered) = oneshot::channel();
        jobs.send(Job::Read(Box::new(move |conn| {
            let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
            let xs: Vec<i64> = stmt
                .query_map([], |row| row.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let _ = answer.send(xs);
        })))
        .unwrap();
        assert_eq!(
            answered.await.unwrap(),
            [1, 3],
            "the failed write left nothing"
        );
    }
}
