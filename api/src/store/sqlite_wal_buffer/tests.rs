use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

/// A WAL database written through the buffering VFS with `synchronous = NORMAL`, so that no
/// sync ever flushes the buffer: only the VFS's own rule does.
fn writer(path: &Path, cache_pages: i64) -> Connection {
    let conn = super::open(path).unwrap();
    create_table(&conn, "NORMAL");
    conn.pragma_update(None, "cache_size", cache_pages).unwrap();
    conn
}

/// 1 KiB pages, WAL mode with `synchronous`, no automatic checkpoints, and the table `t`.
fn create_table(conn: &Connection, synchronous: &str) {
    conn.execute_batch(&format!(
        "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};
         PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
    ))
    .unwrap();
}

fn checkpoint(conn: &Connection) {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .unwrap();
}

fn integrity(conn: &Connection) -> String {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// What a restart after kill -9 finds: the database and its WAL as the operating system holds
/// them right now, copied aside and opened afresh (SQLite recovers the WAL).
fn as_after_a_crash(path: &Path, into: &Path) -> Connection {
    let copy = into.join("copy.db");
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    for p in [copy.clone(), wal(&copy)] {
        let _ = std::fs::remove_file(p);
    }
    std::fs::copy(path, &copy).unwrap();
    std::fs::copy(wal(path), wal(&copy)).unwrap();
    Connection::open(&copy).unwrap()
}

fn wal_len(path: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", path.display()))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Write calls this thread has made so far (Linux's per-thread I/O accounting).
fn write_calls() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
    io.lines()
        .find_map(|line| line.strip_prefix("syscw: "))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

fn rows(conn: &Connection) -> (i64, i64) {
    conn.query_row("SELECT count(*), coalesce(sum(v), 0) FROM t", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .unwrap()
}

fn key(n: u64) -> String {
    format!("{:016X}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

#[test]
fn every_commit_is_in_the_files_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut conn = writer(&path, 2000);
    let reader = Connection::open(&path).unwrap();
    let mut written = 0u64;
    // One row, then transactions touching more and more scattered pages.
    for size in [1u64, 2, 7, 40, 1, 150, 3] {
        let tx = conn.transaction().unwrap();
        for _ in 0..size {
            written += 1;
            tx.execute("INSERT INTO t VALUES (?1, 1)", [key(written)])
                .unwrap();
        }
        tx.commit().unwrap();
        let expected = (written as i64, written as i64);
        assert_eq!(
            rows(&reader),
            expected,
            "another connection, after {written}"
        );
        let crashed = as_after_a_crash(&path, dir.path());
        assert_eq!(rows(&crashed), expected, "after a crash, after {written}");
    }
}

#[test]
fn a_commit_of_megabytes_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let conn = writer(&path, 2000);
    conn.execute_batch("CREATE TABLE blobs (b BLOB NOT NULL)")
        .unwrap();
    let blob: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
    conn.execute("INSERT INTO blobs VALUES (?1)", [&blob])
        .unwrap();

    let crashed = as_after_a_crash(&path, dir.path());
    let stored: Vec<u8> = crashed
        .query_row("SELECT b FROM blobs", [], |r| r.get(0))
        .unwrap();
    assert!(stored == blob, "the blob came back different");
}

#[test]
fn a_transaction_larger_than_the_page_cache_survives_a_crash_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // A 10-page cache spills to the WAL in the middle of the transaction, and pages written
    // again are overwritten in place, their checksums rewritten at the commit.
    let mut conn = writer(&path, 10);
    let tx = conn.transaction().unwrap();
    for n in 0..2000 {
        tx.execute("INSERT INTO t VALUES (?1, ?2)", params![key(n), n])
            .unwrap();
    }
    tx.execute("UPDATE t SET v = v * 3 WHERE k < '8'", [])
        .unwrap();
    tx.commit().unwrap();
    // Copied before anything else touches the writer's WAL.
    let crashed = as_after_a_crash(&path, dir.path());
    let expected = rows(&conn);
    assert_eq!(expected.0, 2000);
    assert_eq!(rows(&crashed), expected);
    assert_eq!(integrity(&crashed), "ok");
}

#[test]
fn a_commit_reaches_the_kernel_in_one_write_call() {
    let dir = tempfile::tempdir().unwrap();
    // 20 check-in-like inserts into a table of 20,000 rows: each lands on its own index page.
    let fill = |conn: &mut Connection| {
        let tx = conn.transaction().unwrap();
        for n in 0..20_000 {
            tx.execute("INSERT INTO t VALUES (?1, 1)", [key(n)])
                .unwrap();
        }
        tx.commit().unwrap();
    };
    let commit_of_20_rows = |conn: &mut Connection, from: u64| {
        let tx = conn.transaction().unwrap();
        for n in from..from + 20 {
            tx.execute("INSERT INTO t VALUES (?1, 1)", [key(n)])
                .unwrap();
        }
        let before = write_calls();
        tx.commit().unwrap();
        write_calls() - before
    };
    let mut buffered = writer(&dir.path().join("buffered.db"), 2000);
    let mut plain = Connection::open(dir.path().join("plain.db")).unwrap();
    create_table(&plain, "NORMAL");
    fill(&mut buffered);
    fill(&mut plain);
    for round in 1..=3 {
        let from = 100_000 * round;
        let unbuffered = commit_of_20_rows(&mut plain, from);
        let calls = commit_of_20_rows(&mut buffered, from);
        assert!(unbuffered >= 40, "SQLite alone: {unbuffered} write calls");
        assert_eq!(calls, 1, "through the buffer ({unbuffered} without it)");
    }
}

#[test]
fn with_full_sync_and_padded_commits_every_frame_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // Without powersafe overwrite SQLite pads each commit to a sector with copies of the
    // commit frame, split around a sync, none of them followed by a commit page of its own.
    let conn = super::open(Path::new(&format!("file:{}?psow=0", path.display()))).unwrap();
    create_table(&conn, "FULL");
    let other = Connection::open(&path).unwrap();
    for n in 0..20u64 {
        conn.execute("INSERT INTO t VALUES (?1, 1)", [key(n)])
            .unwrap();
        let frames = wal_len(&path) - 32;
        assert_eq!(frames % (24 + 1024), 0, "a frame is torn after commit {n}");
        assert_eq!(rows(&other), (n as i64 + 1, n as i64 + 1));
        if n % 5 == 4 {
            checkpoint(&other);
        }
    }
    assert_eq!(integrity(&other), "ok");
}

#[test]
fn a_wal_started_over_after_a_checkpoint_loses_nothing_in_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut conn = writer(&path, 2000);
    let checkpointer = Connection::open(&path).unwrap();
    let mut written = 0u64;
    for round in 0..6 {
        let tx = conn.transaction().unwrap();
        for _ in 0..30 {
            written += 1;
            tx.execute("INSERT INTO t VALUES (?1, 1)", [key(written)])
                .unwrap();
        }
        tx.commit().unwrap();
        let crashed = as_after_a_crash(&path, dir.path());
        assert_eq!(
            rows(&crashed),
            (written as i64, written as i64),
            "round {round}"
        );
        // Copied whole, the next write starts the WAL over from its first frame.
        checkpoint(&checkpointer);
    }
}
