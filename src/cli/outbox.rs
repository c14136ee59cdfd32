//! `switchboard outbox list|retry|drop`: the messages accepted from sinks and not yet sent by
//! their connector, read and settled from the command line. The bot may be running: both go
//! through the store, and each change is one transaction on rows the bot only ever deletes.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;
use switchboard_api::cli::{CliError, CliHost, ConfigArgs};
use switchboard_api::Store;
use switchboard_runtime::bot::specs;
use switchboard_runtime::delivery::{
    outbox_one_line as one_line, OutboxError, OutboxSelection, OutboxState, Outboxes, Waiting,
};

use super::logging::say;
use super::plugin_commands::BinaryHost;
use super::table;

#[derive(clap::Subcommand, Debug)]
pub enum OutboxCommand {
    /// List the messages waiting to be sent, oldest first.
    List {
        #[command(flatten)]
        config: ConfigArgs,
        /// The outbox of this bot name instead of `[Bot] name` (e.g. a former name).
        #[arg(long, value_name = "NAME", conflicts_with = "all_bots")]
        bot: Option<String>,
        /// Every bot name's outbox in the store.
        #[arg(long)]
        all_bots: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Have this bot send messages: with --from, moves them from another bot name's outbox
    /// (e.g. its name before a rename) into this bot's; sent at this bot's next start.
    Retry {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        which: Which,
        /// Take the messages from this bot name's outbox.
        #[arg(long, value_name = "NAME")]
        from: Option<String>,
        /// Print JSON instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// Remove messages for good: they are not sent.
    Drop {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        which: Which,
        /// From this bot name's outbox instead of `[Bot] name`.
        #[arg(long, value_name = "NAME")]
        bot: Option<String>,
        /// Print JSON instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command; an error is printed after `error: ` and exits 1.
pub async fn run(command: OutboxCommand) -> ExitCode {
    match execute(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: OutboxCommand) -> Result<(), CliError> {
    match command {
        OutboxCommand::List {
            config,
            bot,
            all_bots,
            json,
        } => {
            let (name, outboxes) = open(&config).await?;
            list(&outboxes, &name, bot.as_deref(), all_bots, json).await
        }
        OutboxCommand::Retry {
            config,
            which,
            from,
            json,
        } => {
            let (name, outboxes) = open(&config).await?;
            retry(&outboxes, &name, from.as_deref(), &which.selection(), json).await
        }
        OutboxCommand::Drop {
            config,
            which,
            bot,
            json,
        } => {
            let (name, outboxes) = open(&config).await?;
            let bot = bot.unwrap_or(name);
            drop_messages(&outboxes, &bot, &which.selection(), json).await
        }
    }
}

/// The messages a `retry` or `drop` is about: ids, or `--all`.
#[derive(clap::Args, Debug)]
pub struct Which {
    /// The ids of the messages (see `outbox list`).
    #[arg(
        value_name = "ID",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    ids: Vec<String>,
    /// Every message waiting.
    #[arg(long)]
    all: bool,
}

impl Which {
    fn selection(self) -> OutboxSelection {
        if self.all {
            OutboxSelection::All
        } else {
            OutboxSelection::Ids(self.ids)
        }
    }
}

/// This bot's name and the store's outboxes, found as `switchboard run` finds them.
async fn open(args: &ConfigArgs) -> Result<(String, Outboxes), CliError> {
    let host = BinaryHost;
    let config = host.load_config(args.config.as_deref())?;
    let (core, errors) = specs::read(&config);
    if let Some(e) = errors.into_iter().next() {
        return Err(e.into());
    }
    let store: Arc<dyn Store> = host.open_store(&config).await?;
    Ok((core.bot_name, Outboxes::new(store)))
}

fn outbox_error(e: OutboxError) -> CliError {
    match e {
        OutboxError::Store(e) => CliError::Store(e),
        other => CliError::other(other),
    }
}

async fn list(
    outboxes: &Outboxes,
    name: &str,
    bot: Option<&str>,
    all_bots: bool,
    json: bool,
) -> Result<(), CliError> {
    let shown = bot.unwrap_or(name);
    let bots = outboxes.bots().await?;
    let mut messages: Vec<Waiting> = Vec::new();
    if all_bots {
        for (bot, _) in &bots {
            messages.extend(outboxes.list(bot).await?);
        }
    } else {
        messages = outboxes.list(shown).await?;
    }
    let others: Vec<&(String, usize)> = bots
        .iter()
        .filter(|(bot, _)| all_bots || bot != shown)
        .filter(|(bot, _)| bot != name)
        .collect();
    if json {
        let value = json!({
            "bot": name,
            "messages": messages,
            "other_bots": others
                .iter()
                .map(|(bot, count)| json!({"bot": bot, "messages": count}))
                .collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&value).map_err(CliError::other)?;
        println!("{text}");
        return Ok(());
    }
    if messages.is_empty() {
        if all_bots {
            println!("no messages waiting in any outbox");
        } else {
            println!("no messages waiting in the outbox of bot {shown:?}");
        }
    } else {
        print_table(&messages, all_bots);
    }
    if !all_bots {
        for (other, count) in others.iter().filter(|(bot, _)| bot != shown) {
            let how = if other == name {
                String::new()
            } else {
                let them = if *count == 1 { "it" } else { "them" };
                format!(
                    "; to send {them} as {name:?}: switchboard outbox retry --from {other:?} --all"
                )
            };
            println!("bot {other:?} has {} waiting{how}", count_of(*count));
        }
    }
    Ok(())
}

fn print_table(messages: &[Waiting], with_bot: bool) {
    let mut header = vec!["ID", "CONNECTOR", "TARGET", "AGE", "STATE", "TEXT"];
    if with_bot {
        header.insert(0, "BOT");
    }
    let rows: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            let state = match m.state {
                OutboxState::Waiting => "waiting",
                OutboxState::Unreadable => "unreadable",
            };
            let mut row = vec![
                one_line(&m.id),
                m.connector
                    .as_deref()
                    .map(one_line)
                    .unwrap_or_else(|| "-".into()),
                m.target
                    .as_deref()
                    .map(one_line)
                    .unwrap_or_else(|| "-".into()),
                m.age_secs.map(age).unwrap_or_else(|| "?".into()),
                state.to_string(),
                m.excerpt.clone(),
            ];
            if with_bot {
                row.insert(0, one_line(&m.bot));
            }
            row
        })
        .collect();
    table::print(&header, &rows);
}

fn age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 2 * 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

async fn retry(
    outboxes: &Outboxes,
    name: &str,
    from: Option<&str>,
    which: &OutboxSelection,
    json: bool,
) -> Result<(), CliError> {
    let (ids, moved) = match from.filter(|from| *from != name) {
        Some(from) => {
            let moved = outboxes
                .adopt(from, name, which)
                .await
                .map_err(outbox_error)?;
            let stayed = match which {
                OutboxSelection::All => outboxes.list(from).await?.len(),
                OutboxSelection::Ids(ids) => ids.iter().filter(|id| !moved.contains(id)).count(),
            };
            if stayed > 0 {
                // Keys are accept times: only a message already copied by hand collides.
                say!(
                    "note: {} not moved (left in the outbox of bot {from:?}): the outbox of bot {name:?} already holds that id",
                    count_of(stayed)
                );
            }
            (moved, true)
        }
        None => {
            let ids = outboxes.existing(name, which).await.map_err(outbox_error)?;
            (ids, false)
        }
    };
    if json {
        let value = json!({
            "action": "retry",
            "bot": name,
            "from": from.unwrap_or(name),
            "ids": ids,
            "moved": if moved { ids.len() } else { 0 },
        });
        println!("{value}");
        return Ok(());
    }
    match (from, moved) {
        (Some(from), true) => println!(
            "moved {} from the outbox of bot {from:?} to bot {name:?}: sent at its next start",
            count_of(ids.len())
        ),
        _ => println!(
            "{} waiting in the outbox of bot {name:?}: sent at its next start (a running bot retries on its own, at least once a minute)",
            count_of(ids.len())
        ),
    }
    for id in &ids {
        println!("  {id}");
    }
    Ok(())
}

async fn drop_messages(
    outboxes: &Outboxes,
    bot: &str,
    which: &OutboxSelection,
    json: bool,
) -> Result<(), CliError> {
    let dropped = outboxes.remove(bot, which).await.map_err(outbox_error)?;
    if json {
        println!("{}", json!({"action": "drop", "bot": bot, "ids": dropped}));
        return Ok(());
    }
    println!(
        "dropped {} from the outbox of bot {bot:?}",
        count_of(dropped.len())
    );
    for id in &dropped {
        println!("  {id}");
    }
    Ok(())
}

/// "1 message", "2 messages".
fn count_of(count: usize) -> String {
    match count {
        1 => "1 message".to_string(),
        n => format!("{n} messages"),
    }
}
