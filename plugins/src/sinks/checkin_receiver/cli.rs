//! `switchboard checkin-receiver`: the check-in API server on its own, configured like the
//! original `checkin_receiver.py` by environment variables.

use std::process::ExitCode;
use std::sync::Arc;

use switchboard_api::async_trait;
use switchboard_api::cli::{CliError, CliHost, Subcommand};
use switchboard_api::http::ConnectionLimits;
use tokio_util::sync::CancellationToken;

use super::routes::receiver_limits;
use super::standalone::StandaloneReceiver;
use super::{Receiver, ReceiverDb, ReceiverSettings};

/// `switchboard checkin-receiver`.
pub struct ReceiverCli;

#[async_trait]
impl Subcommand for ReceiverCli {
    fn command(&self) -> clap::Command {
        clap::Command::new("checkin-receiver").about(
            "Run the check-in API receiver (env CHECKIN_API_SECRET, CHECKIN_PORT, CHECKIN_BIND, \
             CHECKIN_DB_PATH, CHECKIN_DATABASE_URL, CHECKIN_CERTFILE, CHECKIN_KEYFILE), as the \
             original checkin_receiver.py",
        )
    }

    async fn run(&self, _: &clap::ArgMatches, _: &dyn CliHost) -> Result<ExitCode, CliError> {
        run().await
    }
}

async fn run() -> Result<ExitCode, CliError> {
    let settings =
        ReceiverSettings::from_env(|name| std::env::var(name).ok()).map_err(CliError::other)?;
    let db = ReceiverDb::open(&settings.target)
        .await
        .map_err(CliError::other)?;
    let target = db.target().to_string();
    let receiver = Arc::new(Receiver::new(settings.secret, db, settings.target));
    let stop = CancellationToken::new();
    let server = StandaloneReceiver::start(
        settings.addr,
        settings.tls.as_ref(),
        receiver,
        receiver_limits(),
        ConnectionLimits::default(),
        stop.clone(),
    )
    .await
    .map_err(CliError::other)?;
    let url = server.url();
    // Scripts and tests wait for this line; with CHECKIN_PORT=0 it names the port chosen.
    println!("checkin-receiver listening on {url} (database {target})");
    tracing::info!(%url, database = %target, "checkin-receiver ready");
    stop_signal().await;
    stop.cancel();
    let counters = server.stopped().await;
    tracing::info!(
        received = counters.received,
        accepted = counters.accepted,
        rejected = ?counters.rejected,
        "checkin-receiver stopped"
    );
    Ok(ExitCode::SUCCESS)
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
