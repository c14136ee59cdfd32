//! A loaded local plugin as a [`Plugin`]: its config section, and its parts built from its
//! declarations.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use switchboard_api::config::{
    ConfigError, ConfigKeys, ConfigSection, KeySpec, SectionSpec, ValueKind,
};
use switchboard_api::http::{ListenerKeys, ListenerSettings};
use switchboard_api::plugin::{Plugin, PluginBuilder};

use super::adapter::{LocalCommand, LocalSink, Supervision, TopicService};
use super::backend::Backend;

pub struct LocalPlugin {
    pub name: String,
    /// The library or folder it was found at.
    pub path: PathBuf,
    pub backend: Arc<dyn Backend>,
}

/// The section that configures a local plugin: `[Plugin.NAME]`.
pub fn section_name(plugin: &str) -> String {
    format!("Plugin.{plugin}")
}

/// Section patterns and key names are `&'static str` in the schema; local plugins' names are
/// only known at run time, so each distinct one is leaked once.
pub(crate) fn intern(text: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = match SEEN.get_or_init(Default::default).lock() {
        Ok(seen) => seen,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(known) = seen.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    seen.insert(leaked);
    leaked
}

switchboard_api::config_section! {
    /// One local plugin, by the name it declares (`[Plugin.hello]`). A plugin is loaded unless
    /// its section says `enabled = false`; a disabled plugin is not started and its other keys
    /// are not checked. Besides `call_timeout`, the section takes the keys the plugin declares
    /// (`config_keys`), which it reads as text, such as `greeting = Howdy`; any other key is
    /// unknown. A plugin with HTTP routes also takes the listener and limit keys of the HTTP
    /// sinks (from `bind` on): its routes are served, through the same intake as the built-in
    /// sinks, only when `port` is set, and bodies may be larger by default (1 MiB).
    #[section("Plugin.*", plugin, instance = "hello", example_commented)]
    pub struct LocalPluginSection {
        /// How long one call into this plugin may take; an exec plugin that takes longer is
        /// restarted.
        #[key(default_doc = "`[Plugins] call_timeout`", example = "5s")]
        pub call_timeout: Option<Duration>,
    }
}

/// `[Plugin.NAME]` as the reference documents it: its own keys and the route keys.
pub fn reference_section() -> SectionSpec {
    let mut spec = LocalPluginSection::spec().clone();
    spec.keys.extend(route_keys());
    spec
}

/// The listener and limit keys of a built-in sink, for a plugin with HTTP routes: the port is
/// optional (no port, no routes served) and bodies may be larger by default.
fn route_keys() -> Vec<KeySpec> {
    ListenerKeys::keys()
        .into_iter()
        .map(|key| match key.name {
            "port" => key
                .doc("The port its routes listen on; without it the routes are not served (its commands still are).")
                .optional(true)
                .example("8090"),
            "bind" => key.doc("The address its routes listen on. Sinks with the same bind and port share one server."),
            "max_body_size" => key
                .doc("Largest request body in bytes passed to the plugin; larger ones are answered `413`.")
                .default("1048576"),
            _ => key,
        })
        .collect()
}

impl LocalPlugin {
    fn has_routes(&self) -> bool {
        !self.backend.declarations().routes.is_empty()
    }
}

impl Plugin for LocalPlugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        let declarations = self.backend.declarations();
        let mut keys = LocalPluginSection::spec().keys.clone();
        if self.has_routes() {
            keys.extend(route_keys());
        }
        for key in &declarations.config_keys {
            if key != "enabled" && keys.iter().all(|k| k.name != key) {
                keys.push(KeySpec::new(
                    intern(key),
                    ValueKind::Text,
                    "Read by the plugin.",
                ));
            }
        }
        let doc = if declarations.description.is_empty() {
            "A local plugin."
        } else {
            intern(&declarations.description)
        };
        vec![SectionSpec::new(intern(&section_name(&self.name)), doc, keys).plugin()]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let sections = self.config_sections();
        let view = config.view(&section_name(&self.name), &sections[0]);
        let own: LocalPluginSection = view.read()?;
        let timeout = match own.call_timeout {
            Some(timeout) => timeout,
            None => super::call_timeout(config)?,
        };
        let declarations = self.backend.declarations();
        for declaration in &declarations.commands {
            builder.add_command(LocalCommand {
                plugin: self.name.clone(),
                declaration: declaration.clone(),
                backend: self.backend.clone(),
                timeout,
            });
        }
        if self.has_routes() && view.get_opt::<u16>("port")?.is_some() {
            builder.add_sink(LocalSink {
                plugin: self.name.clone(),
                listener: ListenerSettings::read(&view, config)?,
                routes: declarations.routes.clone(),
                backend: self.backend.clone(),
                timeout,
            });
        }
        if self.backend.kind() == "exec" {
            builder.add_service(Supervision {
                name: format!("{}.process", self.name),
                backend: self.backend.clone(),
            });
        }
        if !declarations.topics.is_empty() {
            builder.add_service(TopicService {
                name: format!("{}.topics", self.name),
                plugin: self.name.clone(),
                topics: declarations.topics.clone(),
                backend: self.backend.clone(),
                timeout,
                task: Mutex::new(None),
            });
        }
        Ok(())
    }
}
