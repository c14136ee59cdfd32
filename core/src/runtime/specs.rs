//! The core's own config sections, and the settings read from them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, ConfigError, KeySpec, SectionSpec, ValueKind};
use crate::connector::Connector;
use crate::dispatch::{Addressing, DispatchSettings};
use crate::registry::CommandOverride;

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

fn spec<'a>(specs: &'a [SectionSpec], pattern: &str) -> &'a SectionSpec {
    specs
        .iter()
        .find(|s| s.pattern == pattern)
        .unwrap_or(&specs[0])
}

pub struct CoreSettings {
    pub bot_name: String,
    pub dispatch_without_admins: DispatchSettings,
    pub sqlite_path: PathBuf,
    /// When set, the store is PostgreSQL at this URL instead of `sqlite_path`.
    pub database_url: Option<String>,
    pub timezone: crate::timezone::BotTimezone,
    pub overrides: HashMap<String, CommandOverride>,
}

/// Reads the core sections. Bad values are reported and replaced by defaults, so that the
/// caller can go on checking and report everything at once.
pub fn read(config: &Config) -> (CoreSettings, Vec<ConfigError>) {
    let specs = core_sections();
    let bot = config.view(BOT, spec(&specs, BOT));
    let store = config.view(STORE, spec(&specs, STORE));
    let mut errors = Vec::new();
    let mut get =
        |r: Result<String, ConfigError>| r.map_err(|e| errors.push(e)).unwrap_or_default();
    let name = get(bot.get("name"));
    let prefix = get(bot.get("prefix"));
    let sqlite = get(store.get("sqlite_path"));
    let (name, prefix) = (or(name, "switchboard"), or(prefix, "!"));
    let sqlite = or(sqlite, "data/switchboard.db");
    let database_url = store
        .get_opt::<String>("database_url")
        .map_err(|e| errors.push(e))
        .unwrap_or_default()
        .filter(|url| !url.trim().is_empty());
    let timezone = bot_timezone(config)
        .map_err(|e| errors.push(e))
        .unwrap_or(crate::timezone::BotTimezone::SystemLocal);
    let flag = |key: &str, errors: &mut Vec<ConfigError>| {
        bot.get::<bool>(key)
            .map_err(|e| errors.push(e))
            .unwrap_or(true)
    };
    let mention_prefix = flag("mention_prefix", &mut errors);
    let dm_prefix_optional = flag("dm_prefix_optional", &mut errors);
    let command_timeout = bot
        .get::<Duration>("command_timeout")
        .map_err(|e| errors.push(e))
        .unwrap_or(Duration::from_secs(30));

    let command_spec = spec(&specs, COMMAND);
    let mut overrides = HashMap::new();
    for name in config.instances(command_spec) {
        let section = format!("Command.{name}");
        let view = config.view(&section, command_spec);
        let read = || -> Result<CommandOverride, ConfigError> {
            Ok(CommandOverride {
                enabled: view.get("enabled")?,
                aliases: view.get_opt("aliases")?.unwrap_or_default(),
                per_user_cooldown: view.get_opt("cooldown_user")?,
                per_channel_cooldown: view.get_opt("cooldown_channel")?,
                origin: config.section(&section).map(|s| s.origin.clone()),
            })
        };
        match read() {
            Ok(o) => {
                overrides.insert(name.to_lowercase(), o);
            }
            Err(e) => errors.push(e),
        }
    }
    let settings = CoreSettings {
        bot_name: name.clone(),
        dispatch_without_admins: DispatchSettings {
            addressing: Addressing {
                prefix,
                bot_name: name,
                mention_prefix,
                dm_prefix_optional,
            },
            admins: HashMap::new(),
            command_timeout,
        },
        sqlite_path: config.resolve(sqlite),
        database_url,
        timezone,
        overrides,
    };
    (settings, errors)
}

/// `[Bot] timezone`, checked: an IANA name, or empty for the system's zone.
pub fn bot_timezone(config: &Config) -> Result<crate::timezone::BotTimezone, ConfigError> {
    let specs = core_sections();
    let bot = config.view(BOT, spec(&specs, BOT));
    let Some((raw, origin)) = bot.raw("timezone") else {
        return Ok(crate::timezone::BotTimezone::SystemLocal);
    };
    crate::timezone::BotTimezone::parse(&raw).map_err(|message| {
        ConfigError::at(origin, message)
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

fn or(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_string()
    } else {
        value
    }
}

/// Dispatch settings with each connector's admins filled in.
pub fn dispatch_settings(
    core: &CoreSettings,
    connectors: &[(String, std::sync::Arc<dyn Connector>)],
) -> DispatchSettings {
    let mut settings = core.dispatch_without_admins.clone();
    settings.admins = connectors
        .iter()
        .map(|(_, c)| {
            (
                c.name().to_string(),
                c.admins().into_iter().collect::<HashSet<_>>(),
            )
        })
        .collect();
    settings
}

/// What every connector reads from its section through [`connector_keys`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectorCommon {
    pub admins: Vec<String>,
    pub ignore: Vec<String>,
    pub limits: crate::connector::OutboundLimits,
}

impl ConnectorCommon {
    pub fn read(view: &crate::config::SectionView<'_>) -> Result<Self, ConfigError> {
        Ok(ConnectorCommon {
            admins: view.get_opt("admins")?.unwrap_or_default(),
            ignore: view.get_opt("ignore")?.unwrap_or_default(),
            limits: crate::connector::OutboundLimits {
                max_message_length: view.get("max_message_length")?,
                rate_limit: view.get("rate_limit")?,
                rate_burst: view.get("rate_burst")?,
            },
        })
    }
}
