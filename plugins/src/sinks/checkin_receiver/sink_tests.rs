//! The receiver as a sink in the bot: what it publishes on the bus, and its config section.

use std::sync::Arc;

use warp::http::StatusCode;

use super::tests::{body, post, SECRET};
use super::*;

/// `text` as the config file of a fresh folder (kept while the test holds it).
fn config_in(text: &str) -> (switchboard_api::config::Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config =
        switchboard_api::config::Config::from_text(dir.path().join("config.ini"), text).unwrap();
    (config, dir)
}

#[tokio::test]
async fn the_sink_publishes_each_stored_check_in_on_the_bus() {
    let (config, dir) = config_in("[Sink.checkin_receiver]\nsecret = s3cret\nport = 9998\n");
    let mut builder = switchboard_api::PluginBuilder::new(&config);
    CheckinReceiverPlugin.build(&mut builder).unwrap();
    let parts = builder.into_parts();
    let sink = parts.sinks.first().expect("the sink is registered").clone();
    assert_eq!(sink.listener().to_string(), "127.0.0.1:9998");
    assert_eq!(sink.routes().len(), 4);

    let bot = switchboard_testing::TestBot::new(Vec::new()).await;
    let ctx = bot.context().clone();
    let mut events = ctx.subscribe();
    let filter = sink.filter(ctx);
    let auth = format!("Bearer {SECRET}");
    let response = post("/checkins", Some(auth.as_bytes()), &body("A1", "HOWL"))
        .reply(&filter)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // Inside the bot it is on the shared intake: a request id, and counters under its name.
    assert_eq!(response.headers()["x-request-id"], "checkin_receiver-1");
    let counters = bot.context().sink_counters().snapshot();
    assert_eq!(counters["checkin_receiver"].accepted, 1);
    assert!(dir.path().join("data/checkins.db").is_file());
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let Some(switchboard_api::Event::Custom(custom)) = events.recv().await {
                if custom.topic == TOPIC {
                    return custom;
                }
            }
        }
    })
    .await
    .expect("a checkin.received event");
    assert_eq!(event.payload["username"], "HOWL");
    // On a shared listener, other paths and methods are left to other sinks.
    for (method, path) in [
        ("POST", "/other"),
        ("GET", "/webhook"),
        ("PUT", "/checkins"),
    ] {
        let request = warp::test::request().method(method).path(path);
        assert!(!request.matches(&filter).await, "{method} {path}");
    }
    assert!(
        warp::test::request()
            .path("/checkins")
            .matches(&filter)
            .await
    );
}

/// The in-bot receiver from `text`, its filter on a test bot.
async fn sink_from(text: &str) -> (Arc<dyn Sink>, SinkFilter, tempfile::TempDir) {
    let (config, dir) = config_in(text);
    let mut builder = switchboard_api::PluginBuilder::new(&config);
    CheckinReceiverPlugin.build(&mut builder).unwrap();
    let sink = builder
        .into_parts()
        .sinks
        .first()
        .expect("the sink")
        .clone();
    let bot = switchboard_testing::TestBot::new(Vec::new()).await;
    let filter = sink.filter(bot.context().clone());
    (sink, filter, dir)
}

#[tokio::test]
async fn the_sink_takes_every_sinks_listener_keys_with_the_originals_defaults() {
    // Defaults: the original's port and 4096-byte limit, everyone allowed in.
    let (sink, filter, _dir) = sink_from("[Sink.checkin_receiver]\nsecret = s3cret\n").await;
    assert_eq!(sink.listener().to_string(), "127.0.0.1:9999");
    assert!(sink.tls().is_none());
    let auth = format!("Bearer {SECRET}");
    let big = "x".repeat(4097);
    let response = post("/checkins", Some(auth.as_bytes()), &big)
        .reply(&filter)
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.body().as_ref(),
        br#"{"error":"body too large","limit":4096}"#
    );

    // Configured: the allow list, the body limit (in the original's words) and the port.
    let (sink, filter, _dir) = sink_from(
        "[Sink.checkin_receiver]\nsecret = s3cret\nport = 9997\nallow_from = 192.0.2.0/24\n\
         max_body_size = 400\nmax_concurrent = 2\nrequest_timeout = 3s\n",
    )
    .await;
    assert_eq!(sink.listener().to_string(), "127.0.0.1:9997");
    let from = |peer: &str, text: &str| {
        post("/checkins", Some(auth.as_bytes()), text)
            .extension(switchboard_api::http::PeerAddr(peer.parse().unwrap()))
    };
    let outsider = from("198.51.100.7:4000", &body("A1", "HOWL"))
        .reply(&filter)
        .await;
    assert_eq!(outsider.status(), StatusCode::FORBIDDEN);
    let inside = from("192.0.2.7:4000", &body("A2", "HOWL"))
        .reply(&filter)
        .await;
    assert_eq!(inside.status(), StatusCode::CREATED);
    let large = from("192.0.2.7:4000", &"x".repeat(401))
        .reply(&filter)
        .await;
    assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        large.body().as_ref(),
        br#"{"error":"body too large","limit":400}"#
    );
}

#[tokio::test]
async fn the_sinks_listener_keys_are_checked_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        (
            "[Sink.checkin_receiver]\nsecret = s\nallow_from = not-a-net\n",
            "allow_from",
        ),
        (
            "[Sink.checkin_receiver]\nsecret = s\ncertfile = missing.pem\n",
            "certfile",
        ),
        (
            "[Sink.checkin_receiver]\nsecret = s\nmax_concurrent = 0\n",
            "max_concurrent",
        ),
        (
            "[Sink.checkin_receiver]\nsecret = s\nport = 70000\n",
            "port",
        ),
    ] {
        let config =
            switchboard_api::config::Config::from_text(dir.path().join("config.ini"), text)
                .unwrap();
        let mut builder = switchboard_api::PluginBuilder::new(&config);
        let err = CheckinReceiverPlugin
            .build(&mut builder)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(key) && err.contains("config.ini:3"),
            "{text}: {err}"
        );
    }
}

#[test]
fn the_sink_refuses_to_build_without_a_secret() {
    let (config, _dir) = config_in("[Sink.checkin_receiver]\nport = 9998\n");
    let mut builder = switchboard_api::PluginBuilder::new(&config);
    if std::env::var("CHECKIN_API_SECRET").is_err() {
        let err = CheckinReceiverPlugin.build(&mut builder).unwrap_err();
        assert!(err.to_string().contains("CHECKIN_API_SECRET"), "{err}");
    }
}
