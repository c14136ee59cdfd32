//! `switchboard checkin-receiver`: the check-in API server on its own, configured like the
//! original `checkin_receiver.py` by environment variables.

use std::process::ExitCode;
use std::sync::Arc;

use switchboard_plugins::sinks::checkin_receiver::{
    receiver_filter, serve, Receiver, ReceiverDb, ReceiverSettings,
};

pub async fn run() -> ExitCode {
    let settings = match ReceiverSettings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let db = match ReceiverDb::open(&settings.target).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", settings.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map_or(settings.addr, |a| a);
    let target = db.target().to_string();
    let receiver = Receiver::new(settings.secret, db, settings.target);
    // Scripts and tests wait for this line; with CHECKIN_PORT=0 it names the port chosen.
    println!("checkin-receiver listening on http://{addr} (database {target})");
    tracing::info!(%addr, database = %target, "checkin-receiver ready");
    serve(receiver_filter(Arc::new(receiver)), listener, stop_signal()).await;
    tracing::info!("checkin-receiver stopped");
    ExitCode::SUCCESS
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
