//! Subcommands and their options.

mod check_config;
mod checkin;
mod checkin_receiver;
mod gen_cert;
pub mod logging;
mod plugin_table;
mod start;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "switchboard",
    version,
    about = "A chat-bot framework: one binary, drop-in plugins, HTTP sinks that never lose a message."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: logging::LogFormat,
    /// Log filter, e.g. `info`, `debug` or `switchboard_core=debug` (env SWITCHBOARD_LOG wins).
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// The config file; without it, ./config.ini when present, else the built-in defaults.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Refuse to start when any local plugin is rejected.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the bot: connectors, services and sinks as configured.
    Run(ConfigArgs),
    /// Run the bot with standard input and output as the chat; exits at the end of input.
    Console(ConfigArgs),
    /// Validate the config and plugins; exit 0 when valid, 1 with every error listed.
    CheckConfig(ConfigArgs),
    /// List the plugins: name, kind, source and state.
    Plugins {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The check-in collector's store: list check-ins, or flush them to the API now.
    #[command(subcommand)]
    Checkin(checkin::CheckinCommand),
    /// Run the check-in API receiver (env CHECKIN_API_SECRET, CHECKIN_PORT, CHECKIN_BIND,
    /// CHECKIN_DB_PATH, CHECKIN_DATABASE_URL), as the original checkin_receiver.py.
    CheckinReceiver,
    /// Write a self-signed certificate and key (PEM) for a TLS sink listener.
    GenCert(gen_cert::GenCertArgs),
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(args) => start::run(args, false).await,
        Command::Console(args) => start::run(args, true).await,
        Command::CheckConfig(args) => check_config::run(args).await,
        Command::Plugins { config, json } => plugin_table::run(config, json).await,
        Command::Checkin(command) => checkin::run(command).await,
        Command::CheckinReceiver => checkin_receiver::run().await,
        Command::GenCert(args) => gen_cert::run(args),
    }
}
