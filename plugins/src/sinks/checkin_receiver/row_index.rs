//! Which row of the SQLite `checkins` table holds each `packet_hash`, kept in the writer's
//! memory instead of in a unique index on the table.
//!
//! Packet hashes are random, so with a unique index each check-in of a commit lands on its own
//! index page, and the commit writes every page it touched into the WAL: 5.6 KiB per
//! check-in for a row of about 150 bytes. Without the index, a commit's new rows share the
//! table's last page or two. The upsert semantics stay: a hash already stored updates its row.
//!
//! The map holds a 64-bit fingerprint of each hash (keyed per process, so a client cannot pick
//! colliding hashes) and the rowid. The UPDATE checks the hash too, so a fingerprint shared by
//! two hashes, or a row changed behind the receiver's back, falls back to a scan of the table.
//! When another connection has committed to the file (`PRAGMA data_version`), the map is read
//! again from the table, so a second writer on the same file cannot cause a duplicate.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};

use super::validate::CheckinRecord;

const INSERT: &str = "INSERT INTO checkins
    (packet_hash, username, message, channel, timestamp, source_bot, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const UPDATE: &str = "UPDATE checkins SET
    username = ?2, message = ?3, channel = ?4, timestamp = ?5, source_bot = ?6, updated_at = ?7
    WHERE rowid = ?8 AND packet_hash = ?1";
const FIND: &str = "SELECT rowid FROM checkins WHERE packet_hash = ?1";

/// Set for `data_version` when the map must be read again whatever the file says.
const STALE: i64 = -1;

pub(super) struct RowIndex<S = RandomState> {
    rows: HashMap<u64, i64>,
    fingerprints: S,
    /// The connection's `PRAGMA data_version` when the map was last known to match the table.
    data_version: i64,
}

impl RowIndex {
    pub fn new() -> RowIndex {
        RowIndex::with_fingerprints(RandomState::new())
    }
}

impl<S: BuildHasher> RowIndex<S> {
    pub fn with_fingerprints(fingerprints: S) -> RowIndex<S> {
        RowIndex {
            rows: HashMap::new(),
            fingerprints,
            data_version: STALE,
        }
    }

    /// Brings the map up to date with the table. Call inside the write transaction, which
    /// holds the write lock, before the first [`RowIndex::upsert`]; a call outside one reads
    /// the table ahead of time.
    pub fn refresh(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if version == self.data_version {
            return Ok(());
        }
        self.rows.clear();
        let mut rows = conn.prepare("SELECT rowid, packet_hash FROM checkins")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            // A NULL or a blob put there by hand can never equal a check-in's hash.
            if let ValueRef::Text(hash) = row.get_ref(1)? {
                self.rows.insert(self.fingerprint(hash), row.get(0)?);
            }
        }
        tracing::debug!(
            rows = self.rows.len(),
            "check-in row index read from the table"
        );
        self.data_version = version;
        Ok(())
    }

    /// Forgets what the map knows, after a transaction that was rolled back.
    pub fn invalidate(&mut self) {
        self.data_version = STALE;
    }

    /// Inserts the check-in, or updates the row that holds its hash (the last write wins).
    pub fn upsert(
        &mut self,
        conn: &Connection,
        record: &CheckinRecord,
        updated_at: &str,
    ) -> rusqlite::Result<()> {
        let fingerprint = self.fingerprint(record.packet_hash.as_bytes());
        let fields = (
            &record.packet_hash,
            &record.username,
            &record.message,
            &record.channel,
            &record.timestamp,
            &record.source_bot,
            updated_at,
        );
        if let Some(&rowid) = self.rows.get(&fingerprint) {
            if update(conn, fields, rowid)? {
                return Ok(());
            }
            let found: Option<i64> = conn
                .prepare_cached(FIND)?
                .query_row([&record.packet_hash], |r| r.get(0))
                .optional()?;
            if let Some(rowid) = found {
                update(conn, fields, rowid)?;
                return Ok(());
            }
        }
        conn.prepare_cached(INSERT)?.execute(fields)?;
        self.rows.insert(fingerprint, conn.last_insert_rowid());
        Ok(())
    }

    fn fingerprint(&self, packet_hash: &[u8]) -> u64 {
        self.fingerprints.hash_one(packet_hash)
    }
}

type Fields<'a> = (
    &'a String,
    &'a String,
    &'a String,
    &'a String,
    &'a String,
    &'a String,
    &'a str,
);

/// Whether the row `rowid` holds the check-in's hash and was updated.
fn update(conn: &Connection, f: Fields<'_>, rowid: i64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(UPDATE)?
        .execute(params![f.0, f.1, f.2, f.3, f.4, f.5, f.6, rowid])?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasherDefault, Hasher};

    use super::*;

    /// Gives every hash the same fingerprint.
    #[derive(Default)]
    struct Collide;

    impl Hasher for Collide {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn record(hash: &str, user: &str) -> CheckinRecord {
        CheckinRecord {
            packet_hash: hash.into(),
            username: user.into(),
            message: "check in".into(),
            channel: "#meshmonday".into(),
            timestamp: "2025-03-03T14:30:00-07:00".into(),
            source_bot: "b1".into(),
        }
    }

    fn table(conn: &Connection) -> Vec<(String, String)> {
        conn.prepare("SELECT packet_hash, username FROM checkins ORDER BY packet_hash")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn hashes_sharing_a_fingerprint_still_get_one_row_each() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(super::super::db_sqlite::SCHEMA).unwrap();
        let mut index = RowIndex::with_fingerprints(BuildHasherDefault::<Collide>::default());
        index.refresh(&conn).unwrap();
        for (hash, user) in [
            ("A", "a1"),
            ("B", "b1"),
            ("A", "a2"),
            ("C", "c1"),
            ("B", "b2"),
        ] {
            index.upsert(&conn, &record(hash, user), "now").unwrap();
        }
        let expected = [("A", "a2"), ("B", "b2"), ("C", "c1")].map(|(h, u)| (h.into(), u.into()));
        assert_eq!(table(&conn), expected);
    }

    #[test]
    fn rows_another_connection_wrote_are_updated_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkins.db");
        let ours = Connection::open(&path).unwrap();
        ours.execute_batch(super::super::db_sqlite::SCHEMA).unwrap();
        let mut index = RowIndex::new();
        index.refresh(&ours).unwrap();
        index.upsert(&ours, &record("A", "a1"), "now").unwrap();

        let theirs = Connection::open(&path).unwrap();
        theirs
            .execute_batch(
                "INSERT INTO checkins SELECT 'B', 'b1', message, channel, timestamp, source_bot,
                 updated_at FROM checkins; DELETE FROM checkins WHERE packet_hash = 'A';
                 INSERT INTO checkins SELECT 'A', 'a2', message, channel, timestamp, source_bot,
                 updated_at FROM checkins",
            )
            .unwrap();

        index.refresh(&ours).unwrap();
        index.upsert(&ours, &record("B", "b2"), "now").unwrap();
        index.upsert(&ours, &record("A", "a3"), "now").unwrap();
        let expected = [("A", "a3"), ("B", "b2")].map(|(h, u)| (h.into(), u.into()));
        assert_eq!(table(&ours), expected);
    }
}
