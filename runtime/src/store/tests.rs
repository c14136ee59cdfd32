use std::path::Path;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::sqlite::SCHEMA_VERSION;
use super::*;
use switchboard_api::{ScopedStore, Store, StoreError};

const A: &str = "contract.a";
/// Starts with `A`: catches a backend that matches scopes by prefix.
const A_CHILD: &str = "contract.a.child";
/// Differs from `A` only in case.
const A_UPPER: &str = "contract.A";
const SORTED: &str = "contract.sorted";
const CONCURRENT: &str = "contract.concurrent";
/// Scopes under one prefix, for `scopes` and `move_rows`.
const MOVE_FROM: &str = "contract.move:from";
const MOVE_TO: &str = "contract.move:to";
const MOVE_EMPTY: &str = "contract.move:empty";

/// The behaviour every [`Store`] backend must have. It only touches scopes starting with
/// `contract.` and empties them first, so it can run again on a persistent database.
pub(crate) async fn store_contract(store: Arc<dyn Store>) {
    for scope in [A, A_CHILD, A_UPPER, SORTED, CONCURRENT, MOVE_FROM, MOVE_TO] {
        clear(store.as_ref(), scope).await;
    }
    missing_keys(store.as_ref()).await;
    put_overwrites(store.as_ref()).await;
    put_many_writes_and_delete_many_removes(store.as_ref()).await;
    scopes_are_isolated(store.as_ref()).await;
    delete_reports_whether_a_row_went(store.as_ref()).await;
    list_is_sorted_by_key(store.as_ref()).await;
    values_round_trip_verbatim(store.as_ref()).await;
    scoped_store_sees_only_its_scope(Arc::clone(&store)).await;
    scopes_lists_those_with_rows_under_a_prefix(store.as_ref()).await;
    move_rows_moves_each_row_once(store.as_ref()).await;
    concurrent_writes_all_land(store).await;
}

async fn clear(store: &dyn Store, scope: &str) {
    for (key, _) in store.list(scope).await.unwrap() {
        store.delete(scope, &key).await.unwrap();
    }
    assert!(store.list(scope).await.unwrap().is_empty());
}

async fn missing_keys(store: &dyn Store) {
    assert_eq!(store.get(A, "missing").await.unwrap(), None);
    assert!(!store.delete(A, "missing").await.unwrap());
    assert_eq!(store.list(A).await.unwrap(), vec![]);
}

async fn put_overwrites(store: &dyn Store) {
    store.put(A, "k", "v1").await.unwrap();
    assert_eq!(store.get(A, "k").await.unwrap().as_deref(), Some("v1"));
    store.put(A, "k", "v2").await.unwrap();
    assert_eq!(store.get(A, "k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(store.list(A).await.unwrap(), pairs(&[("k", "v2")]));
    clear(store, A).await;
}

async fn put_many_writes_and_delete_many_removes(store: &dyn Store) {
    store.put(A, "b", "old").await.unwrap();
    store
        .put_many(A, &pairs(&[("a", "1"), ("b", "2"), ("c", "3")]))
        .await
        .unwrap();
    assert_eq!(
        store.list(A).await.unwrap(),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
    );
    store.put_many(A, &[]).await.unwrap();
    store.put(A_CHILD, "a", "other scope").await.unwrap();
    store
        .delete_many(
            A,
            &["a".to_string(), "c".to_string(), "missing".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(store.list(A).await.unwrap(), pairs(&[("b", "2")]));
    assert_eq!(
        store.list(A_CHILD).await.unwrap(),
        pairs(&[("a", "other scope")])
    );
    store.delete_many(A, &[]).await.unwrap();
    clear(store, A).await;
    clear(store, A_CHILD).await;
}

async fn scopes_are_isolated(store: &dyn Store) {
    store.put(A, "k", "in a").await.unwrap();
    store.put(A_CHILD, "k", "in child").await.unwrap();
    store.put(A_UPPER, "k", "in upper").await.unwrap();
    store.put(A_CHILD, "only-child", "x").await.unwrap();

    assert_eq!(store.get(A, "k").await.unwrap().as_deref(), Some("in a"));
    assert_eq!(store.get(A, "only-child").await.unwrap(), None);
    assert_eq!(store.list(A).await.unwrap(), pairs(&[("k", "in a")]));
    assert_eq!(
        store.list(A_UPPER).await.unwrap(),
        pairs(&[("k", "in upper")])
    );

    assert!(store.delete(A_CHILD, "k").await.unwrap());
    assert_eq!(store.get(A, "k").await.unwrap().as_deref(), Some("in a"));
    assert_eq!(
        store.get(A_UPPER, "k").await.unwrap().as_deref(),
        Some("in upper")
    );
    for scope in [A, A_CHILD, A_UPPER] {
        clear(store, scope).await;
    }
}

async fn scopes_lists_those_with_rows_under_a_prefix(store: &dyn Store) {
    store.put(MOVE_FROM, "a", "1").await.unwrap();
    store.put(MOVE_FROM, "b", "2").await.unwrap();
    store.put(MOVE_TO, "c", "3").await.unwrap();
    store.put(MOVE_EMPTY, "gone", "x").await.unwrap();
    store.delete(MOVE_EMPTY, "gone").await.unwrap();
    store
        .put("contract.movE:x", "k", "other case")
        .await
        .unwrap();
    assert_eq!(
        store.scopes("contract.move:").await.unwrap(),
        vec![(MOVE_FROM.to_string(), 2), (MOVE_TO.to_string(), 1)]
    );
    // A prefix is no pattern: `_` and `%` match only themselves.
    assert_eq!(store.scopes("contract_move%").await.unwrap(), vec![]);
    clear(store, MOVE_FROM).await;
    clear(store, MOVE_TO).await;
    clear(store, "contract.movE:x").await;
}

async fn move_rows_moves_each_row_once(store: &dyn Store) {
    store
        .put_many(
            MOVE_FROM,
            &pairs(&[("a", "1"), ("b", "2"), ("c", "3"), ("taken", "old")]),
        )
        .await
        .unwrap();
    store.put(MOVE_TO, "taken", "new").await.unwrap();
    let some = ["b".to_string(), "missing".to_string()];
    assert_eq!(
        store
            .move_rows(MOVE_FROM, MOVE_TO, Some(&some))
            .await
            .unwrap(),
        vec!["b".to_string()]
    );
    assert_eq!(
        store.move_rows(MOVE_FROM, MOVE_TO, None).await.unwrap(),
        vec!["a".to_string(), "c".to_string()]
    );
    // A key already in the target stays where it is, value and all.
    assert_eq!(
        store.list(MOVE_FROM).await.unwrap(),
        pairs(&[("taken", "old")])
    );
    assert_eq!(
        store.list(MOVE_TO).await.unwrap(),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3"), ("taken", "new")])
    );
    assert_eq!(
        store.move_rows(MOVE_TO, MOVE_TO, None).await.unwrap(),
        Vec::<String>::new()
    );
    clear(store, MOVE_FROM).await;
    clear(store, MOVE_TO).await;
}

async fn delete_reports_whether_a_row_went(store: &dyn Store) {
    store.put(A, "gone", "soon").await.unwrap();
    store.put(A, "kept", "yes").await.unwrap();
    assert!(store.delete(A, "gone").await.unwrap());
    assert!(!store.delete(A, "gone").await.unwrap());
    assert_eq!(store.get(A, "gone").await.unwrap(), None);
    assert_eq!(store.list(A).await.unwrap(), pairs(&[("kept", "yes")]));
    clear(store, A).await;
}

async fn list_is_sorted_by_key(store: &dyn Store) {
    let keys = ["b10", "é", "b2", "B", "", "a", "z", "a b"];
    for (i, key) in keys.iter().enumerate() {
        store.put(SORTED, key, &i.to_string()).await.unwrap();
    }
    let mut expected: Vec<(String, String)> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| (key.to_string(), i.to_string()))
        .collect();
    expected.sort();
    assert_eq!(store.list(SORTED).await.unwrap(), expected);
    clear(store, SORTED).await;
}

async fn values_round_trip_verbatim(store: &dyn Store) {
    let long = "x".repeat(256 * 1024);
    let values = [
        "",
        " padded ",
        "line\nbreak\r\n",
        "it's \"quoted\"; DROP TABLE kv; --",
        "ünïcødé ✓ 🎉",
        r#"{"json": [1, 2, {"nested": true}]}"#,
        &long,
    ];
    for (i, value) in values.iter().enumerate() {
        let key = format!("value-{i}");
        store.put(A, &key, value).await.unwrap();
        assert_eq!(store.get(A, &key).await.unwrap().as_deref(), Some(*value));
    }
    let odd_key = "key with spaces/slashes?&=%_*";
    store.put(A, odd_key, "ok").await.unwrap();
    assert_eq!(store.get(A, odd_key).await.unwrap().as_deref(), Some("ok"));
    // `_` and `%` are LIKE wildcards: a backend that used LIKE would find this.
    assert_eq!(
        store.get(A, "key with spaces/slashes?&=x_*").await.unwrap(),
        None
    );
    clear(store, A).await;
}

async fn scoped_store_sees_only_its_scope(store: Arc<dyn Store>) {
    let scoped = ScopedStore::new(Arc::clone(&store), A);
    assert_eq!(scoped.scope(), A);
    scoped.put("k", "via scoped").await.unwrap();
    store.put(A_CHILD, "k", "elsewhere").await.unwrap();

    assert_eq!(
        store.get(A, "k").await.unwrap().as_deref(),
        Some("via scoped")
    );
    assert_eq!(
        scoped.get("k").await.unwrap().as_deref(),
        Some("via scoped")
    );
    assert_eq!(scoped.list().await.unwrap(), pairs(&[("k", "via scoped")]));
    let clone = scoped.clone();
    assert!(clone.delete("k").await.unwrap());
    assert_eq!(scoped.get("k").await.unwrap(), None);
    assert_eq!(
        store.get(A_CHILD, "k").await.unwrap().as_deref(),
        Some("elsewhere")
    );
    clear(store.as_ref(), A_CHILD).await;
}

async fn concurrent_writes_all_land(store: Arc<dyn Store>) {
    let mut tasks = JoinSet::new();
    for i in 0..32 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let key = format!("k{i:02}");
            store.put(CONCURRENT, &key, "first").await.unwrap();
            store.put(CONCURRENT, &key, &i.to_string()).await.unwrap();
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    let expected: Vec<(String, String)> = (0..32)
        .map(|i| (format!("k{i:02}"), i.to_string()))
        .collect();
    assert_eq!(store.list(CONCURRENT).await.unwrap(), expected);
    clear(store.as_ref(), CONCURRENT).await;
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_in_memory() {
    let store = SqliteStore::in_memory().unwrap();
    assert_eq!(store.backend(), "sqlite");
    store_contract(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("switchboard.db")).unwrap();
    store_contract(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_postgres() {
    let pg = switchboard_testing::TestPostgres::start();
    let url = pg.database().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(store.backend(), "postgres");
    store_contract(Arc::new(store)).await;
    // A second instance on the same database finds it migrated and passes again.
    let again = PostgresStore::connect(&url).await.unwrap();
    store_contract(Arc::new(again)).await;
}

#[tokio::test]
async fn contract_passes_twice_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    store_contract(Arc::new(SqliteStore::open(&path).unwrap())).await;
    store_contract(Arc::new(SqliteStore::open(&path).unwrap())).await;
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.put("checkin", "host-1", "up").await.unwrap();
        store.put("checkin", "host-2", "down").await.unwrap();
        assert!(store.delete("checkin", "host-2").await.unwrap());
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.list("checkin").await.unwrap(),
        pairs(&[("host-1", "up")])
    );
}

#[tokio::test]
async fn file_is_in_wal_mode_with_normal_sync_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let store = SqliteStore::open(&path).unwrap();

    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(store.pragma_int("synchronous"), 1, "NORMAL");
    assert_eq!(store.pragma_int("busy_timeout"), 5000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_while_writes_never_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let value = "v".repeat(200);
    // 64 writers keep the store's queue full, so its thread never waits between commits.
    let mut writers = JoinSet::new();
    for w in 0..64 {
        let (store, value) = (Arc::clone(&store), value.clone());
        writers.spawn(async move {
            for n in 0..400 {
                store
                    .put("wal", &format!("w{w:02}-{n:04}"), &value)
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    assert_eq!(store.list("wal").await.unwrap().len(), 64 * 400);
    let mut wal = path.into_os_string();
    wal.push("-wal");
    let wal_bytes = std::fs::metadata(&wal).unwrap().len();
    // The WAL starts over once copied, and the writer copies it by itself past 32 MiB;
    // without restarts these writes leave a WAL of over 200 MB. Past 32 MiB it still grows by
    // what is written while the checkpoint thread finishes a copy, which a busy disk
    // stretches: once in a full test run it passed 40 MiB.
    assert!(
        wal_bytes <= 80 << 20,
        "the WAL grew to {wal_bytes} bytes for {} writes",
        64 * 400
    );
}

#[tokio::test]
async fn two_stores_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    first.put("s", "k", "from first").await.unwrap();
    assert_eq!(
        second.get("s", "k").await.unwrap().as_deref(),
        Some("from first")
    );
}

#[tokio::test]
async fn put_records_when_the_value_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let store = SqliteStore::open(&path).unwrap();
    let before = unix_secs();
    store.put("s", "k", "v").await.unwrap();
    let after = unix_secs();

    let updated_at: i64 = raw(&path)
        .query_row(
            "SELECT updated_at FROM kv WHERE scope = 's' AND key = 'k'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!((before..=after).contains(&updated_at), "{updated_at}");
}

#[test]
fn open_creates_missing_parent_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/switchboard.db");
    SqliteStore::open(&path).unwrap();
    assert!(path.is_file());
}

#[test]
fn open_on_an_unusable_path_is_an_open_error_naming_the_path() {
    // A directory where the file should be: unwritable as a database even for root.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    std::fs::create_dir(&path).unwrap();

    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::Open { path: p, .. } if *p == path),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn open_below_a_regular_file_is_a_create_dir_error_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "").unwrap();

    let err = SqliteStore::open(file.join("switchboard.db")).unwrap_err();
    assert!(
        matches!(&err, StoreError::CreateDir { path, .. } if *path == file),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );
}

#[test]
fn migrations_run_once_and_record_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    SqliteStore::open(&path).unwrap();
    SqliteStore::open(&path).unwrap();
    let conn = raw(&path);
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let kv_tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'kv'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kv_tables, 1);
}

#[tokio::test]
async fn a_store_written_by_the_first_schema_keeps_its_rows_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    {
        // What a build with only migration 1 left behind.
        let conn = raw(&path);
        conn.execute_batch(
            "CREATE TABLE kv (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                updated_at INTEGER NOT NULL, PRIMARY KEY (scope, key));
             INSERT INTO kv VALUES ('ignore', 'mallory', '1', 0), ('outbox:bot', 'k1', 'v1', 0);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.list("outbox:bot").await.unwrap(),
        [("k1".to_string(), "v1".to_string())]
    );
    assert_eq!(
        store.get("ignore", "mallory").await.unwrap().as_deref(),
        Some("1")
    );
    drop(store);
    let without_rowid: String = raw(&path)
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'kv'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(without_rowid.contains("WITHOUT ROWID"), "{without_rowid}");
}

#[test]
fn a_store_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();

    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known, .. }
            if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{err:?}"
    );
}

#[test]
fn scoped_store_debug_names_backend_and_scope() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let scoped = ScopedStore::new(store, "plugin.weather");
    let debug = format!("{scoped:?}");
    assert!(
        debug.contains("sqlite") && debug.contains("plugin.weather"),
        "{debug}"
    );
}

fn unix_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_memory() {
    store_contract(Arc::new(switchboard_api::MemoryStore::new())).await;
}
