//! The sections of the bot itself (`[Bot]`, `[Plugins]`, `[Store]`, `[Command.NAME]`) and the
//! keys every connector section shares. The runtime reads them all; plugins read what concerns
//! them (the bot's name and time zone, a connector's common keys).

use std::time::Duration;

use super::{Config, ConfigError, ConfigSection, SectionSpec, DEFAULT_LOCAL_DIR};
use crate::connector::OutboundLimits;
use crate::timezone::BotTimezone;

/// `[Bot]`: the bot itself.
pub const BOT: &str = "Bot";
/// `[Plugins]`: where local plugins live.
pub const PLUGINS: &str = "Plugins";
/// `[Store]`: where the bot keeps its state.
pub const STORE: &str = "Store";
/// The section of one command: `Command.` and the command's name.
pub const COMMAND_PREFIX: &str = "Command.";

/// `[Bot] name` when it is not set, or set empty.
pub const DEFAULT_BOT_NAME: &str = "switchboard";
/// `[Bot] prefix` when it is not set, or set empty.
pub const DEFAULT_PREFIX: &str = "!";
/// `[Store] sqlite_path` when it is not set, or set empty.
pub const DEFAULT_SQLITE_PATH: &str = "data/switchboard.db";
/// `[Plugins] call_timeout` when it is not set.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

crate::config_section! {
    /// The bot itself: its name, how commands are addressed to it.
    #[section("Bot")]
    pub struct BotSection {
        /// The bot's name: shown by `version`, accepted as a mention prefix
        /// (`switchboard: ping`), and the name of its outbox in the store: renamed, it still
        /// sends what it queued before (see `switchboard outbox`). Empty counts as the default.
        #[key(default = DEFAULT_BOT_NAME)]
        pub name: String,
        /// What starts a command in a channel, e.g. `!ping`. Empty counts as the default.
        #[key(default = DEFAULT_PREFIX)]
        pub prefix: String,
        /// Whether `NAME: cmd`, `NAME, cmd`, `NAME cmd` and `@NAME cmd` run `cmd` (the name in
        /// any case).
        #[key(default = "true")]
        pub mention_prefix: bool,
        /// Whether a direct message may leave out the prefix (`ping` instead of `!ping`).
        #[key(default = "true")]
        pub dm_prefix_optional: bool,
        /// How long a command may run before it is stopped and the user told so.
        #[key(default = "30s")]
        pub command_timeout: Duration,
        /// The bot's time zone, an IANA name such as `America/Denver`; schedules and days
        /// (check-ins) use it. Empty: the system's zone. A name that is not an IANA name is an
        /// error.
        #[key(example = "America/Denver")]
        pub timezone: Option<BotTimezone>,
    }
}

crate::config_section! {
    /// Where local plugins live, and how long a call into one may take.
    #[section("Plugins")]
    pub struct PluginsSection {
        /// The operator's drop-in folder, relative to this file; its `config.ini` is merged on
        /// top of this one, and plugins are dropped into its `plugins/` folder. Set it in the
        /// main file: the local file has been chosen by the time its own keys are read.
        #[key(default = DEFAULT_LOCAL_DIR)]
        pub local_dir: String,
        /// How long one call into a local plugin may take; a native plugin that takes longer is
        /// marked faulted, an exec plugin's process is killed and restarted.
        /// `[Plugin.NAME] call_timeout` overrides it per plugin. It is also how long an exec
        /// plugin's process may take to say hello when it starts.
        #[key(default = "5s")]
        pub call_timeout: Duration,
    }
}

crate::config_section! {
    /// Where the bot keeps what must survive a restart (ignore list, plugin storage).
    #[section("Store")]
    pub struct StoreSection {
        /// The SQLite database file, relative to this file. Written in WAL mode. Empty counts
        /// as the default.
        #[key(default = DEFAULT_SQLITE_PATH)]
        pub sqlite_path: String,
        /// A `postgres://user:password@host:port/db` URL: when set, the bot keeps its state in
        /// PostgreSQL instead of `sqlite_path` (for several instances sharing one database).
        #[key(
            env = "SWITCHBOARD_DATABASE_URL",
            example = "postgres://switchboard:secret@127.0.0.1:5432/switchboard"
        )]
        pub database_url: Option<String>,
    }
}

crate::config_section! {
    /// One command, by its name: `[Command.ping]`. Commands are on unless `enabled = false`;
    /// a section naming no command is an error.
    #[section("Command.*", plugin, instance = "ping")]
    pub struct CommandSection {
        /// More keywords that run this command, comma-separated.
        #[key(example = "p")]
        pub aliases: Option<Vec<String>>,
        /// How long one user waits between two runs (admins never wait); `0` means none.
        #[key(default_doc = "the command's own (none for the built-ins)", example = "10s")]
        pub cooldown_user: Option<Duration>,
        /// How long a channel waits between two runs (admins never wait); `0` means none.
        #[key(default_doc = "the command's own (none for the built-ins)", example = "1m")]
        pub cooldown_channel: Option<Duration>,
    }
}

crate::config_section! {
    /// The keys every connector section accepts, before its own.
    pub struct ConnectorCommon {
        /// User ids on this connector who may run admin-only commands, comma-separated.
        pub admins: Option<Vec<String>>,
        /// User ids on this connector the bot never answers, comma-separated.
        pub ignore: Option<Vec<String>>,
        /// Longest message in UTF-8 bytes; longer replies are split at word or character
        /// boundaries. 0 = no limit.
        #[key(default = "0")]
        pub max_message_length: usize,
        /// Messages per second this connector sends at most; 0 = unlimited.
        #[key(default = "0")]
        pub rate_limit: f64,
        /// Messages that may go out at once before `rate_limit` applies.
        #[key(default = "5")]
        pub rate_burst: u32,
    }
}

impl ConnectorCommon {
    /// The connector's `admins`, none when unset.
    pub fn admins(&self) -> Vec<String> {
        self.admins.clone().unwrap_or_default()
    }

    /// The connector's `ignore` list, none when unset.
    pub fn ignored(&self) -> Vec<String> {
        self.ignore.clone().unwrap_or_default()
    }

    /// How the connector's replies are split and paced.
    pub fn limits(&self) -> OutboundLimits {
        OutboundLimits {
            max_message_length: self.max_message_length,
            rate_limit: self.rate_limit,
            rate_burst: self.rate_burst,
        }
    }
}

/// The core's sections, in the order the reference lists them.
pub fn core_sections() -> Vec<SectionSpec> {
    vec![
        BotSection::spec().clone(),
        PluginsSection::spec().clone(),
        StoreSection::spec().clone(),
        CommandSection::spec().clone(),
    ]
}

/// `[Bot] timezone`, checked: an IANA name, or empty for the system's zone.
pub fn bot_timezone(config: &Config) -> Result<BotTimezone, ConfigError> {
    let bot: BotSection = config.read(BOT)?;
    Ok(bot.timezone.unwrap_or(BotTimezone::SystemLocal))
}

/// `[Bot] name`; the default when it is empty or `[Bot]` does not read.
pub fn bot_name(config: &Config) -> String {
    let name = config
        .read::<BotSection>(BOT)
        .map(|bot| bot.name)
        .unwrap_or_default();
    or(name, DEFAULT_BOT_NAME)
}

/// `value`, or `default` when it is empty.
pub fn or(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_string()
    } else {
        value
    }
}

/// `[Plugins] call_timeout`: how long one call into a local plugin may take.
pub fn call_timeout(config: &Config) -> Result<Duration, ConfigError> {
    config
        .read::<PluginsSection>(PLUGINS)
        .map(|plugins| plugins.call_timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FromConfigValue;

    #[test]
    fn the_declared_call_timeout_default_is_the_fallback() {
        let declared = PluginsSection::spec()
            .key("call_timeout")
            .and_then(|k| k.default)
            .unwrap_or_default();
        assert_eq!(
            Duration::from_config_value(declared).ok(),
            Some(DEFAULT_CALL_TIMEOUT)
        );
    }

    #[test]
    fn core_sections_read_their_defaults() {
        let config = Config::defaults(".");
        let bot: BotSection = config.read(BOT).unwrap();
        assert_eq!(bot.name, "switchboard");
        assert_eq!(bot.command_timeout, Duration::from_secs(30));
        assert_eq!(bot.timezone, None);
        let command: CommandSection = config.read("Command.ping").unwrap();
        assert_eq!(command.aliases, None);
        assert_eq!(
            CommandSection::spec().keys[0].name,
            "enabled",
            "a command section is a plugin section"
        );
    }
}
