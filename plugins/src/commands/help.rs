use switchboard_api::CommandEntry;
use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Help;

#[async_trait]
impl Command for Help {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("help", "Lists the commands, or explains one.").usage("[command]")
    }

    async fn execute(&self, call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let commands = ctx.commands();
        let prefix = &call.prefix;
        let Some(wanted) = call.words().next() else {
            let names: Vec<String> = commands
                .entries()
                .iter()
                .map(|e| format!("{prefix}{}", e.spec.name))
                .collect();
            return Ok(Reply::text(format!(
                "Commands: {}. Say `{prefix}help <command>` for more.",
                names.join(", ")
            )));
        };
        let wanted = wanted.strip_prefix(prefix.as_str()).unwrap_or(wanted);
        match commands.lookup(wanted) {
            Some(entry) => Ok(Reply::text(describe(entry, prefix))),
            None => {
                let hint = switchboard_api::suggest::did_you_mean(wanted, commands.keywords())
                    .map(|c| format!(" Did you mean `{prefix}{c}`?"))
                    .unwrap_or_default();
                Err(CommandError::User(format!("No command `{wanted}`.{hint}")))
            }
        }
    }
}

fn describe(entry: &CommandEntry, prefix: &str) -> String {
    let spec = &entry.spec;
    let mut text = format!("{} — {}", spec.usage_line(prefix), spec.help);
    let mut notes = Vec::new();
    if !spec.aliases.is_empty() {
        let aliases: Vec<String> = spec
            .aliases
            .iter()
            .map(|a| format!("{prefix}{a}"))
            .collect();
        notes.push(format!("aliases: {}", aliases.join(", ")));
    }
    if spec.admin_only {
        notes.push("admins only".into());
    }
    if spec.dm_only {
        notes.push("direct messages only".into());
    }
    if !spec.cooldown.per_user.is_zero() {
        notes.push(format!(
            "cooldown per user: {}s",
            spec.cooldown.per_user.as_secs_f64()
        ));
    }
    if !spec.cooldown.per_channel.is_zero() {
        notes.push(format!(
            "cooldown per channel: {}s",
            spec.cooldown.per_channel.as_secs_f64()
        ));
    }
    notes.push(format!("plugin: {}", entry.plugin));
    text.push_str(&format!(" ({})", notes.join("; ")));
    text
}
