//! The collector in a bot, and the flush against real HTTP servers on loopback.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchboard_api::{Conversation, Event, Message};
use switchboard_testing::TestBot;
use warp::http::StatusCode;
use warp::Filter;

use super::config::{ApiKey, ApiSettings, CheckinDays, CheckinSettings};
use super::flush::{flush, FlushPolicy, FlushReport};
use super::parse::Checkin;
use super::store::{CheckinStore, Status};
use super::*;

const KEY: &str = "s3cret";

fn settings(api: Option<ApiSettings>) -> CheckinSettings {
    CheckinSettings {
        channel: "#meshmonday".into(),
        days: CheckinDays::Daily,
        any_message_counts: false,
        require_phrase: "check in".into(),
        flush_time: chrono::NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
        api,
        source_bot: "bot1".into(),
        timezone: switchboard_api::timezone::BotTimezone::parse("UTC").unwrap(),
    }
}

fn checkin(hash: &str) -> Checkin {
    Checkin {
        packet_hash: hash.into(),
        username: "HOWL".into(),
        message: "check in".into(),
        channel: "#meshmonday".into(),
        timestamp: "2025-03-03T14:30:00-07:00".into(),
        source_bot: "bot1".into(),
        day: "2025-03-03".into(),
    }
}

/// Waits for `condition` to hold, failing after a generous bound.
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_check_in_heard_on_the_channel_is_stored_at_once_and_only_once() {
    let bot = TestBot::new(Vec::new()).await;
    let ctx = bot.context().clone();
    let service = CheckinService::new(settings(None), FlushPolicy::default());
    let stop = tokio_util::sync::CancellationToken::new();
    service.start(ctx.clone(), stop.clone()).await.unwrap();
    let store = CheckinStore::new(ctx.store());
    for text in [
        "HOWL: check in",
        "HOWL: check in",
        "WOLF: hello",
        "FOX: Check In!",
    ] {
        let message = Message::new(
            "mesh",
            Conversation::Channel("#meshmonday".into()),
            "radio",
            text,
        );
        ctx.publish(Event::Inbound(Arc::new(message)));
    }
    let elsewhere = Message::new(
        "mesh",
        Conversation::Channel("#general".into()),
        "radio",
        "BAT: check in",
    );
    ctx.publish(Event::Inbound(Arc::new(elsewhere)));
    eventually("two check-ins in the store", || async {
        store.all().await.unwrap().len() >= 2
    })
    .await;
    stop.cancel();
    service.stop().await.unwrap();
    let names: Vec<String> = store
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.checkin.username)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"HOWL".to_string()) && names.contains(&"FOX".to_string()));
    assert!(store
        .all()
        .await
        .unwrap()
        .iter()
        .all(|r| r.status == Status::Pending));
}

#[tokio::test]
async fn checkins_command_names_todays_check_ins() {
    // Every day a check-in day, so that today is one whatever day the test runs.
    let bot = TestBot::with_config(
        vec![Arc::new(CheckinPlugin)],
        "[Bot]\ntimezone = UTC\n[CheckIn]\ncheck_in_days = daily\n",
    )
    .await
    .unwrap();
    assert_eq!(
        bot.say("!checkins").await,
        vec!["No check-ins on #meshmonday today yet."]
    );
    let store = CheckinStore::new(bot.context().store());
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (hash, name) in [("A", "HOWL"), ("B", "WOLF")] {
        let mut c = checkin(hash);
        c.username = name.into();
        c.day = today.clone();
        store.record(&c).await.unwrap();
    }
    store.record(&checkin("OLD")).await.unwrap();
    assert_eq!(
        bot.say("!checkins").await,
        vec!["2 check-ins on #meshmonday today: HOWL, WOLF"]
    );
}

/// A loopback API that answers with the scripted statuses (then 201) and records requests.
struct FakeApi {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

async fn fake_api(script: &[u16]) -> FakeApi {
    let script = Arc::new(Mutex::new(
        script.iter().copied().collect::<VecDeque<u16>>(),
    ));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let route = warp::post()
        .and(warp::header::<String>("authorization"))
        .and(warp::body::json())
        .map(move |auth: String, body: serde_json::Value| {
            recorded.lock().unwrap().push((auth, body));
            let status = script.lock().unwrap().pop_front().unwrap_or(201);
            warp::reply::with_status("{}", StatusCode::from_u16(status).unwrap())
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(route).incoming(listener).run());
    FakeApi { addr, seen }
}

fn api_at(addr: SocketAddr) -> ApiSettings {
    ApiSettings {
        url: format!("http://{addr}/checkins").parse().unwrap(),
        key: ApiKey(KEY.into()),
    }
}

const QUICK: FlushPolicy = FlushPolicy {
    timeout: Duration::from_secs(10),
    retry_after: Duration::ZERO,
};

/// A flush's outcome: how many check-ins were delivered, failed and left pending.
fn counts(delivered: usize, failed: usize, pending: usize) -> FlushReport {
    FlushReport {
        delivered,
        failed,
        pending,
    }
}

async fn store_with(hashes: &[&str]) -> CheckinStore {
    let store = CheckinStore::new(Arc::new(switchboard_api::MemoryStore::new()));
    for hash in hashes {
        store.record(&checkin(hash)).await.unwrap();
    }
    store
}

#[tokio::test]
async fn flush_posts_one_json_body_per_check_in_with_the_bearer_key() {
    let api = fake_api(&[]).await;
    let store = store_with(&["A1", "A2"]).await;
    let report = flush(&store, &reqwest::Client::new(), &api_at(api.addr), QUICK)
        .await
        .unwrap();
    assert_eq!(report, counts(2, 0, 0));
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, format!("Bearer {KEY}"));
    assert_eq!(
        seen[0].1,
        serde_json::json!({
            "packet_hash": "A1", "username": "HOWL", "message": "check in",
            "channel": "#meshmonday", "timestamp": "2025-03-03T14:30:00-07:00", "source_bot": "bot1"
        })
    );
    assert!(store
        .all()
        .await
        .unwrap()
        .iter()
        .all(|r| r.status == Status::Delivered));
    // A second flush sends nothing: delivered check-ins are not sent again.
    flush(&store, &reqwest::Client::new(), &api_at(api.addr), QUICK)
        .await
        .unwrap();
    assert_eq!(api.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_5xx_or_429_is_retried_once_then_left_pending() {
    let api = fake_api(&[503, 429, 500]).await;
    let store = store_with(&["A1"]).await;
    let client = reqwest::Client::new();
    // 503, then the retry gets 429: still pending.
    let report = flush(&store, &client, &api_at(api.addr), QUICK)
        .await
        .unwrap();
    assert_eq!(report, counts(0, 0, 1));
    let row = &store.all().await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Pending, 2));
    // Next flush: 500, then the retry gets 201.
    let report = flush(&store, &client, &api_at(api.addr), QUICK)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(api.seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn another_4xx_marks_the_check_in_failed_with_its_status() {
    let api = fake_api(&[422]).await;
    let store = store_with(&["A1"]).await;
    let report = flush(&store, &reqwest::Client::new(), &api_at(api.addr), QUICK)
        .await
        .unwrap();
    assert_eq!(report, counts(0, 1, 0));
    let row = &store.all().await.unwrap()[0];
    assert_eq!((row.status, row.http_status), (Status::Failed, Some(422)));
    assert_eq!(api.seen.lock().unwrap().len(), 1, "not retried");
}

#[tokio::test]
async fn an_unreachable_api_leaves_everything_pending() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let store = store_with(&["A1", "A2"]).await;
    let report = flush(&store, &reqwest::Client::new(), &api_at(addr), QUICK)
        .await
        .unwrap();
    assert_eq!(report, counts(0, 0, 2));
    let rows = store.all().await.unwrap();
    assert!(rows
        .iter()
        .all(|r| r.status == Status::Pending && r.last_error.is_some()));
}
