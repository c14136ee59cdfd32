//! A declared command, run by the plugin.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_plugin_sdk::{CommandDeclaration, CommandRequest, Request};

use crate::backend::{Backend, CallError};
use switchboard_api::command::{Command, CommandError, CommandSpec, Cooldown, Invocation, Reply};
use switchboard_api::context::Context;
use switchboard_api::event::Conversation;

pub struct LocalCommand {
    pub plugin: String,
    pub declaration: CommandDeclaration,
    pub backend: Arc<dyn Backend>,
    pub timeout: Duration,
}

#[async_trait]
impl Command for LocalCommand {
    fn spec(&self) -> CommandSpec {
        let d = &self.declaration;
        let mut spec = CommandSpec::new(&d.name, &d.help)
            .usage(&d.usage)
            .cooldown(Cooldown {
                per_user: Duration::from_secs(d.cooldown_user_secs),
                per_channel: Duration::from_secs(d.cooldown_channel_secs),
            });
        for alias in &d.aliases {
            spec = spec.alias(alias);
        }
        spec.dm_only = d.dm_only;
        spec.admin_only = d.admin_only;
        spec
    }

    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let message = &call.message;
        let request = Request::Command(CommandRequest {
            command: self.declaration.name.to_lowercase(),
            keyword: call.keyword.clone(),
            args: call.args.clone(),
            sender: message.sender.clone(),
            connector: message.connector.clone(),
            channel: match &message.conversation {
                Conversation::Channel(channel) => Some(channel.clone()),
                Conversation::Direct(_) => None,
            },
            sender_is_admin: call.sender_is_admin,
            prefix: call.prefix.clone(),
        });
        match self.backend.call(request, ctx, self.timeout).await {
            Ok(answer) => Ok(Reply(
                answer
                    .get("reply")
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
            )),
            Err(CallError::Plugin(text)) => Err(CommandError::User(text)),
            Err(error) => {
                super::report(
                    ctx,
                    &self.plugin,
                    &format!("command `{}`", self.declaration.name),
                    &error,
                );
                Err(CommandError::failed(error))
            }
        }
    }
}
