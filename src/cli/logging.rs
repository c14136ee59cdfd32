//! Logs go to stderr, never stdout (stdout is the console's chat).

use tracing_subscriber::EnvFilter;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn init(format: LogFormat, level: &str) {
    let requested = std::env::var("SWITCHBOARD_LOG").unwrap_or_else(|_| level.to_string());
    let filter = EnvFilter::try_new(&requested).unwrap_or_else(|e| {
        eprintln!("warning: log filter `{requested}` is not valid ({e}); using `info`");
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
