use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Notify;
use warp::http::{HeaderMap, StatusCode};

use super::*;
use crate::http::counters::SinkCounters;
use crate::http::limits::parse_net;
use crate::http::reply::json_ok;

fn ok() -> HandlerResult {
    Ok(Answer::Accepted(json_ok(
        StatusCode::ACCEPTED,
        &serde_json::json!({"ok": true}),
    )))
}

fn intake(limits: Limits) -> Arc<Intake> {
    Intake::new("test", limits, Arc::new(SinkCounters::default()))
}

fn route() -> RouteSpec {
    RouteSpec::new("POST", "/in")
}

fn reason(response: &warp::http::Response<bytes::Bytes>) -> String {
    let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    json["reason"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_counted() {
    let intake = intake(Limits {
        max_body: 8,
        ..Limits::default()
    });
    let filter = intake.serve(&route(), |_| async { ok() });
    let small = warp::test::request()
        .method("POST")
        .path("/in")
        .body("12345678");
    assert_eq!(small.reply(&filter).await.status(), 202);
    let big = warp::test::request()
        .method("POST")
        .path("/in")
        .body("123456789");
    let response = big.reply(&filter).await;
    assert_eq!(response.status(), 413);
    assert_eq!(reason(&response), "too_large");
    let counts = intake.counters().snapshot();
    assert_eq!((counts.received, counts.accepted), (2, 1));
    assert_eq!(counts.rejected.get("too_large"), Some(&1));
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_get_503_while_others_run() {
    let intake = intake(Limits {
        max_concurrent: 1,
        ..Limits::default()
    });
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (s, r) = (started.clone(), release.clone());
    let filter = intake.serve(&route(), move |_| {
        let (s, r) = (s.clone(), r.clone());
        async move {
            s.notify_one();
            r.notified().await;
            ok()
        }
    });
    let first = {
        let filter = filter.clone();
        tokio::spawn(async move {
            warp::test::request()
                .method("POST")
                .path("/in")
                .reply(&filter)
                .await
                .status()
        })
    };
    started.notified().await;
    let busy = warp::test::request()
        .method("POST")
        .path("/in")
        .reply(&filter)
        .await;
    assert_eq!(busy.status(), 503);
    assert_eq!(reason(&busy), "busy");
    release.notify_one();
    assert_eq!(first.await.unwrap(), 202);
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_takes_too_long_is_answered_408() {
    let intake = intake(Limits {
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    });
    let filter = intake.serve(&route(), |_| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        ok()
    });
    let response = warp::test::request()
        .method("POST")
        .path("/in")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 408);
    assert_eq!(reason(&response), "timeout");
}

#[tokio::test]
async fn the_allow_list_reads_the_peer_and_trusted_proxies_only() {
    let intake = intake(Limits {
        allow_from: vec![parse_net("192.0.2.0/24").unwrap()],
        trusted_proxies: vec![parse_net("127.0.0.1").unwrap()],
        ..Limits::default()
    });
    let filter = intake.serve(&route(), |_| async { ok() });
    let from = |peer: &str, forwarded: Option<&str>| {
        let mut request = warp::test::request()
            .method("POST")
            .path("/in")
            .extension(PeerAddr(peer.parse().unwrap()));
        if let Some(f) = forwarded {
            request = request.header("x-forwarded-for", f);
        }
        request
    };
    assert_eq!(
        from("192.0.2.1:5000", None).reply(&filter).await.status(),
        202
    );
    let response = from("198.51.100.1:5000", Some("192.0.2.1"))
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(reason(&response), "forbidden");
    let proxied = from("127.0.0.1:5000", Some("192.0.2.9"))
        .reply(&filter)
        .await;
    assert_eq!(proxied.status(), 202);
}

#[tokio::test]
async fn a_sinks_wording_gives_the_intakes_refusals_its_protocols_bodies() {
    use crate::http::catalogue::TooLarge;
    let intake = Intake::builder(
        "test",
        Limits {
            max_body: 8,
            ..Limits::default()
        },
        Arc::new(SinkCounters::default()),
    )
    .wording(|refusal| {
        if refusal.is::<TooLarge>() {
            refusal.with_body(r#"{"error":"body too large"}"#)
        } else {
            refusal
        }
    })
    .build();
    let filter = intake.serve(&route(), |_| async { ok() });
    let response = warp::test::request()
        .method("POST")
        .path("/in")
        .body("123456789")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.body().as_ref(), br#"{"error":"body too large"}"#);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        intake.counters().snapshot().rejected.get("too_large"),
        Some(&1)
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_read_to_its_end_within_the_drain_limit() {
    let counters = Arc::new(SinkCounters::default());
    let drained = Intake::builder(
        "test",
        Limits {
            max_body: 8,
            ..Limits::default()
        },
        counters.clone(),
    )
    .drain_refused_bodies(16)
    .build();
    // Chunks as they would arrive: the stream is polled to its end before the 413.
    let polled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let chunks = {
        let polled = polled.clone();
        futures::stream::iter(["12345", "67890", "12345"]).map(move |c| {
            polled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, warp::Error>(bytes::Bytes::from_static(c.as_bytes()))
        })
    };
    let headers = HeaderMap::new();
    let answer = body::read_body(chunks, &headers, 8, 16).await;
    assert!(answer.unwrap_err().is::<crate::http::catalogue::TooLarge>());
    assert_eq!(polled.load(std::sync::atomic::Ordering::SeqCst), 3);
    // Past the drain limit it stops at once.
    let endless = futures::stream::repeat_with(|| {
        Ok::<_, warp::Error>(bytes::Bytes::from_static(b"0123456789"))
    });
    assert!(body::read_body(endless, &headers, 8, 16).await.is_err());
    let filter = drained.serve(&route(), |_| async { ok() });
    let response = warp::test::request()
        .method("POST")
        .path("/in")
        .body("1234567890")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_fallback_sees_the_method_and_an_answer_is_not_counted_as_accepted() {
    let intake = intake(Limits::default());
    let filter = intake.serve_fallback(|request: SinkRequest| async move {
        Ok(Answer::Answered(json_ok(
            StatusCode::OK,
            &serde_json::json!({"method": request.method.as_str()}),
        )))
    });
    let response = warp::test::request()
        .method("PATCH")
        .path("/anything/at/all")
        .reply(&filter)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), br#"{"method":"PATCH"}"#);
    let counts = intake.counters().snapshot();
    assert_eq!((counts.received, counts.accepted), (1, 0));
}

#[tokio::test]
async fn a_body_in_one_chunk_or_several_is_handed_on_whole() {
    let headers = HeaderMap::new();
    let chunked = |parts: &'static [&'static str]| {
        futures::stream::iter(
            parts
                .iter()
                .map(|p| Ok::<_, warp::Error>(bytes::Bytes::from_static(p.as_bytes()))),
        )
    };
    for parts in [
        &["{\"a\":1}"][..],
        &["{\"a\"", ":1}"][..],
        &["", "{\"a\":1", "}"][..],
        &["{", "", "\"a\":1}"][..],
    ] {
        let body = body::read_body(chunked(parts), &headers, 64, 0)
            .await
            .unwrap();
        assert_eq!(&body[..], b"{\"a\":1}", "{parts:?}");
    }
    let empty = body::read_body(chunked(&[]), &headers, 64, 0)
        .await
        .unwrap();
    assert!(empty.is_empty());
}

/// Serves `filter` on a listener on a free loopback port, until the token is cancelled.
async fn on_loopback(
    filter: warp::filters::BoxedFilter<(warp::reply::Response,)>,
) -> (
    std::net::SocketAddr,
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let stop = tokio_util::sync::CancellationToken::new();
    let addr = crate::sink::ListenerAddr {
        bind: "127.0.0.1".into(),
        port: 0,
    };
    let (local, server) = crate::http::listener::serve(&addr, None, filter, stop.clone())
        .await
        .unwrap();
    (local, stop, server)
}

/// Sends `head` (and what follows it) on a new connection to `addr`; the connection is kept.
async fn send(addr: std::net::SocketAddr, head: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// The status code of the answer on `stream`.
async fn status_of(mut stream: tokio::net::TcpStream) -> u16 {
    use tokio::io::AsyncReadExt;
    let mut answer = vec![0u8; 1024];
    let n = stream.read(&mut answer).await.unwrap();
    let line = String::from_utf8_lossy(&answer[..n]);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn callers_without_the_key_sending_slow_bodies_take_no_slot() {
    let counters = Arc::new(SinkCounters::default());
    let limits = Limits {
        max_concurrent: 2,
        ..Limits::default()
    };
    let key = crate::http::signing::Secret::new(b"k3y");
    let intake = Intake::builder("test", limits, counters.clone())
        .check_head(move |_, headers| {
            let authorization = headers.get("authorization").map(|v| v.as_bytes());
            Ok(crate::http::signing::verify_bearer(
                std::slice::from_ref(&key),
                authorization,
            )?)
        })
        .build();
    let (local, stop, server) = on_loopback(intake.serve(&route(), |_| async { ok() })).await;
    // Ten callers without a key announce 100 bytes and send 5, then wait.
    let slow = "POST /in HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nhello";
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(send(local, slow).await);
    }
    // Every one of them has reached the intake...
    tokio::time::timeout(Duration::from_secs(10), async {
        while counters.snapshot().received < 10 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the slow requests reach the intake");
    // ...and was refused from its head, holding no slot: a caller with the key gets in.
    let with_key =
        "POST /in HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k3y\r\ncontent-length: 2\r\n\r\n{}";
    for _ in 0..3 {
        assert_eq!(status_of(send(local, with_key).await).await, 202);
    }
    assert_eq!(counters.snapshot().rejected.get("unauthorized"), Some(&10));
    for stream in idle {
        assert_eq!(status_of(stream).await, 401);
    }
    stop.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn a_413_closes_the_connection_without_reading_the_body_unless_the_sink_drains() {
    use tokio::io::AsyncReadExt;
    for (drain, closed) in [(0, true), (1024, false)] {
        let intake = Intake::builder(
            "test",
            Limits {
                max_body: 10,
                ..Limits::default()
            },
            Arc::new(SinkCounters::default()),
        )
        .drain_refused_bodies(drain)
        .build();
        let (local, stop, server) = on_loopback(intake.serve(&route(), |_| async { ok() })).await;
        // 20 bytes of a body announced as 100,000 (over the drain limit when there is one).
        let body = "x".repeat(20);
        let length = if closed { 100_000 } else { 20 };
        let request =
            format!("POST /in HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\n\r\n{body}");
        let mut stream = send(local, &request).await;
        let mut answer = vec![0u8; 4096];
        let n = stream.read(&mut answer).await.unwrap();
        assert!(answer[..n].starts_with(b"HTTP/1.1 413"), "drain {drain}");
        if closed {
            // The end of the stream, once the answer has been read.
            let rest = stream.read(&mut answer).await.unwrap();
            assert_eq!(rest, 0, "drain {drain}: the connection is closed");
            drop(stream);
        } else {
            let again = "POST /in HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}";
            tokio::io::AsyncWriteExt::write_all(&mut stream, again.as_bytes())
                .await
                .unwrap();
            assert_eq!(status_of(stream).await, 202, "drain {drain}: kept alive");
        }
        stop.cancel();
        server.await.unwrap();
    }
}
