use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Reload;

#[async_trait]
impl Command for Reload {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "reload",
            "Re-reads the config; on any error nothing changes and the errors are shown.",
        )
        .admin_only()
    }

    async fn execute(&self, _: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        match ctx.control().reload().await {
            Ok(summary) => Ok(Reply::text(summary)),
            Err(errors) => Err(CommandError::User(format!(
                "Reload refused, nothing changed:\n{errors}"
            ))),
        }
    }
}
