//! Dispatch as a chat user sees it, through `TestBot`.

use std::sync::Arc;
use std::time::Duration;

use switchboard_api::command::{Command, CommandError, CommandSpec, Cooldown, Invocation, Reply};
use switchboard_api::config::ConfigError;
use switchboard_api::plugin::{Plugin, PluginBuilder};
use switchboard_api::Context;
use switchboard_testing::TestBot;

struct Echo;
struct Boom;
struct Fails;
struct Slow;
struct Secret;
struct Whisper;
struct Rate;

#[async_trait::async_trait]
impl Command for Echo {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("echo", "Says it back.")
            .usage("<text>")
            .alias("say")
    }
    async fn execute(&self, call: Invocation, _: &Context) -> Result<Reply, CommandError> {
        if call.args.is_empty() {
            return Err(CommandError::Usage(Some("nothing to echo".into())));
        }
        Ok(Reply::text(call.args))
    }
}

#[async_trait::async_trait]
impl Command for Boom {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("boom", "Panics.")
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        panic!("kaboom")
    }
}

#[async_trait::async_trait]
impl Command for Fails {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("fails", "Errors.")
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Err(CommandError::Failed("database on fire".into()))
    }
}

#[async_trait::async_trait]
impl Command for Slow {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("slow", "Never finishes.")
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        std::future::pending().await
    }
}

#[async_trait::async_trait]
impl Command for Secret {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("secret", "Admins only.").admin_only()
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::text("the secret"))
    }
}

#[async_trait::async_trait]
impl Command for Whisper {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("whisper", "DM only.").dm_only()
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::text("psst"))
    }
}

#[async_trait::async_trait]
impl Command for Rate {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("rate", "Cooled down.").cooldown(Cooldown {
            per_user: Duration::from_secs(10),
            per_channel: Duration::from_secs(3),
        })
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::text("ok"))
    }
}

struct TestPlugin;

impl Plugin for TestPlugin {
    fn name(&self) -> &str {
        "test"
    }
    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        builder
            .add_command(Echo)
            .add_command(Boom)
            .add_command(Fails)
            .add_command(Slow);
        builder
            .add_command(Secret)
            .add_command(Whisper)
            .add_command(Rate);
        Ok(())
    }
}

async fn bot(config: &str) -> TestBot {
    TestBot::with_config(vec![Arc::new(TestPlugin)], config)
        .await
        .expect("test bot")
        .with_admins(&["root"])
}

#[tokio::test]
async fn a_prefixed_keyword_runs_its_command_case_insensitively_and_by_alias() {
    let bot = bot("").await;
    assert_eq!(
        bot.say_as("bob", Some("#general"), "!echo hi there").await,
        vec!["hi there"]
    );
    assert_eq!(
        bot.say_as("bob", Some("#general"), "!ECHO hi").await,
        vec!["hi"]
    );
    assert_eq!(
        bot.say_as("bob", Some("#general"), "!say hi").await,
        vec!["hi"]
    );
    assert!(bot
        .say_as("bob", Some("#general"), "echo hi")
        .await
        .is_empty());
}

#[tokio::test]
async fn config_sets_the_prefix_and_adds_aliases() {
    let bot =
        bot("[Bot]\nprefix = ?\nname = Switchy\n[Command.echo]\naliases = repeat, parrot\n").await;
    assert_eq!(
        bot.say_as("bob", Some("#g"), "?parrot hi").await,
        vec!["hi"]
    );
    assert_eq!(
        bot.say_as("bob", Some("#g"), "Switchy: repeat hi").await,
        vec!["hi"]
    );
    assert!(bot.say_as("bob", Some("#g"), "!echo hi").await.is_empty());
}

#[tokio::test]
async fn a_usage_error_shows_the_usage_line() {
    let bot = bot("").await;
    assert_eq!(
        bot.say("!echo").await,
        vec!["Usage: !echo <text> (nothing to echo)"]
    );
}

#[tokio::test]
async fn an_unknown_command_suggests_the_closest() {
    let bot = bot("").await;
    assert_eq!(
        bot.say_as("bob", Some("#g"), "!ecoh hi").await,
        vec!["Unknown command `ecoh`. Did you mean `!echo`?"]
    );
    // In a channel, a word nothing resembles is left alone (other bots may share the prefix).
    assert!(bot.say_as("bob", Some("#g"), "!weather").await.is_empty());
    assert_eq!(
        bot.say("!weather").await,
        vec!["Unknown command `weather`. Try `!help`."]
    );
}

#[tokio::test]
async fn a_panicking_or_failing_command_gets_a_short_reply_and_the_bot_goes_on() {
    let bot = bot("").await;
    assert_eq!(
        bot.say("!boom").await,
        vec!["Sorry, `!boom` failed; the details are in the bot's log."]
    );
    assert_eq!(
        bot.say("!fails").await,
        vec!["Sorry, `!fails` failed; the details are in the bot's log."]
    );
    assert_eq!(bot.say("!echo still here").await, vec!["still here"]);
}

#[tokio::test(start_paused = true)]
async fn a_command_that_hangs_is_stopped_at_the_timeout() {
    let bot = bot("[Bot]\ncommand_timeout = 2s\n").await;
    let started = tokio::time::Instant::now();
    assert_eq!(
        bot.say("!slow").await,
        vec!["Sorry, `!slow` took too long and was stopped."]
    );
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test]
async fn admin_only_commands_refuse_others() {
    let bot = bot("").await;
    assert_eq!(
        bot.say_as("bob", None, "!secret").await,
        vec!["`!secret` is for admins only."]
    );
    assert_eq!(
        bot.say_as("root", None, "!secret").await,
        vec!["the secret"]
    );
}

#[tokio::test]
async fn dm_only_commands_refuse_channels() {
    let bot = bot("").await;
    assert_eq!(
        bot.say_as("bob", Some("#g"), "!whisper").await,
        vec!["`!whisper` works only in a direct message."]
    );
    assert_eq!(bot.say_as("bob", None, "whisper").await, vec!["psst"]);
}

#[tokio::test(start_paused = true)]
async fn cooldowns_apply_per_user_and_per_channel_and_spare_admins() {
    let bot = bot("").await;
    assert_eq!(bot.say_as("bob", Some("#g"), "!rate").await, vec!["ok"]);
    assert_eq!(
        bot.say_as("bob", Some("#g"), "!rate").await,
        vec!["`!rate` is cooling down; try again in 10s."]
    );
    // Another user in the same channel waits for the channel's cooldown.
    assert_eq!(
        bot.say_as("carol", Some("#g"), "!rate").await,
        vec!["`!rate` is cooling down; try again in 3s."]
    );
    assert_eq!(bot.say_as("root", Some("#g"), "!rate").await, vec!["ok"]);
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(bot.say_as("carol", Some("#g"), "!rate").await, vec!["ok"]);
    tokio::time::advance(Duration::from_secs(7)).await;
    assert_eq!(bot.say_as("bob", Some("#other"), "!rate").await, vec!["ok"]);
}

#[tokio::test]
async fn config_cooldowns_override_the_commands_own() {
    let bot = bot("[Command.echo]\ncooldown_user = 1m\n").await;
    assert_eq!(bot.say("!echo a").await, vec!["a"]);
    assert_eq!(
        bot.say("!echo a").await,
        vec!["`!echo` is cooling down; try again in 60s."]
    );
}

#[tokio::test]
async fn ignored_users_get_no_answer_until_unignored() {
    let bot = bot("").await;
    let ignore = bot.context().ignore_list();
    assert!(ignore
        .ignore(switchboard_testing::TEST_CONNECTOR, "bob")
        .await
        .unwrap());
    assert!(bot.say_as("bob", None, "!echo hi").await.is_empty());
    assert_eq!(bot.say_as("carol", None, "!echo hi").await, vec!["hi"]);
    assert!(ignore
        .unignore(switchboard_testing::TEST_CONNECTOR, "bob")
        .await
        .unwrap());
    assert_eq!(bot.say_as("bob", None, "!echo hi").await, vec!["hi"]);
}

#[tokio::test]
async fn a_disabled_command_is_gone_from_dispatch() {
    let bot = bot("[Command.echo]\nenabled = false\n").await;
    assert_eq!(
        bot.say("!echo hi").await,
        vec!["Unknown command `echo`. Try `!help`."]
    );
}

#[tokio::test]
async fn replies_go_back_where_the_message_came_from() {
    let bot = bot("").await;
    let message = switchboard_api::event::Message::new(
        "test",
        switchboard_api::event::Conversation::Channel("#general".into()),
        "bob",
        "!echo hi",
    );
    let replies = bot.dispatch(message).await;
    assert_eq!(
        replies[0].target,
        switchboard_api::event::Target::channel("test", "#general")
    );
}
