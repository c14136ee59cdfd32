//! The check-in collector (`[CheckIn]`): hears `check in` messages on a channel, writes each
//! to the store at once (so a crash loses nothing), and submits them daily to the check-in
//! API. `switchboard checkin list|flush` and `!checkins` read the same store.

mod cli;
mod command;
pub mod config;
pub mod flush;
pub mod parse;
mod schedule;
pub mod store;

#[cfg(test)]
mod tests;

use std::sync::Mutex;

use chrono::Utc;
use switchboard_api::config::{ConfigError, ConfigSection, SectionSpec};
use switchboard_api::{
    async_trait, Context, Event, Health, Plugin, PluginBuilder, Service, ServiceError,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use config::CheckinSettings;
use flush::{flush, FlushPolicy};
use store::CheckinStore;

pub struct CheckinPlugin;

impl Plugin for CheckinPlugin {
    fn name(&self) -> &str {
        "checkin"
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        vec![config::CheckinSection::spec().clone()]
    }

    fn subcommands(&self) -> Vec<std::sync::Arc<dyn switchboard_api::cli::Subcommand>> {
        vec![std::sync::Arc::new(cli::CheckinCli)]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let Some(settings) = config::read(builder.config())? else {
            return Ok(());
        };
        builder.add_command(command::CheckinsCommand {
            settings: settings.clone(),
        });
        builder.add_service(CheckinService::new(settings, FlushPolicy::default()));
        Ok(())
    }
}

/// How long `stop` waits for the collector to store what it heard before the stop.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct CheckinService {
    settings: CheckinSettings,
    policy: FlushPolicy,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl CheckinService {
    pub fn new(settings: CheckinSettings, policy: FlushPolicy) -> Self {
        CheckinService {
            settings,
            policy,
            tasks: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Service for CheckinService {
    fn name(&self) -> &str {
        "checkin"
    }

    async fn start(&self, ctx: Context, stop: CancellationToken) -> Result<(), ServiceError> {
        let store = CheckinStore::new(ctx.store());
        // Subscribed before start returns, so no message after it is missed.
        let events = ctx.subscribe();
        let mut tasks = vec![tokio::spawn(collect(
            self.settings.clone(),
            store.clone(),
            events,
            stop.clone(),
        ))];
        if self.settings.api.is_some() {
            tasks.push(tokio::spawn(flush_daily(
                self.settings.clone(),
                self.policy,
                store,
                ctx.http().clone(),
                stop,
            )));
        }
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(tasks);
        Ok(())
    }

    async fn stop(&self) -> Result<(), ServiceError> {
        let tasks: Vec<JoinHandle<()>> = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
            .collect();
        // `stop` is cancelled by now: the collector stores what it heard before, and a flush in
        // flight finishes. Bounded, so a hung store cannot hold up shutdown for ever.
        for mut task in tasks {
            if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
                tracing::warn!("check-in task did not stop within {STOP_WAIT:?}; aborted");
                task.abort();
            }
        }
        Ok(())
    }

    async fn health(&self) -> Health {
        Health::Healthy
    }
}

async fn collect(
    settings: CheckinSettings,
    store: CheckinStore,
    mut events: switchboard_api::Subscription,
    stop: CancellationToken,
) {
    // Until the stop, then what was heard before it: a check-in said before shutdown is stored.
    while let Some(event) = events.recv_until(&stop).await {
        let Event::Inbound(message) = event else {
            continue;
        };
        let Some(checkin) = parse::accept(&settings, &message) else {
            continue;
        };
        match store.record(&checkin).await {
            Ok(true) => tracing::info!(
                packet_hash = %checkin.packet_hash,
                username = %checkin.username,
                "check-in recorded"
            ),
            Ok(false) => {
                tracing::debug!(packet_hash = %checkin.packet_hash, "check-in already recorded")
            }
            Err(e) => tracing::error!(
                packet_hash = %checkin.packet_hash,
                username = %checkin.username,
                error = %e,
                "a check-in could not be stored"
            ),
        }
    }
}

async fn flush_daily(
    settings: CheckinSettings,
    policy: FlushPolicy,
    store: CheckinStore,
    client: reqwest::Client,
    stop: CancellationToken,
) {
    let Some(api) = settings.api.clone() else {
        return;
    };
    if missed_a_flush(&settings, &store).await {
        tracing::info!("pending check-ins missed their flush while the bot was down: flushing now");
        match flush(&store, &client, &api, policy).await {
            Ok(report) => tracing::info!("check-in flush: {report}"),
            Err(e) => tracing::error!(error = %e, "check-in flush stopped: the store failed"),
        }
    }
    loop {
        let now = Utc::now();
        let due = schedule::next_flush(settings.timezone, settings.flush_time, now);
        let wait = (due - now).to_std().unwrap_or_default();
        tracing::debug!(%due, "next check-in flush");
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        match flush(&store, &client, &api, policy).await {
            Ok(report) => tracing::info!("check-in flush: {report}"),
            Err(e) => tracing::error!(error = %e, "check-in flush stopped: the store failed"),
        }
    }
}

/// Whether any pending check-in is past the flush that should have sent it.
async fn missed_a_flush(settings: &CheckinSettings, store: &CheckinStore) -> bool {
    let now = Utc::now();
    match store.with_status(store::Status::Pending).await {
        Ok(pending) => pending.iter().any(|row| {
            schedule::missed_its_flush(
                settings.timezone,
                settings.flush_time,
                &row.checkin.timestamp,
                now,
            )
        }),
        Err(e) => {
            tracing::error!(error = %e, "pending check-ins could not be read at start");
            false
        }
    }
}
