use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Ping;

#[async_trait]
impl Command for Ping {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ping", "Answers `pong`: is the bot alive?")
    }

    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::text("pong"))
    }
}
