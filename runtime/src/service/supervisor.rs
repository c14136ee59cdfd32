//! Runs one [`Service`]: start, health polling, restart with backoff, give-up, shutdown.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::state::{ServiceState, StateCell};
use switchboard_api::context::Context;
use switchboard_api::{Health, Service};

/// The shortest interval or timeout the supervisor uses, so that a zero setting cannot spin.
const MIN_PERIOD: Duration = Duration::from_millis(1);

#[derive(Debug, Clone)]
pub struct SupervisorSettings {
    /// How often `health` is asked; also how long one answer may take.
    pub health_interval: Duration,
    /// How long a start may take to report healthy; also the time limit for `start` and `stop`.
    pub startup_grace: Duration,
    /// The wait before the first restart after a failure; doubles on each further one.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive failed starts (no healthy report in between) before giving up.
    pub max_failed_starts: u32,
}

impl Default for SupervisorSettings {
    fn default() -> Self {
        SupervisorSettings {
            health_interval: Duration::from_secs(10),
            startup_grace: Duration::from_secs(30),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_failed_starts: 5,
        }
    }
}

impl SupervisorSettings {
    /// The wait before restart number `attempt` (1-based) since the service was last healthy.
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A running supervisor for one service. Dropping it cancels the service without waiting;
/// call [`Supervisor::shutdown`] to wait for the service to stop.
pub struct Supervisor {
    state: Arc<StateCell>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts supervising `service` on the current tokio runtime. `on_state` is called with the
    /// service's name on every state change, beginning with [`ServiceState::Starting`].
    pub fn spawn(
        service: Arc<dyn Service>,
        ctx: Context,
        settings: SupervisorSettings,
        on_state: impl Fn(&str, &ServiceState) + Send + Sync + 'static,
    ) -> Supervisor {
        let state = Arc::new(StateCell::new(
            service.name().to_owned(),
            Box::new(on_state),
        ));
        let cancel = CancellationToken::new();
        let runner = Runner {
            name: service.name().to_owned(),
            service,
            ctx,
            settings,
            cancel: cancel.clone(),
            state: state.clone(),
        };
        let task = tokio::spawn(runner.run());
        Supervisor {
            state,
            cancel,
            task: Some(task),
        }
    }

    pub fn state(&self) -> ServiceState {
        self.state.get()
    }

    /// Stops the service (calls `stop` once if it is started) and waits for the supervising
    /// task to end. The state is then [`ServiceState::Stopped`].
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            if let Err(error) = task.await {
                tracing::error!(%error, "a service supervisor ended abnormally");
            }
        }
        self.state.set(ServiceState::Stopped);
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// How one start of the service ended.
enum RunEnd {
    /// Shutdown was asked for.
    Shutdown,
    /// Never reported healthy: start failed, panicked, timed out, or the grace ran out.
    FailedStart(String),
    /// Was healthy, then reported unhealthy.
    Unhealthy(String),
}

struct Runner {
    name: String,
    service: Arc<dyn Service>,
    ctx: Context,
    settings: SupervisorSettings,
    cancel: CancellationToken,
    state: Arc<StateCell>,
}

impl Runner {
    async fn run(self) {
        self.state.announce();
        let mut failed_starts = 0u32;
        let mut attempt = 0u32;
        loop {
            self.state.set(ServiceState::Starting);
            let run_token = self.cancel.child_token();
            let end = self.run_once(&run_token).await;
            run_token.cancel();
            self.stop_service().await;
            let reason = match end {
                RunEnd::Shutdown => break,
                RunEnd::Unhealthy(reason) => {
                    failed_starts = 0;
                    attempt = 0;
                    reason
                }
                RunEnd::FailedStart(reason) => {
                    failed_starts += 1;
                    if failed_starts >= self.settings.max_failed_starts.max(1) {
                        self.give_up(failed_starts, &reason).await;
                        break;
                    }
                    reason
                }
            };
            attempt = attempt.saturating_add(1);
            let backoff = self.settings.backoff(attempt);
            tracing::warn!(service = %self.name, %reason, attempt, ?backoff, "restarting service");
            self.state.set(ServiceState::Restarting { attempt });
            if self.wait(tokio::time::sleep(backoff)).await.is_none() {
                break;
            }
        }
        self.state.set(ServiceState::Stopped);
        tracing::info!(service = %self.name, "service stopped");
    }

    /// Marks the service failed and waits for shutdown; it is not started again.
    async fn give_up(&self, failed_starts: u32, reason: &str) {
        let starts = if failed_starts == 1 {
            "start"
        } else {
            "starts"
        };
        let reason = format!("{failed_starts} failed {starts} in a row; last: {reason}");
        tracing::error!(service = %self.name, %reason, "service failed; not restarting it");
        self.state.set(ServiceState::Failed(reason));
        self.cancel.cancelled().await;
    }

    /// One start of the service, until it fails or shutdown is asked for.
    async fn run_once(&self, token: &CancellationToken) -> RunEnd {
        let grace = self.settings.startup_grace.max(MIN_PERIOD);
        let started = Instant::now();
        let start = tokio::time::timeout(
            grace,
            AssertUnwindSafe(self.service.start(self.ctx.clone(), token.clone())).catch_unwind(),
        );
        let Some(started_ok) = self.wait(start).await else {
            return RunEnd::Shutdown;
        };
        match started_ok {
            Err(_) => return RunEnd::FailedStart(format!("start took longer than {grace:?}")),
            Ok(Err(panic)) => {
                return RunEnd::FailedStart(format!("start panicked: {}", panic_message(&*panic)))
            }
            Ok(Ok(Err(error))) => return RunEnd::FailedStart(format!("start failed: {error}")),
            Ok(Ok(Ok(()))) => {}
        }

        let mut healthy = false;
        let mut ticks = tokio::time::interval(self.settings.health_interval.max(MIN_PERIOD));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if self.wait(ticks.tick()).await.is_none() {
                return RunEnd::Shutdown;
            }
            let Some(health) = self.wait(self.check_health()).await else {
                return RunEnd::Shutdown;
            };
            match health {
                Health::Healthy if !healthy => {
                    healthy = true;
                    tracing::info!(service = %self.name, "service is healthy");
                    self.state.set(ServiceState::Running);
                }
                Health::Healthy => {}
                Health::Unhealthy(reason) if healthy => {
                    tracing::warn!(service = %self.name, %reason, "service is unhealthy");
                    return RunEnd::Unhealthy(reason);
                }
                // A running service that says it is starting again is left alone.
                Health::Starting if healthy => {}
                not_yet => {
                    tracing::debug!(service = %self.name, health = %not_yet, "service not healthy yet");
                    if started.elapsed() >= grace {
                        return RunEnd::FailedStart(format!(
                            "not healthy within {grace:?} of start (last health: {not_yet})"
                        ));
                    }
                }
            }
        }
    }

    /// Asks the service's health; a panic or an answer slower than `health_interval` is unhealthy.
    async fn check_health(&self) -> Health {
        let limit = self.settings.health_interval.max(MIN_PERIOD);
        let check = AssertUnwindSafe(self.service.health()).catch_unwind();
        match tokio::time::timeout(limit, check).await {
            Ok(Ok(health)) => health,
            Ok(Err(panic)) => {
                Health::Unhealthy(format!("health check panicked: {}", panic_message(&*panic)))
            }
            Err(_) => Health::Unhealthy("health check timed out".to_owned()),
        }
    }

    /// Calls `stop`, containing a panic, an error or a hang (limited by `startup_grace`).
    async fn stop_service(&self) {
        let limit = self.settings.startup_grace.max(MIN_PERIOD);
        let stop = AssertUnwindSafe(self.service.stop()).catch_unwind();
        match tokio::time::timeout(limit, stop).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                tracing::warn!(service = %self.name, %error, "service did not stop cleanly");
            }
            Ok(Err(panic)) => {
                let panic = panic_message(&*panic);
                tracing::error!(service = %self.name, %panic, "service panicked while stopping");
            }
            Err(_) => {
                tracing::warn!(service = %self.name, ?limit, "service took too long to stop");
            }
        }
    }

    /// Runs `future` unless shutdown is asked for first (then `None`).
    async fn wait<F: Future>(&self, future: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => None,
            output = future => Some(output),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_owned()
    }
}
