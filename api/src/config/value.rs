//! Typed values read out of config strings.

use std::time::Duration;

use super::ValueKind;

/// Why a raw config value could not be read. It says what was expected, not where: the caller
/// adds the file, line and key (see [`ConfigError`](super::ConfigError)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value does not have the form of its type: `expected true or false, found `maybe``.
    #[error("expected {expected}, found `{found}`")]
    Expected {
        /// What the value should look like, e.g. `a whole number in 0..=65535`.
        expected: String,
        /// The value as written.
        found: String,
    },
    /// The value has the right form but cannot be used, for the reason given.
    #[error("{0}")]
    Invalid(String),
}

impl ValueError {
    /// `expected {expected}, found `{found}``.
    pub fn expected(expected: impl Into<String>, found: &str) -> Self {
        ValueError::Expected {
            expected: expected.into(),
            found: found.to_string(),
        }
    }
}

/// A type a config value can be read as.
pub trait FromConfigValue: Sized {
    /// What `check-config` checks a raw value against, and the type the reference names.
    const KIND: ValueKind;
    /// Reads one raw value, as written in the file or the environment.
    fn from_config_value(raw: &str) -> Result<Self, ValueError>;
}

impl FromConfigValue for String {
    const KIND: ValueKind = ValueKind::Text;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        Ok(raw.to_string())
    }
}

impl FromConfigValue for bool {
    const KIND: ValueKind = ValueKind::Bool;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(ValueError::expected("true or false", raw)),
        }
    }
}

macro_rules! integer_value {
    ($($ty:ty),*) => {$(
        impl FromConfigValue for $ty {
            const KIND: ValueKind = ValueKind::Integer;
            fn from_config_value(raw: &str) -> Result<Self, ValueError> {
                raw.parse().map_err(|_| ValueError::expected(
                    format!("a whole number in {}..={}", <$ty>::MIN, <$ty>::MAX),
                    raw,
                ))
            }
        }
    )*};
}
integer_value!(u16, u32, u64, usize);

impl FromConfigValue for f64 {
    const KIND: ValueKind = ValueKind::Number;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(ValueError::expected("a number", raw)),
        }
    }
}

impl FromConfigValue for Duration {
    const KIND: ValueKind = ValueKind::Duration;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        if let Ok(seconds) = raw.parse::<f64>() {
            if seconds.is_finite() && seconds >= 0.0 {
                return Ok(Duration::from_secs_f64(seconds));
            }
        }
        humantime::parse_duration(raw).map_err(|_| {
            ValueError::expected(
                "a duration such as 30s, 500ms, 5m or a plain number of seconds",
                raw,
            )
        })
    }
}

/// A comma-separated list; blanks around items and empty items are dropped.
impl FromConfigValue for Vec<String> {
    const KIND: ValueKind = ValueKind::List;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        Ok(raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_in_the_spellings_operators_use() {
        for yes in ["true", "Yes", "ON", "1"] {
            assert!(bool::from_config_value(yes).unwrap());
        }
        assert!(!bool::from_config_value("off").unwrap());
        assert_eq!(
            bool::from_config_value("maybe").unwrap_err().to_string(),
            "expected true or false, found `maybe`"
        );
    }

    #[test]
    fn durations_with_units_or_plain_seconds() {
        assert_eq!(
            Duration::from_config_value("30").unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            Duration::from_config_value("1.5").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            Duration::from_config_value("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            Duration::from_config_value("2m").unwrap(),
            Duration::from_secs(120)
        );
        assert!(Duration::from_config_value("soon").is_err());
        assert!(Duration::from_config_value("-3").is_err());
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(u16::from_config_value("8080").unwrap(), 8080);
        assert!(u16::from_config_value("70000")
            .unwrap_err()
            .to_string()
            .contains("0..=65535"));
    }

    #[test]
    fn lists_drop_blanks() {
        assert_eq!(
            Vec::<String>::from_config_value(" a, b ,,c ").unwrap(),
            vec!["a", "b", "c"]
        );
    }
}
