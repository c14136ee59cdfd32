//! The core's own config sections, and the settings read from them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::dispatch::{Addressing, DispatchSettings};
use crate::registry::CommandOverride;
pub use switchboard_api::config::core::{
    bot_timezone, core_sections, or, spec, BOT, COMMAND, STORE,
};
use switchboard_api::config::{Config, ConfigError};
use switchboard_api::connector::Connector;

pub struct CoreSettings {
    pub bot_name: String,
    pub dispatch_without_admins: DispatchSettings,
    pub sqlite_path: PathBuf,
    /// When set, the store is PostgreSQL at this URL instead of `sqlite_path`.
    pub database_url: Option<String>,
    pub timezone: switchboard_api::timezone::BotTimezone,
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
        .unwrap_or(switchboard_api::timezone::BotTimezone::SystemLocal);
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
