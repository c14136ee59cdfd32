//! The sections of the bot itself (`[Bot]`, `[Plugins]`, `[Store]`, `[Command.NAME]`) and the
//! keys every connector section shares. The runtime reads them all; plugins read what concerns
//! them (the bot's name and time zone, a connector's common keys).

use std::time::Duration;

use super::{Config, ConfigError, KeySpec, SectionSpec, SectionView, ValueKind};
use crate::connector::OutboundLimits;
use crate::timezone::BotTimezone;

pub const BOT: &str = "Bot";
pub const PLUGINS: &str = "Plugins";
pub const STORE: &str = "Store";
pub const COMMAND: &str = "Command.*";

pub fn core_sections() -> Vec<SectionSpec> {
    use ValueKind::*;
    vec![
        SectionSpec::new(
            BOT,
            "The bot itself: its name, how commands are addressed to it.",
            vec![
                KeySpec::new("name", Text, "The bot's name: shown by `version` and accepted as a mention prefix (`switchboard: ping`).").default("switchboard"),
                KeySpec::new("prefix", Text, "What starts a command in a channel, e.g. `!ping`.").default("!"),
                KeySpec::new("mention_prefix", Bool, "Whether `NAME: cmd`, `NAME, cmd`, `NAME cmd` and `@NAME cmd` run `cmd` (the name in any case).").default("true"),
                KeySpec::new("dm_prefix_optional", Bool, "Whether a direct message may leave out the prefix (`ping` instead of `!ping`).").default("true"),
                KeySpec::new("command_timeout", Duration, "How long a command may run before it is stopped and the user told so.").default("30s"),
                KeySpec::new("timezone", Text, "The bot's time zone, an IANA name such as `America/Denver`; schedules and days (check-ins) use it. Empty: the system's zone."),
            ],
        ),
        SectionSpec::new(
            PLUGINS,
            "Where local plugins live, and how long a call into one may take.",
            vec![
                KeySpec::new("local_dir", Text, "The operator's drop-in folder, relative to this file; its `config.ini` is merged on top of this one, and plugins are dropped into its `plugins/` folder.").default("local"),
                KeySpec::new("call_timeout", Duration, "How long one call into a local plugin may take; a native plugin that takes longer is marked faulted, an exec plugin's process is killed and restarted. `[Plugin.NAME] call_timeout` overrides it per plugin.").default("5s"),
            ],
        ),
        SectionSpec::new(
            STORE,
            "Where the bot keeps what must survive a restart (ignore list, plugin storage).",
            vec![
                KeySpec::new("sqlite_path", Text, "The SQLite database file, relative to this file. Written in WAL mode.").default("data/switchboard.db"),
                KeySpec::new("database_url", Text, "A `postgres://user:password@host:port/db` URL: when set, the bot keeps its state in PostgreSQL instead of `sqlite_path` (for several instances sharing one database). SWITCHBOARD_DATABASE_URL wins.").env("SWITCHBOARD_DATABASE_URL"),
            ],
        ),
        SectionSpec::plugin(
            COMMAND,
            "One command, by its name: `[Command.ping]`. Commands are on unless `enabled = false`.",
            vec![
                KeySpec::new("aliases", List, "More keywords that run this command, comma-separated."),
                KeySpec::new("cooldown_user", Duration, "How long one user waits between two runs (admins never wait)."),
                KeySpec::new("cooldown_channel", Duration, "How long a channel waits between two runs (admins never wait)."),
            ],
        ),
    ]
}

/// The keys every connector section accepts, before its own.
pub fn connector_keys() -> Vec<KeySpec> {
    use ValueKind::*;
    vec![
        KeySpec::new("admins", List, "User ids on this connector who may run admin-only commands."),
        KeySpec::new("ignore", List, "User ids on this connector the bot never answers."),
        KeySpec::new("max_message_length", Integer, "Longest message in UTF-8 bytes; longer replies are split at word or character boundaries. 0 = no limit.").default("0"),
        KeySpec::new("rate_limit", Number, "Messages per second this connector sends at most; 0 = unlimited.").default("0"),
        KeySpec::new("rate_burst", Integer, "Messages that may go out at once before `rate_limit` applies.").default("5"),
    ]
}

pub fn spec<'a>(specs: &'a [SectionSpec], pattern: &str) -> &'a SectionSpec {
    specs
        .iter()
        .find(|s| s.pattern == pattern)
        .unwrap_or(&specs[0])
}

/// `[Bot] timezone`, checked: an IANA name, or empty for the system's zone.
pub fn bot_timezone(config: &Config) -> Result<BotTimezone, ConfigError> {
    let specs = core_sections();
    let bot = config.view(BOT, spec(&specs, BOT));
    let Some((raw, origin)) = bot.raw("timezone") else {
        return Ok(BotTimezone::SystemLocal);
    };
    BotTimezone::parse(&raw).map_err(|e| {
        ConfigError::at(origin, e.to_string())
            .in_section(BOT)
            .for_key("timezone")
    })
}

/// `[Bot] name`.
pub fn bot_name(config: &Config) -> String {
    let specs = core_sections();
    let name: String = config
        .view(BOT, spec(&specs, BOT))
        .get("name")
        .unwrap_or_default();
    or(name, "switchboard")
}

pub fn or(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_string()
    } else {
        value
    }
}

/// `[Plugins] call_timeout`: how long one call into a local plugin may take.
pub fn call_timeout(config: &Config) -> Result<Duration, ConfigError> {
    let specs = core_sections();
    config
        .view(PLUGINS, spec(&specs, PLUGINS))
        .get_opt("call_timeout")
        .map(|t| t.unwrap_or(DEFAULT_CALL_TIMEOUT))
}

/// `[Plugins] call_timeout` when it is not set.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What every connector reads from its section through [`connector_keys`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectorCommon {
    pub admins: Vec<String>,
    pub ignore: Vec<String>,
    pub limits: OutboundLimits,
}

impl ConnectorCommon {
    pub fn read(view: &SectionView<'_>) -> Result<Self, ConfigError> {
        Ok(ConnectorCommon {
            admins: view.get_opt("admins")?.unwrap_or_default(),
            ignore: view.get_opt("ignore")?.unwrap_or_default(),
            limits: OutboundLimits {
                max_message_length: view.get("max_message_length")?,
                rate_limit: view.get("rate_limit")?,
                rate_burst: view.get("rate_burst")?,
            },
        })
    }
}
