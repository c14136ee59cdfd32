//! The built-in commands, driven through `TestBot` as a plugin author would.

use switchboard_testing::TestBot;

async fn bot() -> TestBot {
    TestBot::new(super::all()).await.with_admins(&["root"])
}

#[tokio::test]
async fn ping_answers_pong() {
    assert_eq!(bot().await.say("!ping").await, vec!["pong"]);
}

#[tokio::test]
async fn help_lists_every_command_and_describes_one_with_its_aliases() {
    let bot = TestBot::with_config(super::all(), "[Command.ping]\naliases = p, alive\n")
        .await
        .expect("bot");
    assert_eq!(
        bot.say("!help").await,
        vec!["Commands: !help, !ignore, !ping, !plugins, !reload, !shutdown, !unignore, !uptime, !version. Say `!help <command>` for more."]
    );
    assert_eq!(
        bot.say("!help p").await,
        vec!["!ping — Answers `pong`: is the bot alive? (aliases: !p, !alive; plugin: ping)"]
    );
    assert_eq!(
        bot.say("!help !ignore").await,
        vec!["!ignore <user> — Stops answering a user on this connector (kept across restarts). (admins only; plugin: ignore)"]
    );
    assert_eq!(
        bot.say("!help pnig").await,
        vec!["No command `pnig`. Did you mean `!ping`?"]
    );
}

#[tokio::test]
async fn version_names_the_bot_and_the_release() {
    let bot = TestBot::with_config(super::all(), "[Bot]\nname = Switchy\n")
        .await
        .expect("bot");
    assert_eq!(
        bot.say("!version").await,
        vec![format!(
            "Switchy runs Switchboard {}",
            env!("CARGO_PKG_VERSION")
        )]
    );
}

#[tokio::test]
async fn uptime_answers() {
    let replies = bot().await.say("!uptime").await;
    assert!(
        replies[0].starts_with("up ") && replies[0].ends_with('s'),
        "{replies:?}"
    );
}

#[tokio::test]
async fn plugins_lists_name_kind_source_and_state() {
    let replies = bot().await.say("!plugins").await;
    let lines: Vec<&str> = replies[0].lines().collect();
    assert!(
        lines.contains(&"ping (command; built-in): active"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"ignore (command; built-in): active"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn shutdown_and_reload_are_for_admins() {
    let bot = bot().await;
    assert_eq!(
        bot.say_as("bob", None, "!shutdown").await,
        vec!["`!shutdown` is for admins only."]
    );
    assert!(!bot.shutdown_requested());
    assert_eq!(
        bot.say_as("root", None, "!shutdown").await,
        vec!["Shutting down."]
    );
    assert!(bot.shutdown_requested());
    assert_eq!(
        bot.say_as("bob", None, "!reload").await,
        vec!["`!reload` is for admins only."]
    );
    assert_eq!(
        bot.say_as("root", None, "!reload").await,
        vec!["config reloaded (test bot)"]
    );
}

#[tokio::test]
async fn ignore_and_unignore_change_who_is_answered_and_are_stored() {
    let bot = bot().await;
    assert_eq!(
        bot.say_as("root", None, "!ignore").await,
        vec!["Usage: !ignore <user>"]
    );
    assert_eq!(
        bot.say_as("root", None, "!ignore root").await,
        vec!["You cannot ignore yourself."]
    );
    assert_eq!(
        bot.say_as("root", None, "!ignore @bob").await,
        vec!["Ignoring bob."]
    );
    assert_eq!(
        bot.say_as("root", None, "!ignore bob").await,
        vec!["bob was already ignored."]
    );
    assert!(bot.say_as("bob", None, "!ping").await.is_empty());
    let stored = bot.context().store().list("ignore").await.expect("store");
    assert_eq!(stored, vec![("test/bob".to_string(), "1".to_string())]);
    assert_eq!(
        bot.say_as("root", None, "!unignore bob").await,
        vec!["No longer ignoring bob."]
    );
    assert_eq!(
        bot.say_as("root", None, "!unignore bob").await,
        vec!["bob was not ignored."]
    );
    assert_eq!(bot.say_as("bob", None, "!ping").await, vec!["pong"]);
}
