use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use warp::http::StatusCode;

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
