//! Plugins: bundles that register commands, services, sinks and connectors (bevy's
//! `Plugin::build` is the model). Built-in and local plugins go through the same builder.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::command::Command;
use crate::config::{Config, ConfigError, SectionSpec};
use crate::connector::Connector;
use crate::service::Service;
use crate::sink::Sink;

/// Where a plugin came from, named in every registry conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Compiled into the binary.
    Builtin,
    /// Dropped into the operator's `local/plugins/` folder, at this path.
    Local(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin => f.write_str("built-in"),
            Source::Local(path) => write!(f, "local: {}", path.display()),
        }
    }
}

/// A bundle of commands, services, sinks and connectors, registered together under one name.
pub trait Plugin: Send + Sync + 'static {
    /// Its unique name; the registry refuses a second plugin of the same name.
    fn name(&self) -> &str;
    /// The config sections this plugin reads, for validation and the reference docs.
    fn config_sections(&self) -> Vec<SectionSpec> {
        Vec::new()
    }
    /// Registers the plugin's parts, reading its config as needed. Nothing is claimed until the
    /// registry has checked every plugin's parts together.
    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError>;
    /// Subcommands this plugin adds to the `switchboard` command line.
    fn subcommands(&self) -> Vec<Arc<dyn crate::cli::Subcommand>> {
        Vec::new()
    }
}

/// What became of a plugin, as `plugins` and `!plugins` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginState {
    /// Registered and working.
    Active,
    /// Loaded, but its config turns nothing on (e.g. a sink with no section).
    Idle,
    /// Refused at registration; the reason names both sides of each conflict.
    Rejected(String),
    /// Stopped working at run time (a panic, a timeout, a service that never became healthy).
    Faulted(String),
}

impl std::fmt::Display for PluginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginState::Active => f.write_str("active"),
            PluginState::Idle => f.write_str("idle (nothing configured)"),
            PluginState::Rejected(why) => write!(f, "rejected: {why}"),
            PluginState::Faulted(why) => write!(f, "faulted: {why}"),
        }
    }
}

/// One plugin as listings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRecord {
    /// Its name.
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// The kinds of parts it registered, e.g. `command, service`.
    pub kinds: String,
    /// What became of it.
    pub state: PluginState,
}

/// What a plugin registered in `build`.
#[derive(Default)]
pub struct PluginParts {
    /// Its commands.
    pub commands: Vec<Arc<dyn Command>>,
    /// Its services.
    pub services: Vec<Arc<dyn Service>>,
    /// Its sinks.
    pub sinks: Vec<Arc<dyn Sink>>,
    /// Its connectors.
    pub connectors: Vec<Arc<dyn Connector>>,
}

impl PluginParts {
    /// The kinds of parts, e.g. `command` or `connector, service`, for listings.
    pub fn kinds(&self) -> String {
        let kinds: Vec<&str> = [
            (!self.commands.is_empty()).then_some("command"),
            (!self.services.is_empty()).then_some("service"),
            (!self.sinks.is_empty()).then_some("sink"),
            (!self.connectors.is_empty()).then_some("connector"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds.join(", ")
        }
    }
}

/// What [`Plugin::build`] registers its parts with.
pub struct PluginBuilder<'a> {
    config: &'a Config,
    parts: PluginParts,
}

impl<'a> PluginBuilder<'a> {
    /// A builder reading `config`; the runtime makes one per plugin.
    pub fn new(config: &'a Config) -> Self {
        PluginBuilder {
            config,
            parts: PluginParts::default(),
        }
    }

    /// The config, to read the plugin's sections.
    pub fn config(&self) -> &'a Config {
        self.config
    }

    /// Registers a command.
    pub fn add_command(&mut self, command: impl Command) -> &mut Self {
        self.parts.commands.push(Arc::new(command));
        self
    }

    /// Like [`add_command`](Self::add_command), for a command that is already shared.
    pub fn add_command_arc(&mut self, command: Arc<dyn Command>) -> &mut Self {
        self.parts.commands.push(command);
        self
    }

    /// Registers a service.
    pub fn add_service(&mut self, service: impl Service) -> &mut Self {
        self.parts.services.push(Arc::new(service));
        self
    }

    /// Registers a sink.
    pub fn add_sink(&mut self, sink: impl Sink) -> &mut Self {
        self.parts.sinks.push(Arc::new(sink));
        self
    }

    /// Registers a connector.
    pub fn add_connector(&mut self, connector: impl Connector) -> &mut Self {
        self.parts.connectors.push(Arc::new(connector));
        self
    }

    /// What was registered.
    pub fn into_parts(self) -> PluginParts {
        self.parts
    }
}
