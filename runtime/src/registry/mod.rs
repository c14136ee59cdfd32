//! The registry: every plugin name, command keyword, route, listener and connector name is
//! claimed here. Building is two-phase: collect every claim of every plugin, then check the
//! whole set and commit it at once, reporting every conflict together.
//!
//! Plugins are considered in order (built-ins first, then local plugins sorted by path), so a
//! built-in is never displaced: a local plugin that collides is refused whole and the rest load.
//! Two built-ins colliding (for instance through an alias set in config) is a startup error.

mod claim;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub use claim::{Claim, Conflict, Resource};
pub use switchboard_api::{CommandEntry, CommandTable, PluginRecord, PluginState};

use switchboard_api::config::Origin;
use switchboard_api::connector::Connector;
use switchboard_api::plugin::{PluginParts, Source};
use switchboard_api::service::Service;
use switchboard_api::sink::Sink;

/// A plugin whose parts have been built and wait to be claimed.
pub struct Candidate {
    pub name: String,
    pub source: Source,
    pub parts: PluginParts,
}

/// What `[Command.NAME]` changes about one command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOverride {
    pub enabled: bool,
    pub aliases: Vec<String>,
    pub per_user_cooldown: Option<Duration>,
    pub per_channel_cooldown: Option<Duration>,
    pub origin: Option<Origin>,
}

pub struct Registry {
    pub plugins: Vec<PluginRecord>,
    pub commands: CommandTable,
    pub services: Vec<(String, Arc<dyn Service>)>,
    pub sinks: Vec<(String, Arc<dyn Sink>)>,
    pub connectors: Vec<(String, Arc<dyn Connector>)>,
    /// Conflicts that refused a local plugin (the bot runs without it).
    pub rejections: Vec<Conflict>,
}

impl Registry {
    /// Every refused plugin, as `name (source): reason`; `--strict` makes any of them fatal.
    pub fn refusals(&self) -> Vec<String> {
        self.plugins
            .iter()
            .filter_map(|p| match &p.state {
                PluginState::Rejected(why) => Some(format!("{} ({}): {why}", p.name, p.source)),
                _ => None,
            })
            .collect()
    }
}

/// Built-ins that collide with each other: the bot cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RegistryError(pub Vec<Conflict>);

/// Claims everything the candidates registered, with `[Command.*]` overrides applied.
pub fn build(
    candidates: Vec<Candidate>,
    overrides: &HashMap<String, CommandOverride>,
) -> Result<Registry, RegistryError> {
    let mut owners: HashMap<Resource, Claim> = HashMap::new();
    let mut fatal = Vec::new();
    let mut registry = Registry {
        plugins: Vec::new(),
        commands: CommandTable::default(),
        services: Vec::new(),
        sinks: Vec::new(),
        connectors: Vec::new(),
        rejections: Vec::new(),
    };
    let mut commands = Vec::new();

    for mut candidate in candidates {
        candidate
            .parts
            .commands
            .retain(|c| overrides.get(&c.spec().name).is_none_or(|o| o.enabled));
        let claims = claims_of(&candidate, overrides);
        let conflicts = conflicts_of(&claims, &owners);
        let kinds = candidate.parts.kinds();
        if !conflicts.is_empty() {
            let reason = conflicts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            if candidate.source == Source::Builtin {
                fatal.extend(conflicts);
            } else {
                tracing::error!(plugin = %candidate.name, "local plugin refused: {reason}");
                registry.rejections.extend(conflicts);
            }
            registry.plugins.push(PluginRecord {
                name: candidate.name,
                source: candidate.source,
                kinds,
                state: PluginState::Rejected(reason),
            });
            continue;
        }
        for claim in claims {
            owners.entry(claim.resource.clone()).or_insert(claim);
        }
        let PluginParts {
            commands: cmds,
            services,
            sinks,
            connectors,
        } = candidate.parts;
        for command in cmds {
            let spec = effective_spec(command.as_ref(), overrides);
            commands.push(CommandEntry {
                command,
                spec,
                plugin: candidate.name.clone(),
                source: candidate.source.clone(),
            });
        }
        let tagged = |name: &String| name.clone();
        registry
            .services
            .extend(services.into_iter().map(|s| (tagged(&candidate.name), s)));
        registry
            .sinks
            .extend(sinks.into_iter().map(|s| (tagged(&candidate.name), s)));
        registry
            .connectors
            .extend(connectors.into_iter().map(|c| (tagged(&candidate.name), c)));
        registry.plugins.push(PluginRecord {
            name: candidate.name,
            source: candidate.source,
            state: if kinds == "none" {
                PluginState::Idle
            } else {
                PluginState::Active
            },
            kinds,
        });
    }

    if !fatal.is_empty() {
        return Err(RegistryError(fatal));
    }
    registry.commands = CommandTable::new(commands);
    Ok(registry)
}

fn effective_spec(
    command: &dyn switchboard_api::command::Command,
    overrides: &HashMap<String, CommandOverride>,
) -> switchboard_api::command::CommandSpec {
    let mut spec = command.spec();
    if let Some(o) = overrides.get(&spec.name) {
        spec.aliases
            .extend(o.aliases.iter().map(|a| a.to_lowercase()));
        if let Some(d) = o.per_user_cooldown {
            spec.cooldown.per_user = d;
        }
        if let Some(d) = o.per_channel_cooldown {
            spec.cooldown.per_channel = d;
        }
    }
    spec
}

fn claims_of(candidate: &Candidate, overrides: &HashMap<String, CommandOverride>) -> Vec<Claim> {
    let claim = |resource, part: String| Claim {
        resource,
        plugin: candidate.name.clone(),
        source: candidate.source.clone(),
        part,
        share_key: None,
    };
    let mut claims = vec![claim(
        Resource::Plugin(candidate.name.to_lowercase()),
        "its name".into(),
    )];
    for command in &candidate.parts.commands {
        let spec = command.spec();
        claims.push(claim(
            Resource::Keyword(spec.name.clone()),
            format!("command `{}`", spec.name),
        ));
        for alias in &spec.aliases {
            claims.push(claim(
                Resource::Keyword(alias.to_lowercase()),
                format!("alias of `{}`", spec.name),
            ));
        }
        if let Some(o) = overrides.get(&spec.name) {
            let at = o
                .origin
                .as_ref()
                .map(|o| format!(" set at {o}"))
                .unwrap_or_default();
            for alias in &o.aliases {
                claims.push(claim(
                    Resource::Keyword(alias.to_lowercase()),
                    format!("alias of `{}`{at}", spec.name),
                ));
            }
        }
    }
    for sink in &candidate.parts.sinks {
        let listener = sink.listener();
        let settings = sink.listener_settings();
        claims.push(Claim {
            share_key: Some(settings.clone()),
            ..claim(
                Resource::Listener(listener.clone()),
                format!("sink `{}` ({settings})", sink.name()),
            )
        });
        for route in sink.routes() {
            claims.push(claim(
                Resource::Route {
                    listener: listener.clone(),
                    method: route.method,
                    path: route.path,
                },
                format!("sink `{}`", sink.name()),
            ));
        }
    }
    for connector in &candidate.parts.connectors {
        claims.push(claim(
            Resource::Connector(connector.name().to_lowercase()),
            format!("{} connector `{}`", connector.kind(), connector.name()),
        ));
    }
    claims
}

/// Conflicts with what is already owned, and among the candidate's own claims.
fn conflicts_of(claims: &[Claim], owners: &HashMap<Resource, Claim>) -> Vec<Conflict> {
    let mut own: HashMap<&Resource, &Claim> = HashMap::new();
    let mut seen = HashSet::new();
    let mut conflicts = Vec::new();
    for claim in claims {
        let first = owners
            .get(&claim.resource)
            .or_else(|| own.get(&claim.resource).copied());
        match first {
            Some(first) if first.shares_with(claim) => {}
            Some(first) if seen.insert((claim.resource.clone(), claim.part.clone())) => {
                conflicts.push(Conflict {
                    first: first.clone(),
                    second: claim.clone(),
                });
            }
            Some(_) => {}
            None => {
                own.insert(&claim.resource, claim);
            }
        }
    }
    conflicts
}

#[cfg(test)]
mod tests;
