//! `config.ini`, with `local/config.ini` merged on top and environment variables for secrets.
//!
//! Every section is declared once, as a struct ([`config_section!`](crate::config_section)):
//! its fields are the keys, their doc comments the documentation. From that declaration come
//! the [`SectionSpec`] that [`Config::validate`] checks the files against, typed access
//! ([`Config::read`]), and the reference in `docs/configuration.md` and `config.ini.example`
//! ([`reference`]). Loading only parses.

pub mod core;
mod error;
mod ini;
mod kind;
pub mod reference;
mod schema;
mod section;
mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors, Origin};
pub use schema::{ExampleStyle, KeySpec, SectionSpec, ValueCheck, ValueKind, ENABLED};
pub use section::{ConfigKeys, ConfigPart, ConfigSection};
pub use value::{FromConfigValue, ValueError};

use crate::suggest::did_you_mean;

/// The file name looked for when no `--config` is given.
pub const DEFAULT_FILE: &str = "config.ini";
/// The operator's drop-in folder, relative to the config file, unless `[Plugins] local_dir` says otherwise.
pub const DEFAULT_LOCAL_DIR: &str = "local";

#[derive(Debug, Clone, PartialEq, Eq)]
/// One key's value and where it was set.
pub struct Entry {
    /// The raw value, as written.
    pub value: String,
    /// Where it was set.
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// One `[Section]` as read, keys merged from every file.
pub struct Section {
    /// Its name, e.g. `Connector.console.main`.
    pub name: String,
    /// Where it was first written.
    pub origin: Origin,
    /// Its keys.
    pub entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
/// The config as read: every file merged, environment overrides applied.
pub struct Config {
    base_dir: PathBuf,
    /// The main file (`--config`, or `./config.ini`), when there is one.
    main_file: Option<PathBuf>,
    files: Vec<PathBuf>,
    sections: BTreeMap<String, Section>,
}

impl Config {
    /// The built-in defaults: no sections at all, paths relative to `base_dir`.
    pub fn defaults(base_dir: impl Into<PathBuf>) -> Self {
        Config {
            base_dir: base_dir.into(),
            ..Config::default()
        }
    }

    /// Loads `path`, or `./config.ini` when there is one, or the defaults; then merges
    /// `<local_dir>/config.ini` on top when it exists. A `path` that was named but cannot be
    /// read is an error; so is an unreadable local file.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigErrors> {
        let named = path.map(Path::to_path_buf);
        let path = named.clone().or_else(|| {
            let default = PathBuf::from(DEFAULT_FILE);
            default.exists().then_some(default)
        });
        let mut config = match &path {
            Some(path) => {
                let base_dir = path
                    .parent()
                    .map(Path::to_path_buf)
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from("."));
                let mut config = Config::defaults(base_dir);
                config.merge_file(path)?;
                config.main_file = Some(path.clone());
                config
            }
            None => Config::defaults("."),
        };
        let local = config.local_dir().join(DEFAULT_FILE);
        if local.exists() {
            config.merge_file(&local)?;
        }
        Ok(config)
    }

    /// Parses `text` as if it were the file at `path`; for tests and `check-config` on a string.
    pub fn from_text(path: impl AsRef<Path>, text: &str) -> Result<Config, ConfigErrors> {
        let path = path.as_ref();
        let mut config = Config::defaults(path.parent().unwrap_or(Path::new(".")));
        config.merge_text(path, text)?;
        config.main_file = Some(path.to_path_buf());
        Ok(config)
    }

    /// Reads `path` and merges it on top: its keys win.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), ConfigErrors> {
        let bytes = std::fs::read(path).map_err(|e| {
            ConfigError::at(
                Origin::File {
                    path: path.to_path_buf(),
                    line: 0,
                },
                format!("cannot read the file: {e}"),
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            ConfigError::at(
                Origin::File {
                    path: path.to_path_buf(),
                    line,
                },
                "the file is not valid UTF-8",
            )
        })?;
        self.merge_text(path, &text)
    }

    /// Merges one file's sections on top: a key set here replaces the same key set before.
    pub fn merge_text(&mut self, path: &Path, text: &str) -> Result<(), ConfigErrors> {
        for parsed in ini::parse(path, text)? {
            let at = |line| Origin::File {
                path: path.to_path_buf(),
                line,
            };
            let section = self
                .sections
                .entry(parsed.name.clone())
                .or_insert_with(|| Section {
                    name: parsed.name.clone(),
                    origin: at(parsed.line),
                    entries: BTreeMap::new(),
                });
            for entry in parsed.entries {
                section.entries.insert(
                    entry.key,
                    Entry {
                        value: entry.value,
                        origin: at(entry.line),
                    },
                );
            }
        }
        self.files.push(path.to_path_buf());
        Ok(())
    }

    /// Sets a key as a command-line option would, creating the section if needed.
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        let section = self
            .sections
            .entry(section.to_string())
            .or_insert_with(|| Section {
                name: section.to_string(),
                origin: Origin::CommandLine,
                entries: BTreeMap::new(),
            });
        section.entries.insert(
            key.to_lowercase(),
            Entry {
                value: value.to_string(),
                origin: Origin::CommandLine,
            },
        );
    }

    /// Whether a main config file was read; without one the bot runs on built-in defaults
    /// (plus whatever `local/config.ini` says).
    pub fn has_main_file(&self) -> bool {
        self.main_file.is_some()
    }

    /// The files read, in merge order; empty when running on the built-in defaults.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The folder relative paths in the config are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// `path` relative to the main config file's folder (absolute paths stay).
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        self.base_dir.join(path)
    }

    /// The operator's drop-in folder, `[Plugins] local_dir` resolved against the config's folder.
    pub fn local_dir(&self) -> PathBuf {
        let dir = self
            .sections
            .get(core::PLUGINS)
            .and_then(|s| s.entries.get("local_dir"))
            .map(|e| e.value.as_str())
            .unwrap_or(DEFAULT_LOCAL_DIR);
        self.resolve(dir)
    }

    /// The section named `name`, if written.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }

    /// Every section written.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.values()
    }

    /// Values that look like they end in an inline comment (`greeting = Howdy   ; a greeting`):
    /// the dialect has comments on lines of their own only, so the comment is part of the value.
    /// Warnings, not errors: a value may really contain ` ; ` or ` # `.
    pub fn inline_comment_warnings(&self) -> Vec<ConfigError> {
        let mut warnings = Vec::new();
        for section in self.sections.values() {
            for (key, entry) in &section.entries {
                let Some(at) = inline_comment_at(&entry.value) else {
                    continue;
                };
                let value = entry.value[..at].trim_end();
                warnings.push(
                    ConfigError::at(
                        entry.origin.clone(),
                        format!(
                            "the value looks like it ends in a comment, which becomes part of it \
                             (the value is `{}`); put comments on a line of their own, starting \
                             with `;` or `#`, and write `{key} = {value}`",
                            entry.value
                        ),
                    )
                    .in_section(&section.name)
                    .for_key(key),
                );
            }
        }
        warnings
    }

    /// The names after the pattern's prefix of every section a `Prefix.*` spec matches, sorted.
    pub fn instances<'a>(&'a self, spec: &'a SectionSpec) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = spec.pattern.strip_suffix('*').unwrap_or(spec.pattern);
        self.sections
            .keys()
            .filter(move |name| spec.matches(name))
            .map(move |name| &name[prefix.len()..])
    }

    /// Reads section `name` (one of `S`'s family, for a pattern such as `Command.*`) as `S`:
    /// every key from the environment, the files or its default.
    pub fn read<S: ConfigSection>(&self, name: &str) -> Result<S, ConfigError> {
        self.view(name, S::spec()).read()
    }

    /// A typed view of one section as `spec` declares it, present or not.
    pub fn view<'a>(&'a self, name: &str, spec: &'a SectionSpec) -> SectionView<'a> {
        SectionView {
            name: name.to_string(),
            section: self.sections.get(name),
            spec,
        }
    }

    /// Checks every section and key against the declared specs: unknown sections and keys
    /// (with a suggestion), and values of the wrong type. Returns every problem found.
    pub fn validate(&self, specs: &[SectionSpec]) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        for section in self.sections.values() {
            let Some(spec) = specs.iter().find(|s| s.matches(&section.name)) else {
                let hint = did_you_mean(&section.name, specs.iter().map(|s| s.pattern))
                    .map(|p| format!("; did you mean [{p}]?"))
                    .unwrap_or_else(|| {
                        let known: Vec<&str> = specs.iter().map(|s| s.pattern).collect();
                        format!("; known sections: {}", known.join(", "))
                    });
                errors.push(
                    ConfigError::at(section.origin.clone(), format!("unknown section{hint}"))
                        .in_section(&section.name),
                );
                continue;
            };
            for (key, entry) in &section.entries {
                let Some(key_spec) = spec.key(key) else {
                    let hint = did_you_mean(key, spec.keys.iter().map(|k| k.name))
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    errors.push(
                        ConfigError::at(entry.origin.clone(), format!("unknown key{hint}"))
                            .in_section(&section.name)
                            .for_key(key),
                    );
                    continue;
                };
                if let Err(error) = key_spec.check(&entry.value) {
                    errors.push(
                        ConfigError::at(entry.origin.clone(), error.to_string())
                            .in_section(&section.name)
                            .for_key(key),
                    );
                }
            }
        }
        for spec in specs {
            for key in spec.keys.iter().filter(|k| k.env.is_some()) {
                let var = key.env.unwrap_or_default();
                if let Ok(value) = std::env::var(var) {
                    if let Err(error) = key.check(&value) {
                        errors.push(
                            ConfigError::at(Origin::Env(var.to_string()), error.to_string())
                                .for_key(key.name),
                        );
                    }
                }
            }
        }
        errors
    }
}

/// Where a value's apparent inline comment starts: whitespace, then `;` or `#`, then
/// whitespace or the end.
fn inline_comment_at(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    (1..bytes.len()).find(|&i| {
        matches!(bytes[i], b';' | b'#')
            && bytes[i - 1].is_ascii_whitespace()
            && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace())
    })
}

/// Typed, defaulted access to one section.
#[derive(Debug, Clone)]
pub struct SectionView<'a> {
    name: String,
    section: Option<&'a Section>,
    spec: &'a SectionSpec,
}

impl<'a> SectionView<'a> {
    /// The section's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the section is written in the config at all.
    pub fn exists(&self) -> bool {
        self.section.is_some()
    }

    /// A section turns its plugin off only by saying `enabled = false`.
    pub fn enabled(&self) -> bool {
        self.try_enabled().unwrap_or(true)
    }

    /// Like [`enabled`](Self::enabled), with a bad value an error rather than on.
    pub fn try_enabled(&self) -> Result<bool, ConfigError> {
        self.get(ENABLED.name)
    }

    /// Reads the section's keys as `K`, a struct declared with
    /// [`config_section!`](crate::config_section).
    pub fn read<K: ConfigKeys>(&self) -> Result<K, ConfigError> {
        K::read(self)
    }

    /// The raw value and where it came from: environment (for keys that name a variable),
    /// then the file, then the declared default.
    pub fn raw(&self, key: &str) -> Option<(String, Origin)> {
        let spec = self.spec.key(key)?;
        if let Some(var) = spec.env {
            if let Ok(value) = std::env::var(var) {
                return Some((value, Origin::Env(var.to_string())));
            }
        }
        if let Some(entry) = self.section.and_then(|s| s.entries.get(key)) {
            return Some((entry.value.clone(), entry.origin.clone()));
        }
        spec.default.map(|d| (d.to_string(), Origin::Default))
    }

    /// The value of a declared key, or its declared default. A key with neither is an error,
    /// as is a value that does not parse.
    pub fn get<T: FromConfigValue>(&self, key: &str) -> Result<T, ConfigError> {
        self.get_opt(key)?.ok_or_else(|| {
            ConfigError::at(self.origin(), "this key is required")
                .in_section(&self.name)
                .for_key(key)
        })
    }

    /// Like [`get`](Self::get) but `None` when the key is neither set nor defaulted.
    pub fn get_opt<T: FromConfigValue>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        if self.spec.key(key).is_none() {
            return Err(ConfigError::at(
                Origin::Default,
                format!("key `{key}` is not declared by `{}`", self.spec.pattern),
            )
            .in_section(&self.name));
        }
        let Some((raw, origin)) = self.raw(key) else {
            return Ok(None);
        };
        T::from_config_value(&raw).map(Some).map_err(|error| {
            ConfigError::at(origin, error.to_string())
                .in_section(&self.name)
                .for_key(key)
        })
    }

    fn origin(&self) -> Origin {
        self.section
            .map(|s| s.origin.clone())
            .unwrap_or(Origin::Default)
    }
}

#[cfg(test)]
mod tests;
