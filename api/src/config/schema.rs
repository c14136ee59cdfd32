//! What sections and keys exist, their types and defaults: the one source that validation,
//! typed access and the reference docs read. Sections are usually declared with
//! [`config_section!`](crate::config_section), which builds these from a struct.

pub use super::kind::ValueKind;
use super::value::ValueError;

/// Reads a raw value as the key's type and drops it: how validation checks a typed key.
pub type ValueCheck = fn(&str) -> Result<(), ValueError>;

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// The key, as written in the file.
    pub name: &'static str,
    /// Its type.
    pub kind: ValueKind,
    /// The value used when the key is absent, as it would be written in the file.
    pub default: Option<&'static str>,
    /// An environment variable whose value, when set, wins over the file (for secrets).
    pub env: Option<&'static str>,
    /// What the key does, as Markdown; the doc comment of its field.
    pub doc: &'static str,
    /// Whether the key may be left out with no default (read as `None`); a key that is not
    /// optional and has no default is required.
    pub optional: bool,
    /// What the key defaults to, in words, when that is not one value (`[Plugins] call_timeout`).
    pub default_doc: Option<&'static str>,
    /// A value shown in `config.ini.example` for a key without a default.
    pub example: Option<&'static str>,
    /// Whether `config.ini.example` sets the example value of an optional key without a default
    /// (instead of showing it commented out), for a section that works as shipped once enabled.
    pub example_set: bool,
    /// For a key declared with a type, the type's own reading, so that validation reports
    /// exactly what reading the key would (a port over 65535, a time zone that is no IANA
    /// name). Without it, `kind` checks the value.
    pub typed_check: Option<ValueCheck>,
}

impl KeySpec {
    /// An optional key without default, environment variable or example.
    pub const fn new(name: &'static str, kind: ValueKind, doc: &'static str) -> Self {
        KeySpec {
            name,
            kind,
            default: None,
            env: None,
            doc,
            optional: true,
            default_doc: None,
            example: None,
            example_set: false,
            typed_check: None,
        }
    }

    /// The value used when the key is absent, as it would be written.
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    /// An environment variable that wins over the files.
    pub const fn env(mut self, var: &'static str) -> Self {
        self.env = Some(var);
        self
    }

    /// Whether the key may be left out without a default.
    pub const fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// The default in words, for the reference, when no value says it.
    pub const fn default_doc(mut self, words: &'static str) -> Self {
        self.default_doc = Some(words);
        self
    }

    /// The value `config.ini.example` shows.
    pub const fn example(mut self, value: &'static str) -> Self {
        self.example = Some(value);
        self
    }

    /// `config.ini.example` sets the example value rather than showing it commented out.
    pub const fn example_set(mut self, set: bool) -> Self {
        self.example_set = set;
        self
    }

    /// Its one-line documentation.
    pub const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }

    /// Checks a raw value as reading the key would; the error says what was expected.
    pub fn check(&self, raw: &str) -> Result<(), ValueError> {
        match self.typed_check {
            Some(check) => check(raw),
            None => self.kind.check(raw),
        }
    }

    /// Whether a section without this key is an error.
    pub fn is_required(&self) -> bool {
        !self.optional && self.default.is_none()
    }
}

/// How `config.ini.example` shows a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExampleStyle {
    /// Written out, every key at its default.
    #[default]
    Active,
    /// Commented out: the section turns something on merely by existing.
    Commented,
    /// Written out with `enabled = false`, so the example starts nothing (a sink opening a port).
    Disabled,
    /// Only its description: its keys are those of another section shown in full.
    DescriptionOnly,
}

/// A section, or a family of sections: `Connector.console.*` matches `[Connector.console.main]`,
/// where `*` stands for exactly one dot-free name.
#[derive(Debug, Clone)]
pub struct SectionSpec {
    /// The section's name, or a family's pattern such as `Connector.console.*`.
    pub pattern: &'static str,
    /// What the section is for, as Markdown; the doc comment of its struct.
    pub doc: &'static str,
    /// Its keys.
    pub keys: Vec<KeySpec>,
    /// For a family, the name `config.ini.example` uses (`main` in `[Connector.console.main]`).
    pub instance: Option<&'static str>,
    /// How `config.ini.example` shows it.
    pub example_style: ExampleStyle,
}

/// `enabled`, which every plugin section accepts.
pub const ENABLED: KeySpec = KeySpec::new(
    "enabled",
    ValueKind::Bool,
    "Set to false to turn this off without deleting the section.",
)
.default("true");

impl SectionSpec {
    /// A section with these keys.
    pub fn new(pattern: &'static str, doc: &'static str, keys: Vec<KeySpec>) -> Self {
        SectionSpec {
            pattern,
            doc,
            keys,
            instance: None,
            example_style: ExampleStyle::Active,
        }
    }

    /// Makes this a plugin section: one that accepts `enabled` (first), and is on unless it
    /// says `enabled = false`.
    pub fn plugin(mut self) -> Self {
        if self.key(ENABLED.name).is_none() {
            self.keys.insert(0, ENABLED);
        }
        self
    }

    /// The name `config.ini.example` gives one section of this family.
    pub fn instance(mut self, name: &'static str) -> Self {
        self.instance = Some(name);
        self
    }

    /// Other defaults than a group's own for some of its keys, as `(key, value)`: the
    /// check-in receiver's listener keys default to port 9999 and a 4096-byte body, as the
    /// original's.
    ///
    /// # Panics
    ///
    /// When a key is not one of the section's: a mistake in the declaration, which the first
    /// test that reads the section shows.
    pub fn defaults(mut self, defaults: &[(&'static str, &'static str)]) -> Self {
        for (name, value) in defaults {
            let key = self.keys.iter_mut().find(|k| k.name == *name);
            let key = key.unwrap_or_else(|| panic!("{}: no key `{name}` to default", self.pattern));
            key.default = Some(value);
            key.example = None;
        }
        self
    }

    /// `config.ini.example` shows the section commented out.
    pub fn example_commented(mut self) -> Self {
        self.example_style = ExampleStyle::Commented;
        self
    }

    /// `config.ini.example` shows the section with `enabled = false`.
    pub fn example_disabled(mut self) -> Self {
        self.example_style = ExampleStyle::Disabled;
        self
    }

    /// `config.ini.example` shows only the section's description.
    pub fn example_description_only(mut self) -> Self {
        self.example_style = ExampleStyle::DescriptionOnly;
        self
    }

    /// Whether `section` is this section, or one of this family.
    pub fn matches(&self, section: &str) -> bool {
        match self.pattern.strip_suffix(".*") {
            Some(prefix) => section
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|name| !name.is_empty() && !name.contains('.')),
            None => self.pattern == section,
        }
    }

    /// The key named `name`.
    pub fn key(&self, name: &str) -> Option<&KeySpec> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The section as the docs write it: `[Connector.console.NAME]` for `Connector.console.*`.
    pub fn title(&self) -> String {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => format!("[{prefix}NAME]"),
            None => format!("[{}]", self.pattern),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_name_segment() {
        let spec = SectionSpec::new("Connector.console.*", "", vec![]);
        assert!(spec.matches("Connector.console.main"));
        assert!(!spec.matches("Connector.console"));
        assert!(!spec.matches("Connector.console."));
        assert!(!spec.matches("Connector.console.a.b"));
        assert!(!spec.matches("Connector.irc.main"));
        assert!(SectionSpec::new("Bot", "", vec![]).matches("Bot"));
    }

    #[test]
    fn a_plugin_section_accepts_enabled_once_and_first() {
        let spec = SectionSpec::new("Notes", "", vec![KeySpec::new("a", ValueKind::Text, "")])
            .plugin()
            .plugin();
        let names: Vec<&str> = spec.keys.iter().map(|k| k.name).collect();
        assert_eq!(names, ["enabled", "a"]);
        assert_eq!(spec.title(), "[Notes]");
        assert_eq!(
            SectionSpec::new("Command.*", "", vec![]).title(),
            "[Command.NAME]"
        );
    }
}
