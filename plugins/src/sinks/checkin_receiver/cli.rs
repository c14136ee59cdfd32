//! `switchboard checkin-receiver`: the check-in API server on its own, configured like the
//! original `checkin_receiver.py` by environment variables.

use std::process::ExitCode;
use std::sync::Arc;

use switchboard_api::async_trait;
use switchboard_api::cli::{CliError, CliHost, Subcommand};

use super::{receiver_filter, serve, Receiver, ReceiverDb, ReceiverSettings};

/// `switchboard checkin-receiver`.
pub struct ReceiverCli;

#[async_trait]
impl Subcommand for ReceiverCli {
    fn command(&self) -> clap::Command {
        clap::Command::new("checkin-receiver").about(
            "Run the check-in API receiver (env CHECKIN_API_SECRET, CHECKIN_PORT, CHECKIN_BIND, \
             CHECKIN_DB_PATH, CHECKIN_DATABASE_URL), as the original checkin_receiver.py",
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
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| CliError::other(format!("cannot listen on {}: {e}", settings.addr)))?;
    let addr = listener.local_addr().map_or(settings.addr, |a| a);
    let target = db.target().to_string();
    let receiver = Receiver::new(settings.secret, db, settings.target);
    // Scripts and tests wait for this line; with CHECKIN_PORT=0 it names the port chosen.
    println!("checkin-receiver listening on http://{addr} (database {target})");
    tracing::info!(%addr, database = %target, "checkin-receiver ready");
    serve(receiver_filter(Arc::new(receiver)), listener, stop_signal()).await;
    tracing::info!("checkin-receiver stopped");
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
