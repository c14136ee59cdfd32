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
    pub cooldown: Cooldown,
    pub dm_only: bool,
    pub admin_only: bool,
}

/// How long a user, or a whole channel, waits between two runs of a command. Admins never wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cooldown {
    pub per_user: Duration,
    pub per_channel: Duration,
}

impl CommandSpec {
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

    pub fn usage(mut self, usage: &str) -> Self {
        self.usage = usage.to_string();
        self
    }

    pub fn alias(mut self, alias: &str) -> Self {
        self.aliases.push(alias.to_lowercase());
        self
    }

    pub fn admin_only(mut self) -> Self {
        self.admin_only = true;
        self
    }

    pub fn dm_only(mut self) -> Self {
        self.dm_only = true;
        self
    }

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
    pub message: Arc<Message>,
    /// The keyword as typed (a name or an alias), lower case.
    pub keyword: String,
    /// The text after the keyword, trimmed.
    pub args: String,
    /// The bot's prefix, for replies that mention other commands.
    pub prefix: String,
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
    pub fn text(text: impl Into<String>) -> Self {
        Reply(Some(text.into()))
    }

    pub fn none() -> Self {
        Reply(None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The arguments were wrong; the user is shown the usage line (and the detail, if any).
    #[error("usage error{}", .0.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Usage(Option<String>),
    /// The command could not do its work; the user gets a short apology, the detail is logged.
    #[error("{0}")]
    Failed(String),
    /// Something the user should be told as is (e.g. "bob is an admin and cannot be ignored").
    #[error("{0}")]
    User(String),
}

#[async_trait]
pub trait Command: Send + Sync + 'static {
    fn spec(&self) -> CommandSpec;
    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError>;
}
