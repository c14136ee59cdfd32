//! The listener over real loopback connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use warp::http::StatusCode;

use super::*;
use crate::http::counters::SinkCounters;
use crate::http::intake::{Answer, Intake};
use crate::http::limits::Limits;
use crate::http::reply::json_ok;
use crate::sink::RouteSpec;

async fn listening(limits: ConnectionLimits) -> (SocketAddr, CancellationToken) {
    let intake = Intake::new(
        "probe",
        Limits::default(),
        Arc::new(SinkCounters::default()),
    );
    let routes = intake.serve(&RouteSpec::new("POST", "/in"), |_| async {
        Ok(Answer::Accepted(json_ok(
            StatusCode::ACCEPTED,
            &serde_json::json!({}),
        )))
    });
    let addr = ListenerAddr {
        bind: "127.0.0.1".into(),
        port: 0,
    };
    let listener = BoundListener::bind(&addr, None)
        .await
        .unwrap()
        .with_limits(limits);
    let local = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    listener.serve(routes, stop.clone());
    (local, stop)
}

/// Sends `request` and reads until the server closes the connection (or `within` passes).
async fn exchange(addr: SocketAddr, request: &str, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the connection was still open after {within:?}"
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn answers_no_sink_gave_carry_a_request_id_too() {
    let (addr, stop) = listening(ConnectionLimits::default()).await;
    let close = "Connection: close\r\n";
    let within = Duration::from_secs(5);
    let (answer, _) = exchange(
        addr,
        &format!("GET /nowhere HTTP/1.1\r\nHost: x\r\n{close}\r\n"),
        within,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let ours = format!("listener-{}-1", addr.port());
    assert_eq!(header(&answer, "x-request-id"), Some(ours.as_str()));
    let (answer, _) = exchange(
        addr,
        &format!("GET /in HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-7\r\n{close}\r\n"),
        within,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert_eq!(header(&answer, "x-request-id"), Some("req-7"));
    let (answer, _) = exchange(
        addr,
        &format!("POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n{close}\r\n"),
        within,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    assert_eq!(header(&answer, "x-request-id"), Some("probe-1"));
    stop.cancel();
}

#[tokio::test]
async fn a_partial_header_or_an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(300),
        ..ConnectionLimits::default()
    };
    let (addr, stop) = listening(limits).await;
    let within = Duration::from_secs(5);
    let (answer, took) = exchange(addr, "POST /in HTTP/1.1\r\nHost: x\r\nContent-", within).await;
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(!answer.contains("202"), "{answer}");
    let (answer, took) = exchange(
        addr,
        "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        within,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    stop.cancel();
}
