//! The types a config value can have, as validation checks them and the reference names them.

use std::time::Duration;

use super::value::{FromConfigValue, ValueError};

/// The type of a key's value, checked by `check-config` before anything starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Anything, to the end of the line.
    Text,
    /// `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`.
    Bool,
    /// A whole number without sign or unit.
    Integer,
    /// A decimal number.
    Number,
    /// Seconds, or a number with a unit (`500ms`, `5m`).
    Duration,
    /// Comma-separated items.
    List,
    /// One of a fixed set of words, compared case-insensitively.
    Choice(&'static [&'static str]),
}

impl ValueKind {
    /// Checks a raw value; the error says what was expected.
    pub fn check(self, raw: &str) -> Result<(), ValueError> {
        match self {
            ValueKind::Text | ValueKind::List => Ok(()),
            ValueKind::Bool => bool::from_config_value(raw).map(drop),
            ValueKind::Integer => u64::from_config_value(raw).map(drop),
            ValueKind::Number => f64::from_config_value(raw).map(drop),
            ValueKind::Duration => Duration::from_config_value(raw).map(drop),
            ValueKind::Choice(words) => {
                if words.iter().any(|w| w.eq_ignore_ascii_case(raw)) {
                    Ok(())
                } else {
                    Err(ValueError::expected(
                        format!("one of {}", words.join(", ")),
                        raw,
                    ))
                }
            }
        }
    }

    /// The type as the reference names it (see "Value types" in `docs/configuration.md`).
    pub fn describe(self) -> String {
        match self {
            ValueKind::Text => "text".into(),
            ValueKind::Bool => "boolean".into(),
            ValueKind::Integer => "whole number".into(),
            ValueKind::Number => "number".into(),
            ValueKind::Duration => "duration".into(),
            ValueKind::List => "list".into(),
            ValueKind::Choice(words) => {
                let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                format!("one of {}", words.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_case_insensitive_and_name_the_options() {
        let kind = ValueKind::Choice(&["text", "json"]);
        assert!(kind.check("JSON").is_ok());
        assert_eq!(
            kind.check("xml").unwrap_err().to_string(),
            "expected one of text, json, found `xml`"
        );
    }
}
