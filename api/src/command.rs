//! Commands: what a chat user invokes with the prefix, e.g. `!ping`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::context::Context;
use crate::event::Message;

/// How a command presents itself and who may run it. Help and dispatch both read this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The primary keyword, lower case.
    pub name: String,
    /// More keywords that run the same command (config can add more).
    pub aliases: Vec<String>,
    /// One line saying what it does.
    pub help: String,
    /// The arguments after the keyword, e.g. `<user>`; empty when it takes none.
    pub usage: String,
    /// How long users and channels wait between runs.
    pub cooldown: Cooldown,
    /// Refused in channels: runs only in a direct conversation.
    pub dm_only: bool,
    /// Refused to anyone but the connector's admins.
    pub admin_only: bool,
}

/// How long a user, or a whole channel, waits between two runs of a command. Admins never wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cooldown {
    /// Between two runs by one user.
    pub per_user: Duration,
    /// Between two runs in one channel, by anyone.
    pub per_channel: Duration,
}

impl CommandSpec {
    /// A command named `name` (lower-cased) with one line of help; no aliases, no cooldown, for anyone anywhere.
    pub fn new(name: &str, help: &str) -> Self {
        CommandSpec {
            name: name.to_lowercase(),
            aliases: Vec::new(),
            help: help.to_string(),
            usage: String::new(),
            cooldown: Cooldown::default(),
            dm_only: false,
            admin_only: false,
        }
    }

    /// The arguments it takes, as shown in help, e.g. `<user>`.
    pub fn usage(mut self, usage: &str) -> Self {
        self.usage = usage.to_string();
        self
    }

    /// One more keyword that runs it.
    pub fn alias(mut self, alias: &str) -> Self {
        self.aliases.push(alias.to_lowercase());
        self
    }

    /// Only admins may run it.
    pub fn admin_only(mut self) -> Self {
        self.admin_only = true;
        self
    }

    /// It runs only in direct conversations.
    pub fn dm_only(mut self) -> Self {
        self.dm_only = true;
        self
    }

    /// How long users and channels wait between runs.
    pub fn cooldown(mut self, cooldown: Cooldown) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// `!name args`, as shown to users in help and usage errors.
    pub fn usage_line(&self, prefix: &str) -> String {
        if self.usage.is_empty() {
            format!("{prefix}{}", self.name)
        } else {
            format!("{prefix}{} {}", self.name, self.usage)
        }
    }
}

/// One invocation of a command.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The message that invoked it.
    pub message: Arc<Message>,
    /// The keyword as typed (a name or an alias), lower case.
    pub keyword: String,
    /// The text after the keyword, trimmed.
    pub args: String,
    /// The bot's prefix, for replies that mention other commands.
    pub prefix: String,
    /// Whether the sender is one of the connector's admins.
    pub sender_is_admin: bool,
}

impl Invocation {
    /// The arguments split on whitespace.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.args.split_whitespace()
    }
}

/// What a command answers: nothing, or text for the conversation it was invoked in.
/// Text with several lines goes out as several messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply(pub Option<String>);

impl Reply {
    /// A reply of this text.
    pub fn text(text: impl Into<String>) -> Self {
        Reply(Some(text.into()))
    }

    /// No reply.
    pub fn none() -> Self {
        Reply(None)
    }
}

/// Why a command gave no reply.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The arguments were wrong; the user is shown the usage line (and the detail, if any).
    #[error("usage error{}", .0.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Usage(Option<String>),
    /// The command could not do its work; the user gets a short apology, the detail is logged.
    #[error("{0}")]
    Failed(Box<dyn std::error::Error + Send + Sync>),
    /// Something the user should be told as is (e.g. "bob is an admin and cannot be ignored").
    #[error("{0}")]
    User(String),
}

/// A chat command: what it is ([`CommandSpec`]) and what it does.
impl CommandError {
    /// The command could not do its work because of `error` (a sentence or another error).
    pub fn failed(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        CommandError::Failed(error.into())
    }
}

/// A chat command: what it is ([`CommandSpec`]) and what it does.
#[async_trait]
pub trait Command: Send + Sync + 'static {
    /// Its name, aliases, help and who may run it.
    fn spec(&self) -> CommandSpec;
    /// Runs it; dispatch has already checked the spec (admins, DMs, cooldowns) and applies the command timeout.
    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError>;
}
