//! `switchboard checkin-receiver` end to end over loopback: the original's wire behaviour,
//! its bugs fixed on a real keep-alive connection, and two receivers sharing PostgreSQL.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use switchboard_testing::TestPostgres;

use support::{stderr, ReceiverProcess, Scratch};

fn body(hash: &str, bot: &str) -> String {
    format!(
        r##"{{"packet_hash":"{hash}","username":"HOWL","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00","source_bot":"{bot}"}}"##
    )
}

/// One HTTP/1.1 connection; every request goes over it, so a server that closed or
/// desynchronised it fails the next request.
async fn connect(url: &str) -> SendRequest<Full<Bytes>> {
    let addr = url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    sender
}

async fn send(
    conn: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    auth: Option<&[u8]>,
    body: Vec<u8>,
) -> (u16, String) {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json");
    if let Some(auth) = auth {
        request = request.header(
            "authorization",
            hyper::header::HeaderValue::from_bytes(auth).expect("header bytes"),
        );
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("request");
    conn.ready().await.expect("the connection is still usable");
    let response = conn.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Method, path, authorization, body; the expected status and body.
type Step<'a> = (&'a str, &'a str, Option<&'a [u8]>, Vec<u8>, u16, &'a str);

#[tokio::test]
async fn errors_leave_the_keep_alive_connection_usable() {
    let scratch = Scratch::new();
    let receiver = ReceiverProcess::start(&scratch, &[("CHECKIN_DB_PATH", "checkins.db")]);
    let mut conn = connect(&receiver.url).await;
    let good = body("A1", "b1").into_bytes();
    let steps: Vec<Step> = vec![
        ("GET", "/checkins", None, vec![], 200, r#"{"status":"ok"}"#),
        (
            "POST",
            "/elsewhere",
            Some(b"Bearer s3cret"),
            good.clone(),
            404,
            r#"{"error":"not found"}"#,
        ),
        (
            "POST",
            "/checkins",
            Some(b"Bearer wrong"),
            good.clone(),
            401,
            r#"{"error":"unauthorized"}"#,
        ),
        (
            "POST",
            "/checkins",
            Some(b"Bearer s\xc3\xa9cret"),
            good.clone(),
            401,
            r#"{"error":"unauthorized"}"#,
        ),
        (
            "POST",
            "/checkins",
            Some(b"Bearer s3cret"),
            vec![b'x'; 5000],
            413,
            r#"{"error":"body too large","limit":4096}"#,
        ),
        (
            "POST",
            "/checkins",
            Some(b"Bearer s3cret"),
            b"{oops".to_vec(),
            400,
            r#"{"error":"invalid json"}"#,
        ),
        (
            "POST",
            "/checkins",
            Some(b"Bearer s3cret"),
            br#"{"packet_hash":"A1"}"#.to_vec(),
            400,
            r#"{"error": "missing fields", "fields": ["username", "message", "channel", "timestamp"]}"#,
        ),
        ("POST", "/", Some(b"Bearer s3cret"), good.clone(), 201, "{}"),
    ];
    for (method, path, auth, sent, status, expected) in steps {
        let answer = send(&mut conn, method, path, auth, sent).await;
        assert_eq!(
            answer,
            (status, expected.to_string()),
            "{method} {path} {auth:?}"
        );
    }
    let rows: i64 = rusqlite::Connection::open(scratch.path().join("checkins.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM checkins", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn the_receiver_refuses_to_start_without_a_secret_or_with_a_bad_port_or_tls_files() {
    let scratch = Scratch::new();
    let refusal = |command: &mut std::process::Command| {
        let output = support::wait_output(
            command
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        assert!(!output.status.success());
        stderr(&output)
    };

    let mut command = scratch.command(&["checkin-receiver"]);
    command.env_remove("CHECKIN_API_SECRET");
    let said = refusal(&mut command);
    assert!(said.contains("CHECKIN_API_SECRET is not set"), "{said}");

    let mut command = scratch.command(&["checkin-receiver"]);
    command
        .env("CHECKIN_API_SECRET", "x")
        .env("CHECKIN_PORT", "ninety");
    let said = refusal(&mut command);
    assert!(said.contains("CHECKIN_PORT"), "{said}");

    let mut command = scratch.command(&["checkin-receiver"]);
    command
        .env("CHECKIN_API_SECRET", "x")
        .env("CHECKIN_KEYFILE", "key.pem");
    let said = refusal(&mut command);
    assert!(
        said.contains("CHECKIN_KEYFILE is set without CHECKIN_CERTFILE"),
        "{said}"
    );

    let mut command = scratch.command(&["checkin-receiver"]);
    command
        .env("CHECKIN_API_SECRET", "x")
        .env("CHECKIN_PORT", "0")
        .env("CHECKIN_DB_PATH", "checkins.db")
        .env("CHECKIN_CERTFILE", "missing.pem");
    let said = refusal(&mut command);
    assert!(
        said.contains("TLS on 127.0.0.1:0: cannot read missing.pem"),
        "{said}"
    );
}

#[tokio::test]
async fn with_checkin_certfile_and_keyfile_the_receiver_serves_https() {
    let scratch = Scratch::new();
    let pair = switchboard_api::http::tls::self_signed(&["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    scratch.write("tls/cert.pem", &pair.cert_pem);
    scratch.write("tls/key.pem", &pair.key_pem);
    let receiver = ReceiverProcess::start(
        &scratch,
        &[
            ("CHECKIN_DB_PATH", "checkins.db"),
            ("CHECKIN_CERTFILE", "tls/cert.pem"),
            ("CHECKIN_KEYFILE", "tls/key.pem"),
        ],
    );
    assert!(
        receiver.url.starts_with("https://127.0.0.1:"),
        "{}",
        receiver.url
    );
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let health = client
        .get(format!("{}/checkins", receiver.url))
        .send()
        .await
        .expect("GET over TLS");
    assert_eq!(health.status().as_u16(), 200);
    let stored = client
        .post(format!("{}/checkins", receiver.url))
        .bearer_auth("s3cret")
        .body(body("T1", "b1"))
        .send()
        .await
        .expect("POST over TLS");
    assert_eq!(stored.status().as_u16(), 201);
    assert!(stored.headers().contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_on_different_ports_sharing_postgres_keep_one_row_per_packet_hash() {
    let pg = TestPostgres::start();
    let url = pg.database().await;
    let scratch = Scratch::new();
    let receivers: Vec<ReceiverProcess> = (0..2)
        .map(|_| ReceiverProcess::start(&scratch, &[("CHECKIN_DATABASE_URL", url.as_str())]))
        .collect();
    assert_ne!(receivers[0].url, receivers[1].url);

    // 300 check-ins, each sent to both receivers, by 8 connections per receiver at once.
    const HASHES: usize = 300;
    let mut tasks = tokio::task::JoinSet::new();
    for (r, receiver) in receivers.iter().enumerate() {
        for client in 0..8 {
            let url = receiver.url.clone();
            tasks.spawn(async move {
                let mut conn = connect(&url).await;
                for i in (client..HASHES).step_by(8) {
                    let hash = format!("{:016X}", i * 7919);
                    let (status, text) = send(
                        &mut conn,
                        "POST",
                        "/checkins",
                        Some(b"Bearer s3cret"),
                        body(&hash, &format!("bot{r}")).into_bytes(),
                    )
                    .await;
                    assert_eq!((status, text.as_str()), (201, "{}"));
                }
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("client task");
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT packet_hash) FROM checkins",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (HASHES as i64, HASHES as i64)
    );
    drop(receivers);
}
