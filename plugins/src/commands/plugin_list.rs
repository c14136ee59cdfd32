use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct PluginList;

#[async_trait]
impl Command for PluginList {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "plugins",
            "Lists the plugins: name, kind, source and state.",
        )
    }

    async fn execute(&self, _: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let lines: Vec<String> = ctx
            .plugins()
            .iter()
            .map(|p| format!("{} ({}; {}): {}", p.name, p.kinds, p.source, p.state))
            .collect();
        Ok(Reply::text(lines.join("\n")))
    }
}
