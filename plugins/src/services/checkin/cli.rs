//! `switchboard checkin list`, `flush` and `retry`: the collector's store, read and flushed from
//! the command line (the bot may be running; both share the store).

use std::process::ExitCode;

use clap::{FromArgMatches, Subcommand as _};
use switchboard_api::cli::{CliError, CliHost, ConfigArgs, Subcommand};
use switchboard_api::{async_trait, config::Config};

use super::config;
use super::flush::{flush, retry_failed, FlushPolicy};
use super::store::{CheckinStore, Status, StoredCheckin};

/// `switchboard checkin`.
pub struct CheckinCli;

#[async_trait]
impl Subcommand for CheckinCli {
    fn command(&self) -> clap::Command {
        CheckinCommand::augment_subcommands(
            clap::Command::new("checkin")
                .about(
                    "The check-in collector's store: list check-ins, or flush them to the API now",
                )
                .subcommand_required(true),
        )
    }

    async fn run(&self, args: &clap::ArgMatches, host: &dyn CliHost) -> Result<ExitCode, CliError> {
        let command = CheckinCommand::from_arg_matches(args).map_err(CliError::other)?;
        run(command, host).await
    }
}

#[derive(clap::Subcommand, Debug)]
enum CheckinCommand {
    /// List the stored check-ins, oldest first.
    List {
        #[command(flatten)]
        config: ConfigArgs,
        /// Only those not yet delivered.
        #[arg(long, conflicts_with = "failed")]
        pending: bool,
        /// Only those the API refused.
        #[arg(long)]
        failed: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Submit every pending check-in to `[CheckIn] api_url` now.
    Flush {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Submit the check-ins the API refused again (after fixing the cause, e.g. the key), with
    /// the pending ones.
    Retry {
        #[command(flatten)]
        config: ConfigArgs,
        /// Only the refused ones; pending ones wait for the next flush.
        #[arg(long)]
        failed: bool,
    },
}

async fn run(command: CheckinCommand, host: &dyn CliHost) -> Result<ExitCode, CliError> {
    match command {
        CheckinCommand::List {
            config,
            pending,
            failed,
            json,
        } => {
            let only = match (pending, failed) {
                (true, _) => Some(Status::Pending),
                (_, true) => Some(Status::Failed),
                _ => None,
            };
            list(host, &config, only, json).await
        }
        CheckinCommand::Flush { config } => flush_now(host, &config, None).await,
        CheckinCommand::Retry { config, failed } => flush_now(host, &config, Some(failed)).await,
    }
}

async fn open(host: &dyn CliHost, args: &ConfigArgs) -> Result<(Config, CheckinStore), CliError> {
    let config = host.load_config(args.config.as_deref())?;
    let store = host.open_store(&config).await?;
    Ok((config, CheckinStore::new(store)))
}

async fn list(
    host: &dyn CliHost,
    args: &ConfigArgs,
    only: Option<Status>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let (_, store) = open(host, args).await?;
    let rows: Vec<StoredCheckin> = match only {
        Some(status) => store.with_status(status).await,
        None => store.all().await,
    }?;
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(CliError::other)?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        let which = only.map(|s| format!("{} ", s.label())).unwrap_or_default();
        println!("no {which}check-ins");
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let status = match (r.status, r.http_status) {
                (Status::Failed, Some(code)) => format!("failed ({code})"),
                (status, _) => status.label().to_string(),
            };
            [
                status,
                r.checkin.timestamp.clone(),
                r.checkin.username.clone(),
                r.checkin.channel.clone(),
                r.checkin.packet_hash.clone(),
                r.checkin.message.clone(),
            ]
        })
        .collect();
    let header = [
        "STATUS",
        "TIMESTAMP",
        "USER",
        "CHANNEL",
        "PACKET_HASH",
        "MESSAGE",
    ];
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            table
                .iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &table {
        line(row.iter().map(String::as_str).collect());
    }
    Ok(ExitCode::SUCCESS)
}

/// Flushes the pending check-ins, or with `retry` (`Some(only_failed)`) the refused ones again.
async fn flush_now(
    host: &dyn CliHost,
    args: &ConfigArgs,
    retry: Option<bool>,
) -> Result<ExitCode, CliError> {
    let (config, store) = open(host, args).await?;
    let settings = config::read(&config)?.ok_or_else(|| {
        CliError::other(
            "check-ins are off: there is no [CheckIn] section (or it has enabled = false)",
        )
    })?;
    let api = settings.api.ok_or_else(|| {
        CliError::other("[CheckIn] api_url is not set: there is nowhere to flush to")
    })?;
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| CliError::other(format!("cannot create an HTTP client: {e}")))?;
    let policy = FlushPolicy::default();
    let (what, report) = match retry {
        None => ("flush", flush(&store, &client, &api, policy).await?),
        Some(only_failed) => (
            "retry",
            retry_failed(&store, &client, &api, policy, only_failed).await?,
        ),
    };
    println!("checkin {what}: {report}");
    Ok(if report.pending == 0 && report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
