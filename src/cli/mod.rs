//! Subcommands and their options.

mod check_config;
mod gen_cert;
pub mod logging;
mod outbox;
mod plugin_commands;
mod plugin_table;
mod start;
mod table;

use crate::cli::logging::say;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
pub use switchboard_api::cli::ConfigArgs;

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
    /// Log filter, e.g. `info`, `debug` or `switchboard_runtime=debug` (env SWITCHBOARD_LOG wins).
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
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
    /// Write a self-signed certificate and key (PEM) for a TLS sink listener.
    GenCert(gen_cert::GenCertArgs),
    /// The outbox: messages accepted from sinks that their connector has not sent yet.
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
}

/// Parses the command line, with every plugin's subcommands beside the binary's own, sets up
/// logging, and runs the subcommand.
pub async fn main() -> ExitCode {
    let plugin_commands = plugin_commands::all();
    let mut command = Cli::command();
    for subcommand in &plugin_commands {
        let added = subcommand.command();
        if command.find_subcommand(added.get_name()).is_some() {
            say!(
                "warning: a plugin's subcommand `{}` is already taken; it is left out",
                added.get_name()
            );
            continue;
        }
        command = command.subcommand(added);
    }
    let matches = command.get_matches();
    let format = matches
        .get_one::<logging::LogFormat>("log_format")
        .copied()
        .unwrap_or(logging::LogFormat::Text);
    let level = matches
        .get_one::<String>("log_level")
        .cloned()
        .unwrap_or_else(|| "info".into());
    let _log_writer = logging::init(format, &level);
    if let Some((name, args)) = matches.subcommand() {
        if let Some(plugin) = plugin_commands
            .iter()
            .find(|s| s.command().get_name() == name)
        {
            return plugin_commands::run(plugin.as_ref(), args).await;
        }
    }
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => run(cli).await,
        Err(e) => e.exit(),
    }
}

async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(args) => start::run(args, false).await,
        Command::Console(args) => start::run(args, true).await,
        Command::CheckConfig(args) => check_config::run(args).await,
        Command::Plugins { config, json } => plugin_table::run(config, json).await,
        Command::GenCert(args) => gen_cert::run(args),
        Command::Outbox(command) => outbox::run(command).await,
    }
}
