//! Typed values read out of config strings.

use std::time::Duration;

/// A type a config value can be read as. The error says what was expected, not where: the
/// caller adds the file, line and key.
pub trait FromConfigValue: Sized {
    /// What the value should look like, for error messages and the reference docs.
    const EXPECTED: &'static str;
    fn from_config_value(raw: &str) -> Result<Self, String>;
}

impl FromConfigValue for String {
    const EXPECTED: &'static str = "text";
    fn from_config_value(raw: &str) -> Result<Self, String> {
        Ok(raw.to_string())
    }
}

impl FromConfigValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn from_config_value(raw: &str) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(format!("expected {}, found `{raw}`", Self::EXPECTED)),
        }
    }
}

macro_rules! integer_value {
    ($($ty:ty),*) => {$(
        impl FromConfigValue for $ty {
            const EXPECTED: &'static str = "a whole number";
            fn from_config_value(raw: &str) -> Result<Self, String> {
                raw.parse().map_err(|_| format!("expected {} in {}..={}, found `{raw}`",
                    Self::EXPECTED, <$ty>::MIN, <$ty>::MAX))
            }
        }
    )*};
}
integer_value!(u16, u32, u64, usize);

impl FromConfigValue for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_config_value(raw: &str) -> Result<Self, String> {
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(format!("expected {}, found `{raw}`", Self::EXPECTED)),
        }
    }
}

impl FromConfigValue for Duration {
    const EXPECTED: &'static str = "a duration such as 30s, 500ms, 5m or a plain number of seconds";
    fn from_config_value(raw: &str) -> Result<Self, String> {
        if let Ok(seconds) = raw.parse::<f64>() {
            if seconds.is_finite() && seconds >= 0.0 {
                return Ok(Duration::from_secs_f64(seconds));
            }
        }
        humantime::parse_duration(raw)
            .map_err(|_| format!("expected {}, found `{raw}`", Self::EXPECTED))
    }
}

/// A comma-separated list; blanks around items and empty items are dropped.
impl FromConfigValue for Vec<String> {
    const EXPECTED: &'static str = "a comma-separated list";
    fn from_config_value(raw: &str) -> Result<Self, String> {
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
            bool::from_config_value("maybe").unwrap_err(),
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
