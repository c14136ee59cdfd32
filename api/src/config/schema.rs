//! What sections and keys exist, their types and defaults: the one source that validation,
//! typed access and the reference docs read.

/// The type of a key's value, checked by `check-config` before anything starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Bool,
    Integer,
    Number,
    Duration,
    List,
    /// One of a fixed set of words, compared case-insensitively.
    Choice(&'static [&'static str]),
}

impl ValueKind {
    /// Checks a raw value; the error says what was expected.
    pub fn check(self, raw: &str) -> Result<(), String> {
        use super::value::FromConfigValue;
        match self {
            ValueKind::Text | ValueKind::List => Ok(()),
            ValueKind::Bool => bool::from_config_value(raw).map(drop),
            ValueKind::Integer => u64::from_config_value(raw).map(drop),
            ValueKind::Number => f64::from_config_value(raw).map(drop),
            ValueKind::Duration => std::time::Duration::from_config_value(raw).map(drop),
            ValueKind::Choice(words) => {
                if words.iter().any(|w| w.eq_ignore_ascii_case(raw)) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected one of {}, found `{raw}`",
                        words.join(", ")
                    ))
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub name: &'static str,
    pub kind: ValueKind,
    /// The value used when the key is absent, as it would be written in the file.
    pub default: Option<&'static str>,
    /// An environment variable whose value, when set, wins over the file (for secrets).
    pub env: Option<&'static str>,
    pub doc: &'static str,
}

impl KeySpec {
    pub const fn new(name: &'static str, kind: ValueKind, doc: &'static str) -> Self {
        KeySpec {
            name,
            kind,
            default: None,
            env: None,
            doc,
        }
    }

    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    pub const fn env(mut self, var: &'static str) -> Self {
        self.env = Some(var);
        self
    }
}

/// A section, or a family of sections: `Connector.console.*` matches `[Connector.console.main]`,
/// where `*` stands for exactly one dot-free name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSpec {
    pub pattern: &'static str,
    pub doc: &'static str,
    pub keys: Vec<KeySpec>,
}

/// `enabled`, which every plugin section accepts.
pub const ENABLED: KeySpec = KeySpec::new(
    "enabled",
    ValueKind::Bool,
    "Set to false to turn this off without deleting the section.",
)
.default("true");

impl SectionSpec {
    pub fn new(pattern: &'static str, doc: &'static str, keys: Vec<KeySpec>) -> Self {
        SectionSpec { pattern, doc, keys }
    }

    /// A plugin section: `enabled` plus the given keys.
    pub fn plugin(pattern: &'static str, doc: &'static str, mut keys: Vec<KeySpec>) -> Self {
        keys.insert(0, ENABLED);
        SectionSpec { pattern, doc, keys }
    }

    pub fn matches(&self, section: &str) -> bool {
        match self.pattern.strip_suffix(".*") {
            Some(prefix) => section
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|name| !name.is_empty() && !name.contains('.')),
            None => self.pattern == section,
        }
    }

    pub fn key(&self, name: &str) -> Option<&KeySpec> {
        self.keys.iter().find(|k| k.name == name)
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
    fn choices_are_case_insensitive_and_name_the_options() {
        let kind = ValueKind::Choice(&["text", "json"]);
        assert!(kind.check("JSON").is_ok());
        assert_eq!(
            kind.check("xml").unwrap_err(),
            "expected one of text, json, found `xml`"
        );
    }
}
