//! The core's own config sections, and the settings read from them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::dispatch::{Addressing, DispatchSettings};
use crate::registry::CommandOverride;
pub use switchboard_api::config::core::core_sections;
use switchboard_api::config::core::{
    or, BotSection, CommandSection, StoreSection, BOT, COMMAND_PREFIX, DEFAULT_BOT_NAME,
    DEFAULT_PREFIX, DEFAULT_SQLITE_PATH, STORE,
};
use switchboard_api::config::{Config, ConfigError, ConfigKeys, ConfigSection};
use switchboard_api::connector::Connector;
use switchboard_api::timezone::BotTimezone;

pub struct CoreSettings {
    pub bot_name: String,
    pub dispatch_without_admins: DispatchSettings,
    pub sqlite_path: PathBuf,
    /// When set, the store is PostgreSQL at this URL instead of `sqlite_path`.
    pub database_url: Option<String>,
    pub timezone: BotTimezone,
    pub overrides: HashMap<String, CommandOverride>,
}

/// Reads the core sections. A section that does not read is reported and taken at its
/// defaults, so that the caller can go on checking and report everything at once.
pub fn read(config: &Config) -> (CoreSettings, Vec<ConfigError>) {
    let mut errors = Vec::new();
    let bot = config
        .read::<BotSection>(BOT)
        .map_err(|e| errors.push(e))
        .ok();
    let store = config
        .read::<StoreSection>(STORE)
        .map_err(|e| errors.push(e))
        .ok();
    let name = or(
        bot.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
        DEFAULT_BOT_NAME,
    );
    let prefix = or(
        bot.as_ref().map(|b| b.prefix.clone()).unwrap_or_default(),
        DEFAULT_PREFIX,
    );
    let sqlite = or(
        store
            .as_ref()
            .map(|s| s.sqlite_path.clone())
            .unwrap_or_default(),
        DEFAULT_SQLITE_PATH,
    );
    let database_url = store
        .and_then(|s| s.database_url)
        .filter(|url| !url.trim().is_empty());

    let mut overrides = HashMap::new();
    for name in config.instances(CommandSection::spec()) {
        let section = format!("{COMMAND_PREFIX}{name}");
        let view = config.view(&section, CommandSection::spec());
        let read = || -> Result<CommandOverride, ConfigError> {
            let command = CommandSection::read(&view)?;
            Ok(CommandOverride {
                enabled: view.try_enabled()?,
                aliases: command.aliases.unwrap_or_default(),
                per_user_cooldown: command.cooldown_user,
                per_channel_cooldown: command.cooldown_channel,
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
                mention_prefix: bot.as_ref().is_none_or(|b| b.mention_prefix),
                dm_prefix_optional: bot.as_ref().is_none_or(|b| b.dm_prefix_optional),
            },
            admins: HashMap::new(),
            command_timeout: bot
                .as_ref()
                .map_or(Duration::from_secs(30), |b| b.command_timeout),
        },
        sqlite_path: config.resolve(sqlite),
        database_url,
        timezone: bot
            .and_then(|b| b.timezone)
            .unwrap_or(BotTimezone::SystemLocal),
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
