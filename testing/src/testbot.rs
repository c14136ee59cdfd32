//! `TestBot`: drive commands from a unit test the way a chat user would (maubot's `TestBot`,
//! errbot's `testbot`), without connectors or sockets.
//!
//! ```
//! use std::sync::Arc;
//! use switchboard_api::config::ConfigError;
//! use switchboard_api::{
//!     async_trait, Command, CommandError, CommandSpec, Context, Invocation, Plugin, PluginBuilder, Reply,
//! };
//! use switchboard_testing::TestBot;
//!
//! struct Hello;
//!
//! #[async_trait]
//! impl Command for Hello {
//!     fn spec(&self) -> CommandSpec {
//!         CommandSpec::new("hello", "Greets the sender.")
//!     }
//!     async fn execute(&self, call: Invocation, _: &Context) -> Result<Reply, CommandError> {
//!         Ok(Reply::text(format!("hello, {}", call.message.sender)))
//!     }
//! }
//!
//! struct HelloPlugin;
//!
//! impl Plugin for HelloPlugin {
//!     fn name(&self) -> &str {
//!         "hello"
//!     }
//!     fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
//!         builder.add_command(Hello);
//!         Ok(())
//!     }
//! }
//!
//! tokio::runtime::Runtime::new().unwrap().block_on(async {
//!     let bot = TestBot::new(vec![Arc::new(HelloPlugin)]).await;
//!     assert_eq!(bot.say("!hello").await, vec!["hello, alice"]);
//!     assert_eq!(bot.say_as("bob", Some("#general"), "!hello").await, vec!["hello, bob"]);
//! });
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use switchboard_api::config::Config;
use switchboard_api::{
    BotControl, Context, Conversation, Message, Outbound, Plugin, ReloadError, Source, Store,
};
use switchboard_runtime::bot::{assemble, host_for_tests, specs};
use switchboard_runtime::dispatch::Dispatcher;
use switchboard_runtime::{SqliteStore, StartupError};

/// The connector name test messages arrive on.
pub const TEST_CONNECTOR: &str = "test";

pub struct TestBot {
    dispatcher: Dispatcher,
    ctx: Context,
    shutdown: CancellationToken,
}

struct TestControl {
    shutdown: CancellationToken,
}

#[async_trait]
impl BotControl for TestControl {
    async fn reload(&self) -> Result<String, ReloadError> {
        Ok("config reloaded (test bot)".into())
    }

    fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

impl TestBot {
    /// A bot with these plugins on the built-in defaults.
    pub async fn new(plugins: Vec<Arc<dyn Plugin>>) -> TestBot {
        match Self::with_config(plugins, "").await {
            Ok(bot) => bot,
            Err(e) => panic!("the test bot did not start: {e}"),
        }
    }

    /// A bot with these plugins and `config` as its `config.ini`.
    pub async fn with_config(
        plugins: Vec<Arc<dyn Plugin>>,
        config: &str,
    ) -> Result<TestBot, StartupError> {
        let config = Config::from_text("config.ini", config)?;
        let plugins: Vec<(Source, Arc<dyn Plugin>)> =
            plugins.into_iter().map(|p| (Source::Builtin, p)).collect();
        let assembly = assemble(&config, &plugins)?;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
        let shutdown = CancellationToken::new();
        let mut settings = specs::dispatch_settings(&assembly.core, &assembly.registry.connectors);
        settings.admins = HashMap::from([(TEST_CONNECTOR.to_string(), HashSet::new())]);
        let host = host_for_tests(
            config,
            store,
            &assembly,
            Arc::new(TestControl {
                shutdown: shutdown.clone(),
            }),
            shutdown.clone(),
        )
        .await?;
        let ctx = host.context("core");
        Ok(TestBot {
            dispatcher: Dispatcher::new(settings, ctx.clone()),
            ctx,
            shutdown,
        })
    }

    /// Makes these users admins on the test connector.
    pub fn with_admins(self, admins: &[&str]) -> Self {
        let mut settings = (*self.dispatcher.settings()).clone();
        settings.admins.insert(
            TEST_CONNECTOR.to_string(),
            admins.iter().map(|a| a.to_string()).collect(),
        );
        self.dispatcher.update(settings);
        self
    }

    /// `text` sent directly to the bot by `alice`; returns the reply texts.
    pub async fn say(&self, text: &str) -> Vec<String> {
        self.say_as("alice", None, text).await
    }

    /// `text` from `sender`, in `channel` (e.g. `Some("#general")`) or directly when `None`.
    pub async fn say_as(&self, sender: &str, channel: Option<&str>, text: &str) -> Vec<String> {
        let conversation = match channel {
            Some(channel) => Conversation::Channel(channel.to_string()),
            None => Conversation::Direct(sender.to_string()),
        };
        let message = Message::new(TEST_CONNECTOR, conversation, sender, text);
        self.dispatch(message)
            .await
            .into_iter()
            .map(|o| o.text)
            .collect()
    }

    /// The replies, with their targets, to one message.
    pub async fn dispatch(&self, message: Message) -> Vec<Outbound> {
        self.dispatcher.handle(Arc::new(message)).await
    }

    /// The context plugins see, to inspect storage, the bus or the command table.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Whether a command asked the bot to shut down.
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.is_cancelled()
    }
}
