use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Version;

#[async_trait]
impl Command for Version {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("version", "Shows the bot's name and Switchboard's version.")
    }

    async fn execute(&self, _: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let info = ctx.info();
        Ok(Reply::text(format!(
            "{} runs Switchboard {}",
            info.name, info.version
        )))
    }
}
