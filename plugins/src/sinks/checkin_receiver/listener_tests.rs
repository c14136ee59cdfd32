//! The standalone receiver over real loopback connections: the shared listener's TLS and
//! time limits, and the intake's request timeout, as `switchboard checkin-receiver` serves it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_api::http::{ConnectionLimits, Limits, TlsFiles};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::*;

const SECRET: &str = "s3cret";
const LIMIT: Duration = Duration::from_millis(400);
/// Far longer than any limit above: a connection still open then is held forever.
const PATIENCE: Duration = Duration::from_secs(10);

struct Running {
    _dir: tempfile::TempDir,
    server: StandaloneReceiver,
    stop: CancellationToken,
}

async fn start(tls: Option<TlsFiles>, dir: tempfile::TempDir) -> Running {
    let target = DbTarget::Sqlite(dir.path().join("checkins.db"), SqliteSync::Normal);
    let db = ReceiverDb::open(&target).await.unwrap();
    let receiver = Arc::new(Receiver::new(receiver_secret(SECRET).unwrap(), db, target));
    let stop = CancellationToken::new();
    let server = StandaloneReceiver::start(
        "127.0.0.1:0".parse().unwrap(),
        tls.as_ref(),
        receiver,
        Limits {
            request_timeout: LIMIT,
            ..receiver_limits()
        },
        ConnectionLimits {
            header_read_timeout: LIMIT,
            ..ConnectionLimits::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    Running {
        _dir: dir,
        server,
        stop,
    }
}

/// Writes `request`, then reads until the receiver closes the connection; fails if it is still
/// open after [`PATIENCE`]. Returns what was read and how long the connection lasted.
async fn until_closed(addr: SocketAddr, request: &str) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut read = Vec::new();
    let outcome = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&read).into_owned();
    assert!(
        outcome.is_ok(),
        "the connection was held open for {PATIENCE:?}; read so far: {text:?}"
    );
    (text, started.elapsed())
}

#[tokio::test]
async fn a_partial_header_an_idle_connection_or_a_short_body_does_not_hold_a_connection() {
    let running = start(None, tempfile::tempdir().unwrap()).await;
    let addr = running.server.local_addr();

    // Headers that never end: closed after the header timeout, unanswered.
    let (answer, lasted) =
        until_closed(addr, "POST /checkins HTTP/1.1\r\nHost: x\r\nAuthoriz").await;
    assert_eq!(answer, "");
    assert!(lasted >= LIMIT, "{lasted:?}");

    // A keep-alive connection left idle after its answer: closed after the same time.
    let (answer, lasted) = until_closed(addr, "GET /checkins HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    assert!(lasted >= LIMIT, "{lasted:?}");

    // A body shorter than its Content-Length: 408 after the request timeout, then closed.
    let (answer, lasted) = until_closed(
        addr,
        "POST /checkins HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\
         Content-Length: 100\r\n\r\n{\"packet_hash\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains(r#""reason":"timeout""#), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: checkin-receiver-"),
        "{answer}"
    );
    assert!(lasted >= LIMIT && lasted < PATIENCE, "{lasted:?}");

    let counts = running.server.counters();
    assert_eq!(counts.rejected.get("timeout"), Some(&1));
    running.stop.cancel();
    running.server.stopped().await;
}

#[tokio::test]
async fn with_a_certificate_the_standalone_receiver_speaks_https() {
    let dir = tempfile::tempdir().unwrap();
    let pair =
        switchboard_api::http::tls::self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &pair.cert_pem).unwrap();
    std::fs::write(&key, &pair.key_pem).unwrap();
    let running = start(
        Some(TlsFiles {
            certfile: cert,
            keyfile: Some(key),
        }),
        dir,
    )
    .await;
    let url = running.server.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let body = r##"{"packet_hash":"A1","username":"HOWL","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00"}"##;
    let response = client
        .post(format!("{url}/checkins"))
        .bearer_auth(SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.text().await.unwrap(), "{}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("{}/checkins", url.replace("https", "http"))).await;
    assert!(plain.is_err());
    running.stop.cancel();
    assert_eq!(running.server.stopped().await.accepted, 1);
}
