use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

/// `!ignore <user>`: the bot stops answering that user on this connector, across restarts.
pub struct Ignore;
pub struct Unignore;

fn user_of(call: &Invocation) -> Result<String, CommandError> {
    let mut words = call.words();
    match (words.next(), words.next()) {
        (Some(user), None) => Ok(user.trim_start_matches('@').to_string()),
        _ => Err(CommandError::Usage(None)),
    }
}

#[async_trait]
impl Command for Ignore {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "ignore",
            "Stops answering a user on this connector (kept across restarts).",
        )
        .usage("<user>")
        .admin_only()
    }

    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let user = user_of(&call)?;
        let connector = &call.message.connector;
        if user == call.message.sender {
            return Err(CommandError::User("You cannot ignore yourself.".into()));
        }
        let added = ctx
            .ignore_list()
            .ignore(connector, &user)
            .await
            .map_err(CommandError::failed)?;
        Ok(Reply::text(if added {
            format!("Ignoring {user}.")
        } else {
            format!("{user} was already ignored.")
        }))
    }
}

#[async_trait]
impl Command for Unignore {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("unignore", "Answers a user again.")
            .usage("<user>")
            .admin_only()
    }

    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let user = user_of(&call)?;
        let removed = ctx
            .ignore_list()
            .unignore(&call.message.connector, &user)
            .await
            .map_err(CommandError::failed)?;
        Ok(Reply::text(if removed {
            format!("No longer ignoring {user}.")
        } else {
            format!("{user} was not ignored.")
        }))
    }
}
