//! The built-in chat commands.

mod help;
mod ignore;
mod ping;
mod plugin_list;
mod reload;
mod shutdown;
mod uptime;
mod version;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use switchboard_api::config::ConfigError;
use switchboard_api::{Command, Plugin, PluginBuilder};

/// A plugin that is just one or more commands.
struct CommandPlugin {
    name: &'static str,
    commands: fn() -> Vec<Arc<dyn Command>>,
}

impl Plugin for CommandPlugin {
    fn name(&self) -> &str {
        self.name
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        for command in (self.commands)() {
            builder.add_command_arc(command);
        }
        Ok(())
    }
}

pub fn all() -> Vec<Arc<dyn Plugin>> {
    fn plugin(name: &'static str, commands: fn() -> Vec<Arc<dyn Command>>) -> Arc<dyn Plugin> {
        Arc::new(CommandPlugin { name, commands })
    }
    vec![
        plugin("help", || vec![Arc::new(help::Help)]),
        plugin("ping", || vec![Arc::new(ping::Ping)]),
        plugin("version", || vec![Arc::new(version::Version)]),
        plugin("uptime", || vec![Arc::new(uptime::Uptime)]),
        plugin("plugins", || vec![Arc::new(plugin_list::PluginList)]),
        plugin("reload", || vec![Arc::new(reload::Reload)]),
        plugin("shutdown", || vec![Arc::new(shutdown::Shutdown)]),
        plugin("ignore", || {
            vec![Arc::new(ignore::Ignore), Arc::new(ignore::Unignore)]
        }),
    ]
}
