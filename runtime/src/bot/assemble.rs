//! From config and plugins to a checked registry: what `run`, `console`, `check-config` and
//! `plugins` all do first.

use std::collections::HashSet;
use std::sync::Arc;

use crate::registry::{self, Candidate, PluginRecord, PluginState, Registry, RegistryError};
use switchboard_api::config::{Config, ConfigError, ConfigErrors, Origin, SectionSpec};
use switchboard_api::plugin::{Plugin, PluginBuilder, Source};
use switchboard_api::suggest::did_you_mean;
use switchboard_local_plugins::LocalSet;

use super::specs::{self, CoreSettings};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    #[error("{0}")]
    Registry(#[from] RegistryError),
    #[error("--strict: a local plugin was refused: {0}")]
    Strict(String),
    #[error("{0}")]
    Store(#[from] switchboard_api::store::StoreError),
    #[error("{0}")]
    Listener(#[from] super::sinks::SinkListenerError),
}

pub struct Assembly {
    pub core: CoreSettings,
    pub registry: Registry,
    pub specs: Vec<SectionSpec>,
}

/// Every section any part of the bot reads: the core's and each plugin's.
pub fn all_sections(plugins: &[(Source, Arc<dyn Plugin>)]) -> Vec<SectionSpec> {
    let mut sections = specs::core_sections();
    for (_, plugin) in plugins {
        sections.extend(plugin.config_sections());
    }
    sections
}

/// Validates the config against every declared section, builds every plugin, and claims their
/// parts. Every problem is reported, not just the first.
pub fn assemble(
    config: &Config,
    plugins: &[(Source, Arc<dyn Plugin>)],
) -> Result<Assembly, StartupError> {
    assemble_with_local(config, plugins, &LocalSet::default())
}

/// Scans the local plugins folder and assembles the built-ins with what it found. The set is
/// returned with the assembly: dropping it stops the exec plugins it started.
pub async fn discover_and_assemble(
    config: &Config,
    builtins: &[(Source, Arc<dyn Plugin>)],
) -> (Result<Assembly, StartupError>, LocalSet) {
    let local = switchboard_local_plugins::discover(config, &LocalSet::default()).await;
    (assemble_with_local(config, builtins, &local), local)
}

/// [`assemble`] with local plugins after the built-ins. Local plugins that could not be loaded
/// are listed as rejected, with the reason.
pub fn assemble_with_local(
    config: &Config,
    builtins: &[(Source, Arc<dyn Plugin>)],
    local: &LocalSet,
) -> Result<Assembly, StartupError> {
    let plugins: Vec<(Source, Arc<dyn Plugin>)> =
        builtins.iter().chain(&local.plugins).cloned().collect();
    let plugins = &plugins[..];
    let mut sections = all_sections(plugins);
    sections.extend(local.disabled_sections.iter().cloned());
    let mut errors = config.validate(&sections);
    let (core, core_errors) = specs::read(config);
    errors.extend(core_errors);
    let mut candidates = Vec::new();
    let mut known_commands = HashSet::new();
    for (source, plugin) in plugins {
        let mut builder = PluginBuilder::new(config);
        if let Err(e) = plugin.build(&mut builder) {
            errors.push(e);
            continue;
        }
        let parts = builder.into_parts();
        known_commands.extend(parts.commands.iter().map(|c| c.spec().name));
        candidates.push(Candidate {
            name: plugin.name().to_string(),
            source: source.clone(),
            parts,
        });
    }
    {
        let mut unknown: Vec<_> = core
            .overrides
            .keys()
            .filter(|name| !known_commands.contains(*name))
            .collect();
        unknown.sort();
        for name in unknown {
            let origin = config
                .section(&format!("Command.{name}"))
                .or_else(|| {
                    config
                        .sections()
                        .find(|s| s.name.eq_ignore_ascii_case(&format!("Command.{name}")))
                })
                .map(|s| s.origin.clone())
                .unwrap_or(Origin::Default);
            let hint = did_you_mean(name, known_commands.iter().map(String::as_str))
                .map(|c| format!("; did you mean [Command.{c}]?"))
                .unwrap_or_default();
            errors.push(
                ConfigError::at(origin, format!("no command is named `{name}`{hint}"))
                    .in_section(&format!("Command.{name}")),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(in_file_order(errors)).into());
    }
    let mut registry = registry::build(candidates, &core.overrides)?;
    let unknown = unknown_connectors(&registry);
    if !unknown.is_empty() {
        return Err(ConfigErrors(in_file_order(unknown)).into());
    }
    registry
        .plugins
        .extend(local.failures.iter().map(|f| PluginRecord {
            name: f.name.clone(),
            source: f.source.clone(),
            kinds: "none".into(),
            state: PluginState::Rejected(f.reason.clone()),
        }));
    Ok(Assembly {
        core,
        registry,
        specs: sections,
    })
}

/// Every sink naming a connector no plugin registered: a message for it could never be sent.
fn unknown_connectors(registry: &Registry) -> Vec<ConfigError> {
    let names: Vec<&str> = registry.connectors.iter().map(|(_, c)| c.name()).collect();
    let mut errors = Vec::new();
    for (_, sink) in &registry.sinks {
        for named in sink.connector_refs() {
            if names.contains(&named.connector.as_str()) {
                continue;
            }
            let hint = did_you_mean(&named.connector, names.iter().copied())
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            let known = match names.as_slice() {
                [] => "no connector is configured".to_string(),
                names => format!("the connectors are {}", names.join(", ")),
            };
            errors.push(
                ConfigError::at(
                    named.origin,
                    format!(
                        "no connector is named `{}`{hint} ({known})",
                        named.connector
                    ),
                )
                .in_section(&named.section)
                .for_key(named.key),
            );
        }
    }
    errors
}

/// Each problem once (a bad value is seen by validation and again by the plugin reading it),
/// ordered by file and line.
fn in_file_order(errors: Vec<ConfigError>) -> Vec<ConfigError> {
    let mut seen = HashSet::new();
    let mut unique: Vec<ConfigError> = errors
        .into_iter()
        .filter(|e| {
            let place = e.origin.as_ref().map(ToString::to_string);
            // A keyed problem is one problem per key, however each reader words it.
            let what = if e.key.is_some() {
                String::new()
            } else {
                e.message.clone()
            };
            seen.insert((place, e.section.clone(), e.key.clone(), what))
        })
        .collect();
    unique.sort_by_key(|e| match &e.origin {
        Some(Origin::File { path, line }) => (0, path.clone(), *line),
        _ => (1, Default::default(), 0),
    });
    unique
}
