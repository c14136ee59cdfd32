//! Dispatch: an inbound message becomes a command run and its reply.
//!
//! Order of checks: ignore list, addressing (prefix, mention, DM), lookup (with "did you mean"),
//! admin-only, DM-only, cooldown (admins exempt), then the run itself under a timeout with
//! panics contained. Every refusal is a short reply; every failure is logged.

mod cooldown;
mod parse;

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use futures::FutureExt;

pub use cooldown::Cooldowns;
pub use parse::{invocation, Addressing};

use switchboard_api::command::{CommandError, Invocation, Reply};
use switchboard_api::context::Context;
use switchboard_api::event::{Message, Outbound};
use switchboard_api::suggest::did_you_mean;

#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub addressing: Addressing,
    /// Admin user ids per connector name.
    pub admins: HashMap<String, HashSet<String>>,
    pub command_timeout: Duration,
}

impl DispatchSettings {
    pub fn is_admin(&self, connector: &str, user: &str) -> bool {
        self.admins
            .get(connector)
            .is_some_and(|users| users.contains(user))
    }
}

pub struct Dispatcher {
    settings: ArcSwap<DispatchSettings>,
    cooldowns: Cooldowns,
    ctx: Context,
}

impl Dispatcher {
    pub fn new(settings: DispatchSettings, ctx: Context) -> Self {
        Dispatcher {
            settings: ArcSwap::from_pointee(settings),
            cooldowns: Cooldowns::default(),
            ctx,
        }
    }

    /// Applies new settings (on reload); messages already being handled keep the old ones.
    pub fn update(&self, settings: DispatchSettings) {
        self.settings.store(Arc::new(settings));
    }

    pub fn settings(&self) -> Arc<DispatchSettings> {
        self.settings.load_full()
    }

    /// Handles one inbound message and returns the replies it produced (possibly none).
    pub async fn handle(&self, message: Arc<Message>) -> Vec<Outbound> {
        let settings = self.settings.load();
        let direct = message.conversation.is_direct();
        if self
            .ctx
            .ignore_list()
            .is_ignored(&message.connector, &message.sender)
            && !settings.is_admin(&message.connector, &message.sender)
        {
            return Vec::new();
        }
        let Some((keyword, args)) = invocation(&message.text, &settings.addressing, direct) else {
            return Vec::new();
        };
        let prefix = settings.addressing.prefix.as_str();
        let reply = |text: String| {
            vec![Outbound {
                target: message.reply_target(),
                text,
            }]
        };
        let commands = self.ctx.commands();
        let Some(entry) = commands.lookup(keyword) else {
            return match did_you_mean(keyword, commands.keywords()) {
                Some(close) => reply(format!(
                    "Unknown command `{keyword}`. Did you mean `{prefix}{close}`?"
                )),
                None if direct => {
                    reply(format!("Unknown command `{keyword}`. Try `{prefix}help`."))
                }
                None => Vec::new(),
            };
        };
        let spec = &entry.spec;
        let is_admin = settings.is_admin(&message.connector, &message.sender);
        if spec.admin_only && !is_admin {
            return reply(format!("`{prefix}{}` is for admins only.", spec.name));
        }
        if spec.dm_only && !direct {
            return reply(format!(
                "`{prefix}{}` works only in a direct message.",
                spec.name
            ));
        }
        if !is_admin {
            if let Err(wait) = self
                .cooldowns
                .check_and_start(&spec.name, spec.cooldown, &message)
            {
                let seconds = wait.as_secs_f64().ceil().max(1.0);
                return reply(format!(
                    "`{prefix}{}` is cooling down; try again in {seconds}s.",
                    spec.name
                ));
            }
        }

        let call = Invocation {
            message: message.clone(),
            keyword: keyword.to_lowercase(),
            args: args.to_string(),
            prefix: prefix.to_string(),
            sender_is_admin: is_admin,
        };
        let ctx = self.ctx.for_plugin(&entry.plugin);
        let run = AssertUnwindSafe(entry.command.execute(call, &ctx)).catch_unwind();
        let outcome = tokio::time::timeout(settings.command_timeout, run).await;
        let name = &spec.name;
        match outcome {
            Ok(Ok(Ok(Reply(Some(text))))) => reply(text),
            Ok(Ok(Ok(Reply(None)))) => Vec::new(),
            Ok(Ok(Err(CommandError::Usage(detail)))) => {
                let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
                reply(format!("Usage: {}{detail}", spec.usage_line(prefix)))
            }
            Ok(Ok(Err(CommandError::User(text)))) => reply(text),
            Ok(Ok(Err(CommandError::Failed(error)))) => {
                tracing::error!(command = %name, plugin = %entry.plugin, %error, "command failed");
                reply(format!(
                    "Sorry, `{prefix}{name}` failed; the details are in the bot's log."
                ))
            }
            Ok(Err(panic)) => {
                let detail = panic_message(panic.as_ref());
                tracing::error!(command = %name, plugin = %entry.plugin, panic = %detail, "command panicked");
                reply(format!(
                    "Sorry, `{prefix}{name}` failed; the details are in the bot's log."
                ))
            }
            Err(_) => {
                tracing::error!(command = %name, plugin = %entry.plugin, timeout = ?settings.command_timeout, "command timed out");
                reply(format!(
                    "Sorry, `{prefix}{name}` took too long and was stopped."
                ))
            }
        }
    }
}

/// The text a panic carried, when it carried text.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
