use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Shutdown;

#[async_trait]
impl Command for Shutdown {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "shutdown",
            "Stops the bot gracefully: pending replies are sent first.",
        )
        .admin_only()
    }

    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        tracing::info!(by = %call.message.sender, connector = %call.message.connector, "shutdown requested in chat");
        ctx.control().shutdown();
        Ok(Reply::text("Shutting down."))
    }
}
