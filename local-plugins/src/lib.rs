//! Local plugins: what an operator drops into `<local_dir>/plugins/`, native libraries (the
//! SDK's C ABI) and exec plugins (a child process speaking JSON lines), registered like
//! built-ins through adapters.

pub mod adapter;
pub mod backend;
pub mod discovery;
pub mod exec;
pub mod manifest;
pub mod native;
mod plugin;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use backend::{Backend, CallError};
pub use plugin::{reference_section, section_name, LocalPlugin, LocalPluginSection};

use discovery::{Fingerprint, Found};
use switchboard_api::config::{Config, FromConfigValue, KeySpec, SectionSpec, ValueKind};
use switchboard_api::plugin::{Plugin, Source};

/// Internals the fuzz targets in `fuzz/` call directly; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::exec::line_reader::{BoundedLines, Line};
    pub use crate::exec::output_log::{shown, SHOWN};
    pub use crate::exec::protocol::{Hello, HostCall, Incoming};
}

/// The default of `[Plugins] call_timeout`.
pub use switchboard_api::config::core::{call_timeout, DEFAULT_CALL_TIMEOUT};

/// A local plugin that could not be loaded; it is listed as rejected with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The plugin's name when known, else its file or folder name.
    pub name: String,
    pub source: Source,
    pub reason: String,
}

#[derive(Clone)]
struct Loaded {
    fingerprint: Fingerprint,
    plugin: Arc<LocalPlugin>,
}

/// The local plugins found by one scan. A later scan reuses those whose files did not change;
/// dropping a set stops the exec processes no other set shares.
#[derive(Default, Clone)]
pub struct LocalSet {
    pub plugins: Vec<(Source, Arc<dyn Plugin>)>,
    pub failures: Vec<LoadFailure>,
    /// Sections of plugins switched off with `enabled = false`, accepted as written.
    pub disabled_sections: Vec<SectionSpec>,
    loaded: HashMap<PathBuf, Loaded>,
}

impl LocalSet {
    /// Stops the plugins of this set that `kept` does not share: after a reload, the ones it
    /// removed or replaced; after a refused reload, the ones it had started.
    pub fn stop_unless_in(&self, kept: &LocalSet) {
        for loaded in self.loaded.values() {
            if !kept
                .loaded
                .values()
                .any(|k| Arc::ptr_eq(&k.plugin, &loaded.plugin))
            {
                loaded.plugin.backend.stop();
            }
        }
    }

    /// The loaded plugins, for callers that talk to a backend directly (benchmarks, tools).
    pub fn loaded(&self) -> impl Iterator<Item = &Arc<LocalPlugin>> {
        self.loaded.values().map(|l| &l.plugin)
    }
}

/// The folder plugins are dropped into.
pub fn plugins_dir(config: &Config) -> PathBuf {
    config.local_dir().join("plugins")
}

/// A plugin's `[Plugin.NAME]` section, key to value, as the plugin reads it.
pub fn section_values(config: &Config, plugin: &str) -> serde_json::Map<String, serde_json::Value> {
    config
        .section(&section_name(plugin))
        .map(|s| {
            s.entries
                .iter()
                .map(|(k, e)| (k.clone(), serde_json::Value::String(e.value.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn enabled(config: &Config, plugin: &str) -> bool {
    config
        .section(&section_name(plugin))
        .and_then(|s| s.entries.get("enabled"))
        .is_none_or(|e| bool::from_config_value(&e.value).unwrap_or(true))
}

/// Accepts a disabled plugin's section as written: it is not loaded, so nothing checks its keys.
fn disabled_section(config: &Config, plugin: &str) -> SectionSpec {
    let name = section_name(plugin);
    let keys = config
        .section(&name)
        .map(|s| {
            s.entries
                .keys()
                .filter(|k| k.as_str() != "enabled")
                .map(|k| {
                    KeySpec::new(
                        plugin::intern(k),
                        ValueKind::Text,
                        "Not read: the plugin is disabled.",
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    SectionSpec::new(plugin::intern(&name), "A disabled local plugin.", keys).plugin()
}

/// Scans the plugins folder and loads what is new or changed; `previous` supplies the plugins
/// whose files are unchanged (a library is never loaded twice from the same bytes).
pub async fn discover(config: &Config, previous: &LocalSet) -> LocalSet {
    let timeout = call_timeout(config).unwrap_or(DEFAULT_CALL_TIMEOUT);
    let found = discovery::scan(&plugins_dir(config));
    let loads = found.into_iter().map(|found| async move {
        let fingerprint = discovery::fingerprint(&found);
        let at = found.at().to_path_buf();
        let reuse = previous
            .loaded
            .get(&at)
            .filter(|l| l.fingerprint == fingerprint)
            .map(|l| l.plugin.clone());
        let outcome = match reuse {
            Some(plugin) => Ok(Some(plugin)),
            None => load(found, config, timeout).await.map(|p| p.map(Arc::new)),
        };
        (at, fingerprint, outcome)
    });
    let mut set = LocalSet::default();
    for (at, fingerprint, outcome) in futures::future::join_all(loads).await {
        match outcome {
            Ok(Some(plugin)) if enabled(config, &plugin.name) => {
                set.plugins
                    .push((Source::Local(at.clone()), plugin.clone()));
                set.loaded.insert(
                    at,
                    Loaded {
                        fingerprint,
                        plugin,
                    },
                );
            }
            Ok(Some(plugin)) => set
                .disabled_sections
                .push(disabled_section(config, &plugin.name)),
            Ok(None) => {}
            Err(failure) => {
                tracing::error!(plugin = %failure.name, source = %failure.source, "local plugin not loaded: {}", failure.reason);
                set.failures.push(failure);
            }
        }
    }
    set
}

/// Loads one entry; `Ok(None)` for a plugin switched off in the config (not started at all).
async fn load(
    found: Found,
    config: &Config,
    timeout: Duration,
) -> Result<Option<LocalPlugin>, LoadFailure> {
    let at = found.at().to_path_buf();
    let file_name = at
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fail = |name: &str, reason: String| LoadFailure {
        name: name.to_string(),
        source: Source::Local(at.clone()),
        reason,
    };
    match found {
        Found::Broken { reason, .. } => Err(fail(&file_name, reason)),
        Found::Native {
            library,
            expected_name,
            ..
        } => {
            let loaded = native::load(&library).map_err(|e| fail(&file_name, e.to_string()))?;
            let name = loaded.name.clone();
            if let Some(expected) = expected_name.filter(|n| *n != name) {
                return Err(fail(
                    &name,
                    format!("plugin.toml names it `{expected}` but the library is `{name}`"),
                ));
            }
            if !enabled(config, &name) {
                return Ok(Some(disabled(name, at)));
            }
            let backend = native::NativeBackend::start(loaded, timeout)
                .await
                .map_err(|e| fail(&name, e.to_string()))?;
            Ok(Some(LocalPlugin {
                name,
                path: at.clone(),
                backend: Arc::new(backend),
            }))
        }
        Found::Exec { manifest, .. } => {
            let name = manifest.name.clone().unwrap_or(file_name);
            if !enabled(config, &name) {
                return Ok(Some(disabled(name, at)));
            }
            let spec = exec::ExecSpec {
                name: name.clone(),
                dir: at.clone(),
                command: manifest.command.clone().unwrap_or_default(),
                args: manifest.args.clone(),
                start_timeout: timeout,
            };
            let backend = exec::ExecBackend::start(spec)
                .await
                .map_err(|e| fail(&name, e.to_string()))?;
            Ok(Some(LocalPlugin {
                name,
                path: at.clone(),
                backend: Arc::new(backend),
            }))
        }
    }
}

/// A placeholder for a plugin the config switched off: only its name is used.
fn disabled(name: String, path: PathBuf) -> LocalPlugin {
    LocalPlugin {
        name,
        path,
        backend: Arc::new(backend::Disabled),
    }
}
