//! Supervisor tests on virtual time (`start_paused`): fake services follow a script, and every
//! test checks the start/stop counts and the exact sequence of reported states.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_api::context::Context;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;
use switchboard_api::{Health, Service, ServiceError};

use ServiceState::{Failed, Restarting, Running, Starting, Stopped};

/// What the fake does when started.
enum StartReply {
    Ok,
    Err(&'static str),
    Panic,
    Hang,
}

/// What the fake does when asked its health.
enum HealthReply {
    Is(Health),
    Panic,
    Hang,
}

type StartScript = Box<dyn Fn(u32) -> StartReply + Send + Sync>;
/// Arguments: start number (1-based), health check number since that start (0-based).
type HealthScript = Box<dyn Fn(u32, u32) -> HealthReply + Send + Sync>;

struct Fake {
    base: Instant,
    starts: AtomicU32,
    stops: AtomicU32,
    checks: AtomicU32,
    start_times: Mutex<Vec<Duration>>,
    on_start: StartScript,
    on_health: HealthScript,
}

impl Fake {
    fn new(
        on_start: impl Fn(u32) -> StartReply + Send + Sync + 'static,
        on_health: impl Fn(u32, u32) -> HealthReply + Send + Sync + 'static,
    ) -> Arc<Fake> {
        Arc::new(Fake {
            base: Instant::now(),
            starts: AtomicU32::new(0),
            stops: AtomicU32::new(0),
            checks: AtomicU32::new(0),
            start_times: Mutex::new(Vec::new()),
            on_start: Box::new(on_start),
            on_health: Box::new(on_health),
        })
    }

    fn starts(&self) -> u32 {
        self.starts.load(Ordering::SeqCst)
    }

    fn stops(&self) -> u32 {
        self.stops.load(Ordering::SeqCst)
    }

    /// Seconds after the test began at which each start happened.
    fn start_secs(&self) -> Vec<u64> {
        let times = self.start_times.lock().unwrap();
        times.iter().map(Duration::as_secs).collect()
    }
}

#[async_trait::async_trait]
impl Service for Fake {
    fn name(&self) -> &str {
        "fake"
    }

    async fn start(&self, _ctx: Context, _stop: CancellationToken) -> Result<(), ServiceError> {
        let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        self.checks.store(0, Ordering::SeqCst);
        self.start_times.lock().unwrap().push(self.base.elapsed());
        match (self.on_start)(n) {
            StartReply::Ok => Ok(()),
            StartReply::Err(message) => Err(ServiceError::new(message)),
            StartReply::Panic => panic!("start exploded"),
            StartReply::Hang => std::future::pending().await,
        }
    }

    async fn stop(&self) -> Result<(), ServiceError> {
        self.stops.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn health(&self) -> Health {
        let check = self.checks.fetch_add(1, Ordering::SeqCst);
        match (self.on_health)(self.starts(), check) {
            HealthReply::Is(health) => health,
            HealthReply::Panic => panic!("health exploded"),
            HealthReply::Hang => std::future::pending().await,
        }
    }
}

type States = Arc<Mutex<Vec<ServiceState>>>;

fn supervise(fake: &Arc<Fake>, settings: SupervisorSettings) -> (Supervisor, States) {
    let states: States = Arc::default();
    let seen = states.clone();
    let supervisor = Supervisor::spawn(
        fake.clone(),
        crate::bot::BotHost::for_tests(Arc::new(switchboard_api::MemoryStore::new()))
            .context("test"),
        settings,
        move |name, state| {
            assert_eq!(name, "fake");
            seen.lock().unwrap().push(state.clone());
        },
    );
    (supervisor, states)
}

fn seen(states: &States) -> Vec<ServiceState> {
    states.lock().unwrap().clone()
}

async fn advance(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

fn always_ok(_: u32) -> StartReply {
    StartReply::Ok
}

fn healthy() -> HealthReply {
    HealthReply::Is(Health::Healthy)
}

fn unhealthy(reason: &str) -> HealthReply {
    HealthReply::Is(Health::Unhealthy(reason.to_owned()))
}

#[tokio::test(start_paused = true)]
async fn a_healthy_service_runs_and_is_stopped_once_at_shutdown() {
    let fake = Fake::new(always_ok, |_, _| healthy());
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3605).await;
    assert_eq!(supervisor.state(), Running);
    assert_eq!((fake.starts(), fake.stops()), (1, 0));
    // Asked at start, then every 10 s.
    assert_eq!(fake.checks.load(Ordering::SeqCst), 361);

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (1, 1));
    assert_eq!(seen(&states), vec![Starting, Running, Stopped]);
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_service_is_restarted_with_doubling_backoff_that_resets_after_recovery() {
    // 1: healthy at 0 s, unhealthy at 10 s          -> stop, back off 1 s
    // 2: started at 11 s, unhealthy until grace (41 s) -> failed start, back off 2 s
    // 3: started at 43 s, start fails                -> failed start, back off 4 s
    // 4: started at 47 s, healthy, unhealthy at 57 s -> backoff was reset: 1 s
    // 5: started at 58 s, healthy from then on.
    let fake = Fake::new(
        |n| match n {
            3 => StartReply::Err("port busy"),
            _ => StartReply::Ok,
        },
        |n, check| match (n, check) {
            (1 | 4, 0) | (5, _) => healthy(),
            (2, _) => unhealthy("still down"),
            _ => unhealthy("lost connection"),
        },
    );
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3600).await;
    assert_eq!(fake.start_secs(), vec![0, 11, 43, 47, 58]);
    assert_eq!((fake.starts(), fake.stops()), (5, 4));
    assert_eq!(supervisor.state(), Running);

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (5, 5));
    assert_eq!(
        seen(&states),
        vec![
            Starting,
            Running,
            Restarting { attempt: 1 },
            Starting,
            Restarting { attempt: 2 },
            Starting,
            Restarting { attempt: 3 },
            Starting,
            Running,
            Restarting { attempt: 1 },
            Starting,
            Running,
            Stopped,
        ]
    );
}

#[test]
fn backoff_stops_doubling_at_max_backoff() {
    let settings = SupervisorSettings::default();
    let backoffs: Vec<u64> = (1..=9).map(|n| settings.backoff(n).as_secs()).collect();
    assert_eq!(backoffs, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(settings.backoff(u32::MAX), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_service_that_never_becomes_healthy_fails_after_max_failed_starts_and_stays_failed() {
    let fake = Fake::new(always_ok, |_, _| HealthReply::Is(Health::Starting));
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    // Each start gets 30 s of grace (checks at 0, 10, 20, 30), then backs off 1, 2, 4, 8 s.
    advance(200).await;
    assert_eq!(fake.start_secs(), vec![0, 31, 63, 97, 135]);
    let ServiceState::Failed(reason) = supervisor.state() else {
        panic!("expected Failed, got {:?}", supervisor.state());
    };
    assert!(reason.contains("5 failed starts"), "{reason}");
    assert!(reason.contains("last health: starting"), "{reason}");

    advance(10 * 3600).await;
    assert_eq!((fake.starts(), fake.stops()), (5, 5));
    assert_eq!(supervisor.state(), Failed(reason.clone()));

    // Already stopped after its last start: shutdown does not stop it again.
    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (5, 5));
    let mut expected = vec![Starting];
    for attempt in 1..=4 {
        expected.extend([Restarting { attempt }, Starting]);
    }
    expected.extend([Failed(reason), Stopped]);
    assert_eq!(seen(&states), expected);
}

#[tokio::test(start_paused = true)]
async fn a_start_error_is_retried_then_failed() {
    let fake = Fake::new(|_| StartReply::Err("bad token"), |_, _| healthy());
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3600).await;
    assert_eq!(fake.start_secs(), vec![0, 1, 3, 7, 15]);
    // `stop` follows every start, failed or not, so partial work is cleaned up.
    assert_eq!((fake.starts(), fake.stops()), (5, 5));
    let reason = "5 failed starts in a row; last: start failed: bad token".to_owned();
    assert_eq!(supervisor.state(), Failed(reason.clone()));

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (5, 5));
    let states = seen(&states);
    assert_eq!(states.len(), 11);
    assert_eq!(states[states.len() - 2..], [Failed(reason), Stopped]);
}

#[tokio::test(start_paused = true)]
async fn a_healthy_report_resets_the_failed_start_count() {
    // Four failed starts, one healthy run, then four more failed starts: never five in a row.
    let fake = Fake::new(
        |n| match n {
            5 | 10 => StartReply::Ok,
            _ => StartReply::Err("flaky"),
        },
        |n, check| match (n, check) {
            (5, 0) | (10, _) => healthy(),
            _ => unhealthy("dropped"),
        },
    );
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3600).await;
    assert_eq!(supervisor.state(), Running);
    assert_eq!((fake.starts(), fake.stops()), (10, 9));
    // Backoff 1, 2, 4, 8 s; healthy at 15 s, unhealthy at 25 s; backoff 1, 2, 4, 8, 16 s.
    assert_eq!(fake.start_secs(), vec![0, 1, 3, 7, 15, 26, 28, 32, 40, 56]);

    supervisor.shutdown().await;
    assert_eq!(fake.stops(), 10);
    let states = seen(&states);
    assert!(!states.iter().any(|s| matches!(s, Failed(_))), "{states:?}");
    assert_eq!(states.last(), Some(&Stopped));
}

#[tokio::test(start_paused = true)]
async fn a_panicking_health_check_is_contained_and_counts_as_unhealthy() {
    let fake = Fake::new(always_ok, |n, check| match (n, check) {
        (1, 1) => HealthReply::Panic,
        _ => healthy(),
    });
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3600).await;
    assert_eq!(fake.start_secs(), vec![0, 11]);
    assert_eq!(supervisor.state(), Running);

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (2, 2));
    assert_eq!(
        seen(&states),
        vec![
            Starting,
            Running,
            Restarting { attempt: 1 },
            Starting,
            Running,
            Stopped
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_start_is_contained_and_counts_as_a_failed_start() {
    let fake = Fake::new(
        |n| match n {
            1 => StartReply::Panic,
            _ => StartReply::Ok,
        },
        |_, _| healthy(),
    );
    let settings = SupervisorSettings {
        max_failed_starts: 1,
        ..SupervisorSettings::default()
    };
    let (supervisor, states) = supervise(&fake, settings);

    advance(60).await;
    let reason = "1 failed start in a row; last: start panicked: start exploded";
    assert_eq!(supervisor.state(), Failed(reason.to_owned()));

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (1, 1));
    assert_eq!(
        seen(&states),
        vec![Starting, Failed(reason.to_owned()), Stopped]
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_health_check_counts_as_unhealthy() {
    // Healthy at 0 s; the check at 10 s hangs and times out at 20 s; restarted at 21 s.
    let fake = Fake::new(always_ok, |n, check| match (n, check) {
        (1, 1) => HealthReply::Hang,
        _ => healthy(),
    });
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(3600).await;
    assert_eq!(fake.start_secs(), vec![0, 21]);

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (2, 2));
    assert_eq!(
        seen(&states),
        vec![
            Starting,
            Running,
            Restarting { attempt: 1 },
            Starting,
            Running,
            Stopped
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_health_check_that_always_hangs_fails_the_start_with_a_timeout_reason() {
    let fake = Fake::new(always_ok, |_, _| HealthReply::Hang);
    let settings = SupervisorSettings {
        max_failed_starts: 1,
        ..SupervisorSettings::default()
    };
    let (supervisor, states) = supervise(&fake, settings);

    advance(3600).await;
    let reason = "1 failed start in a row; last: not healthy within 30s of start \
                  (last health: unhealthy: health check timed out)";
    assert_eq!(supervisor.state(), Failed(reason.to_owned()));
    assert_eq!((fake.starts(), fake.stops()), (1, 1));

    supervisor.shutdown().await;
    assert_eq!(
        seen(&states),
        vec![Starting, Failed(reason.to_owned()), Stopped]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_hanging_start_stops_the_service_once() {
    let fake = Fake::new(|_| StartReply::Hang, |_, _| healthy());
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    advance(5).await;
    assert_eq!(supervisor.state(), Starting);

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (1, 1));
    assert_eq!(seen(&states), vec![Starting, Stopped]);
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_backoff_does_not_stop_the_service_again() {
    let fake = Fake::new(|_| StartReply::Err("nope"), |_, _| healthy());
    let (supervisor, states) = supervise(&fake, SupervisorSettings::default());

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(supervisor.state(), Restarting { attempt: 1 });

    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (1, 1));
    assert_eq!(
        seen(&states),
        vec![Starting, Restarting { attempt: 1 }, Stopped]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_state_listener_does_not_take_down_the_supervisor() {
    let fake = Fake::new(always_ok, |_, _| healthy());
    let supervisor = Supervisor::spawn(
        fake.clone(),
        crate::bot::BotHost::for_tests(Arc::new(switchboard_api::MemoryStore::new()))
            .context("test"),
        SupervisorSettings::default(),
        |_, _| panic!("listener exploded"),
    );

    advance(60).await;
    assert_eq!(supervisor.state(), Running);
    supervisor.shutdown().await;
    assert_eq!((fake.starts(), fake.stops()), (1, 1));
}

#[test]
fn states_have_labels_and_details_for_the_bus() {
    assert_eq!(Running.to_string(), "running");
    assert_eq!(
        Restarting { attempt: 3 }.to_string(),
        "restarting (attempt 3)"
    );
    assert_eq!(Failed("boom".into()).label(), "failed");
    assert_eq!(Failed("boom".into()).detail().as_deref(), Some("boom"));
    assert_eq!(Stopped.detail(), None);
}
