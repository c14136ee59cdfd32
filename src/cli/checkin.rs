//! `switchboard checkin list` and `switchboard checkin flush`: the collector's store, read and
//! flushed from the command line (the bot may be running; both share the store).

use std::process::ExitCode;

use clap::Subcommand;
use switchboard_plugins::services::checkin::config;
use switchboard_plugins::services::checkin::flush::{flush, FlushPolicy};
use switchboard_plugins::services::checkin::store::{CheckinStore, Status, StoredCheckin};
use switchboard_runtime::bot::{open_store, specs};

use super::start::loader;
use super::ConfigArgs;

#[derive(Subcommand, Debug)]
pub enum CheckinCommand {
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
}

pub async fn run(command: CheckinCommand) -> ExitCode {
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
            result(list(&config, only, json).await)
        }
        CheckinCommand::Flush { config } => result(flush_now(&config).await),
    }
}

fn result(outcome: Result<ExitCode, String>) -> ExitCode {
    outcome.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

async fn open(
    args: &ConfigArgs,
) -> Result<(switchboard_api::config::Config, CheckinStore), String> {
    let config = loader(args, false)().map_err(|e| e.to_string())?;
    let (core, errors) = specs::read(&config);
    if let Some(e) = errors.first() {
        return Err(e.to_string());
    }
    let store = open_store(&core).await.map_err(|e| e.to_string())?;
    Ok((config, CheckinStore::new(store)))
}

async fn list(args: &ConfigArgs, only: Option<Status>, json: bool) -> Result<ExitCode, String> {
    let (_, store) = open(args).await?;
    let rows: Vec<StoredCheckin> = match only {
        Some(status) => store.with_status(status).await,
        None => store.all().await,
    }
    .map_err(|e| e.to_string())?;
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
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

async fn flush_now(args: &ConfigArgs) -> Result<ExitCode, String> {
    let (config, store) = open(args).await?;
    let settings = config::read(&config)
        .map_err(|e| e.to_string())?
        .ok_or("check-ins are off: there is no [CheckIn] section (or it has enabled = false)")?;
    let api = settings
        .api
        .ok_or("[CheckIn] api_url is not set: there is nowhere to flush to")?;
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| format!("cannot create an HTTP client: {e}"))?;
    let report = flush(&store, &client, &api, FlushPolicy::default())
        .await
        .map_err(|e| e.to_string())?;
    println!("checkin flush: {report}");
    Ok(if report.pending == 0 && report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
