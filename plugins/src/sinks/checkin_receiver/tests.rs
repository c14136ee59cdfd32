//! The receiver's routes through `warp::test`, on a real SQLite file, and on a real
//! PostgreSQL shared by two receivers.

use std::sync::Arc;

use switchboard_testing::TestPostgres;
use warp::http::StatusCode;

use super::*;

pub(super) const SECRET: &str = "s3cret";

pub(super) fn body(hash: &str, user: &str) -> String {
    format!(
        r##"{{"packet_hash":"{hash}","username":"{user}","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00","source_bot":"b1"}}"##
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    filter: ReceiverFilter,
    counters: Arc<switchboard_api::http::SinkCounters>,
}

/// The standalone receiver's filter on `receiver`, counting into `counters`.
fn standalone(
    receiver: Receiver,
    counters: Arc<switchboard_api::http::SinkCounters>,
) -> ReceiverFilter {
    let intake = receiver_intake("checkin-receiver", receiver_limits(), counters, &receiver);
    receiver_filter(&intake, Arc::new(receiver))
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/checkins.db");
    let target = DbTarget::Sqlite(path.clone(), SqliteSync::Full);
    let db = ReceiverDb::open(&target).await.unwrap();
    let receiver = Receiver::new(receiver_secret(SECRET).unwrap(), db, target);
    let counters = Arc::new(switchboard_api::http::SinkCounters::default());
    Fixture {
        _dir: dir,
        path,
        filter: standalone(receiver, counters.clone()),
        counters,
    }
}

pub(super) fn post(path: &str, auth: Option<&[u8]>, body: &str) -> warp::test::RequestBuilder {
    let mut request = warp::test::request().method("POST").path(path).body(body);
    if let Some(auth) = auth {
        request = request.header(
            "authorization",
            warp::http::HeaderValue::from_bytes(auth).unwrap(),
        );
    }
    request
}

async fn answer(f: &Fixture, request: warp::test::RequestBuilder) -> (StatusCode, String) {
    let response = request.reply(&f.filter).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(
        response.headers().contains_key("x-request-id"),
        "every answer carries a request id"
    );
    (
        response.status(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn rows(path: &std::path::Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT packet_hash, username, source_bot FROM checkins ORDER BY packet_hash")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn health_checks_answer_ok_on_both_paths_and_query_strings_are_ignored() {
    let f = fixture().await;
    for path in ["/", "/checkins", "/checkins?probe=1"] {
        let (status, body) = answer(&f, warp::test::request().path(path)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"status":"ok"}"#)
        );
    }
    let (status, body) = answer(&f, warp::test::request().path("/other")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, r#"{"error":"not found"}"#)
    );
}

#[tokio::test]
async fn a_valid_check_in_is_stored_and_answered_201_with_an_empty_object() {
    let f = fixture().await;
    for path in ["/", "/checkins"] {
        let auth = format!("Bearer {SECRET}");
        let (status, text) =
            answer(&f, post(path, Some(auth.as_bytes()), &body("A1", "HOWL"))).await;
        assert_eq!((status, text.as_str()), (StatusCode::CREATED, "{}"));
    }
    assert_eq!(
        rows(&f.path),
        vec![("A1".into(), "HOWL".into(), "b1".into())]
    );
}

#[tokio::test]
async fn the_same_packet_hash_twice_is_one_row_and_the_last_write_wins() {
    let f = fixture().await;
    let auth = format!("Bearer {SECRET}");
    answer(
        &f,
        post("/checkins", Some(auth.as_bytes()), &body("A1", "HOWL")),
    )
    .await;
    answer(
        &f,
        post("/checkins", Some(auth.as_bytes()), &body("A1", "HOWL2")),
    )
    .await;
    assert_eq!(
        rows(&f.path),
        vec![("A1".into(), "HOWL2".into(), "b1".into())]
    );
}

#[tokio::test]
async fn unknown_paths_are_404_before_auth_and_other_methods_501() {
    let f = fixture().await;
    let (status, text) = answer(&f, post("/nope", None, &body("A1", "HOWL"))).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::NOT_FOUND, r#"{"error":"not found"}"#)
    );
    let (status, _) = answer(&f, warp::test::request().method("PUT").path("/checkins")).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn wrong_missing_or_non_ascii_tokens_are_401() {
    let f = fixture().await;
    let wrong: [Option<&[u8]>; 7] = [
        None,
        Some(b"Bearer nope"),
        Some(b"Bearer S3CRET"),
        Some(b"Basic s3cret"),
        Some(b"Bearer"),
        Some(b"Bearer s\xc3\xa9cret"),
        Some(b"Bearer \xff"),
    ];
    for auth in wrong {
        let (status, text) = answer(&f, post("/checkins", auth, &body("A1", "HOWL"))).await;
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#),
            "{auth:?}"
        );
    }
    assert!(rows(&f.path).is_empty());
}

#[tokio::test]
async fn the_bearer_scheme_follows_the_shared_rules_in_any_case() {
    let f = fixture().await;
    for (n, auth) in ["bearer s3cret", "BEARER  s3cret ", "Bearer s3cret"]
        .iter()
        .enumerate()
    {
        let (status, text) = answer(
            &f,
            post(
                "/checkins",
                Some(auth.as_bytes()),
                &body(&format!("A{n}"), "HOWL"),
            ),
        )
        .await;
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::CREATED, "{}"),
            "{auth}"
        );
    }
    assert_eq!(rows(&f.path).len(), 3);
}

#[tokio::test]
async fn refusals_keep_the_originals_bodies_and_are_counted_under_the_catalogues_words() {
    let f = fixture().await;
    let auth = format!("Bearer {SECRET}");
    let requests = [
        post("/checkins", None, &body("A1", "HOWL")),
        post("/checkins", Some(b"Bearer nope"), &body("A1", "HOWL")),
        post("/checkins", Some(auth.as_bytes()), "{oops"),
        post("/checkins", Some(auth.as_bytes()), "[1]"),
        post(
            "/checkins",
            Some(auth.as_bytes()),
            &"x".repeat(MAX_BODY + 1),
        ),
        post("/elsewhere", Some(auth.as_bytes()), &body("A1", "HOWL")),
        warp::test::request().method("DELETE").path("/checkins"),
        warp::test::request().path("/checkins"),
        post("/checkins", Some(auth.as_bytes()), &body("A1", "HOWL"))
            .header("x-request-id", "flush-7"),
    ];
    let mut ids = Vec::new();
    for request in requests {
        let response = request.reply(&f.filter).await;
        ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(ids.last().map(String::as_str), Some("flush-7"));
    assert_eq!(ids[0], "checkin-receiver-1");
    let counts = f.counters.snapshot();
    assert_eq!((counts.received, counts.accepted), (9, 1));
    let rejected: Vec<(&str, u64)> = counts
        .rejected
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        rejected,
        vec![
            ("bad_json", 1),
            ("bad_payload", 1),
            ("not_found", 1),
            ("not_implemented", 1),
            ("too_large", 1),
            ("unauthorized", 2),
        ]
    );
}

#[tokio::test]
async fn bad_bodies_get_the_originals_400s_and_typed_field_errors() {
    let f = fixture().await;
    let auth = format!("Bearer {SECRET}");
    let cases = [
        ("", r#"{"error":"invalid json"}"#.to_string()),
        ("{not json", r#"{"error":"invalid json"}"#.to_string()),
        ("[1]", r#"{"error":"body must be a json object"}"#.to_string()),
        (
            r#"{"packet_hash":"A1","username":""}"#,
            r#"{"error": "missing fields", "fields": ["username", "message", "channel", "timestamp"]}"#.to_string(),
        ),
        (
            &body("A1", "HOWL").replace("\"HOWL\"", "[\"HOWL\"]"),
            r#"{"error":"invalid field","field":"username","reason":"must be a string"}"#.to_string(),
        ),
        (
            &body("A1", "HOWL").replace("2025-03-03T14:30:00-07:00", "monday"),
            r#"{"error":"invalid field","field":"timestamp","reason":"must be an ISO 8601 date and time"}"#.to_string(),
        ),
    ];
    for (sent, expected) in cases {
        let (status, text) = answer(&f, post("/checkins", Some(auth.as_bytes()), sent)).await;
        assert_eq!(
            (status, text),
            (StatusCode::BAD_REQUEST, expected),
            "{sent}"
        );
    }
    assert!(rows(&f.path).is_empty());
}

#[tokio::test]
async fn bodies_over_4096_bytes_are_413() {
    let f = fixture().await;
    let auth = format!("Bearer {SECRET}");
    let big = body("A1", &"H".repeat(MAX_BODY));
    let (status, text) = answer(&f, post("/checkins", Some(auth.as_bytes()), &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    // Exactly at the limit is still accepted.
    let filler = MAX_BODY - body("A2", "").len();
    let exact = body("A2", &"H".repeat(filler));
    assert_eq!(exact.len(), MAX_BODY);
    let (status, _) = answer(&f, post("/checkins", Some(auth.as_bytes()), &exact)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rows(&f.path).len(), 1);
}

/// The original receiver's table, with `packet_hash` as its primary key.
const ORIGINAL_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS checkins (
  packet_hash TEXT PRIMARY KEY, username TEXT NOT NULL, message TEXT NOT NULL,
  channel TEXT NOT NULL, timestamp TEXT NOT NULL, source_bot TEXT, updated_at TEXT NOT NULL)";

#[tokio::test]
async fn an_existing_database_from_the_original_receiver_is_used_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkins.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(ORIGINAL_SCHEMA).unwrap();
        conn.execute(
            "INSERT INTO checkins VALUES ('OLD', 'HOWL', 'check in', '#meshmonday', '2025-03-03T14:30:00-07:00', '', '2025-03-03T21:30:00+00:00')",
            [],
        )
        .unwrap();
    }
    let target = DbTarget::Sqlite(path.clone(), SqliteSync::Full);
    let db = ReceiverDb::open(&target).await.unwrap();
    for (hash, user) in [("NEW", "WOLF"), ("OLD", "HOWL2")] {
        db.upsert(parse_checkin(body(hash, user).as_bytes()).unwrap())
            .await
            .unwrap();
    }
    assert_eq!(
        rows(&path),
        vec![
            ("NEW".into(), "WOLF".into(), "b1".into()),
            ("OLD".into(), "HOWL2".into(), "b1".into())
        ]
    );
    let unique_indexes: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            r#"SELECT count(*) FROM pragma_index_list('checkins') WHERE "unique""#,
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unique_indexes, 1, "the original's primary key is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_small_while_writes_never_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkins.db");
    let db = ReceiverDb::open(&DbTarget::Sqlite(path.clone(), SqliteSync::Normal))
        .await
        .unwrap();
    // 64 writers keep the queue full, so the writer never waits between commits.
    let writers: Vec<_> = (0..64)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                for n in 0..1500 {
                    let hash = format!("W{w:02}N{n:04}");
                    let mut record = parse_checkin(body(&hash, "HOWL").as_bytes()).unwrap();
                    // 3.6 KB, near the body limit: enough WAL that without restarts it would
                    // pass the bound below.
                    record.message = "check in ".repeat(400);
                    db.upsert(record).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(rows(&path).len(), 64 * 1500);
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let wal_bytes = std::fs::metadata(&wal).unwrap().len();
    // The WAL starts over once copied, and the writer copies it by itself past 128 MiB: it
    // ended at 81-97 MiB in 3 runs. With neither (no restarts) it reached 421 MiB.
    assert!(
        wal_bytes <= 256 << 20,
        "the WAL grew to {wal_bytes} bytes for {} check-ins",
        64 * 1500
    );
}

/// Two receivers on `target`, fed the same 200 hashes: the first by one receiver after the
/// other, so that both have written before the rest, which 8 clients per receiver send
/// concurrently.
async fn feed_two_receivers_overlapping_check_ins(target: &DbTarget) {
    let auth = format!("Bearer {SECRET}");
    let mut filters = Vec::new();
    for r in 0..2 {
        let db = ReceiverDb::open(target).await.unwrap();
        let receiver = Receiver::new(receiver_secret(SECRET).unwrap(), db, target.clone());
        let filter = standalone(receiver, Arc::default());
        let first = post(
            "/checkins",
            Some(auth.as_bytes()),
            &body("H0000", &format!("r{r}")),
        );
        assert_eq!(first.reply(&filter).await.status(), StatusCode::CREATED);
        filters.push(filter);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (r, filter) in filters.into_iter().enumerate() {
        for client in 0..8 {
            let filter = filter.clone();
            tasks.spawn(async move {
                for i in (client + 1..200).step_by(8) {
                    let hash = format!("H{i:04}");
                    let auth = format!("Bearer {SECRET}");
                    let response = post(
                        "/checkins",
                        Some(auth.as_bytes()),
                        &body(&hash, &format!("r{r}")),
                    )
                    .reply(&filter)
                    .await;
                    assert_eq!(response.status(), StatusCode::CREATED);
                }
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_sharing_one_sqlite_file_store_one_row_per_packet_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkins.db");
    feed_two_receivers_overlapping_check_ins(&DbTarget::Sqlite(path.clone(), SqliteSync::Full))
        .await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let counts: (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT packet_hash) FROM checkins",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(counts, (200, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_sharing_postgres_store_one_row_per_packet_hash() {
    let pg = TestPostgres::start();
    let url = pg.database().await;
    feed_two_receivers_overlapping_check_ins(&DbTarget::Postgres(url.clone())).await;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT packet_hash) FROM checkins",
            &[],
        )
        .await
        .unwrap();
    let (rows, distinct): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!((rows, distinct), (200, 200));
}
