//! `[CheckIn]`: the keys of the original check-in service, read and checked.

use chrono::{NaiveTime, Weekday};
use switchboard_api::config::core as specs;
use switchboard_api::config::{Config, ConfigError, ConfigSection, Origin};
use switchboard_api::timezone::BotTimezone;

pub const SECTION: &str = "CheckIn";

switchboard_api::config_section! {
    /// The check-in collector: gathers `check in` messages on a channel, writes each to the
    /// store at once, and submits them daily to the check-in API. Off unless the section
    /// exists.
    #[section("CheckIn", plugin, example_commented)]
    pub struct CheckinSection {
        /// The channel check-ins are collected from.
        #[key(default = "#meshmonday")]
        pub channel: String,
        /// The days check-ins count: `daily`, or weekday names such as `monday`
        /// (comma-separated).
        #[key(default = "monday")]
        pub check_in_days: Vec<String>,
        /// Whether any message on the channel counts, not only those containing
        /// `require_phrase`.
        #[key(default = "false")]
        pub any_message_counts: bool,
        /// A message counts when it contains this (case-insensitive).
        #[key(default = "check in")]
        pub require_phrase: String,
        /// When the day's check-ins are submitted, `HH:MM` or `HHMM` in `[Bot] timezone`.
        #[key(default = "23:59")]
        pub flush_time: String,
        /// Where check-ins are POSTed (e.g. `https://example.com/checkins`); empty keeps them in
        /// the store only.
        #[key(example = "https://example.com/checkins")]
        pub api_url: Option<String>,
        /// The bearer key for `api_url`; required when `api_url` is set.
        #[key(env = "CHECKIN_API_KEY", example = "YOUR_API_KEY")]
        pub api_key: Option<String>,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckinDays {
    Daily,
    On(Vec<Weekday>),
}

impl CheckinDays {
    pub fn includes(&self, day: Weekday) -> bool {
        match self {
            CheckinDays::Daily => true,
            CheckinDays::On(days) => days.contains(&day),
        }
    }

    /// The first check-in day after `date`.
    pub fn next_after(&self, date: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        date.iter_days()
            .skip(1)
            .take(7)
            .find(|d| self.includes(chrono::Datelike::weekday(d)))
    }
}

/// The API key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(pub(super) String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(redacted)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    pub url: reqwest::Url,
    pub key: ApiKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckinSettings {
    pub channel: String,
    pub days: CheckinDays,
    pub any_message_counts: bool,
    pub require_phrase: String,
    pub flush_time: NaiveTime,
    pub api: Option<ApiSettings>,
    /// `[Bot] name`, sent as `source_bot`.
    pub source_bot: String,
    pub timezone: BotTimezone,
}

/// The settings, or `None` when `[CheckIn]` is absent or `enabled = false`.
pub fn read(config: &Config) -> Result<Option<CheckinSettings>, ConfigError> {
    let view = config.view(SECTION, CheckinSection::spec());
    if !view.exists() || !view.enabled() {
        return Ok(None);
    }
    let section: CheckinSection = view.read()?;
    let origin = |key: &str| view.raw(key).map_or(Origin::Default, |(_, o)| o);
    let bad = |key: &str, message: String| {
        ConfigError::at(origin(key), message)
            .in_section(SECTION)
            .for_key(key)
    };
    let days = parse_days(&section.check_in_days).map_err(|m| bad("check_in_days", m))?;
    let flush_time = parse_flush_time(&section.flush_time).map_err(|m| bad("flush_time", m))?;
    let url = section.api_url.unwrap_or_default();
    let key = section.api_key.unwrap_or_default();
    let api = if url.trim().is_empty() {
        None
    } else {
        let parsed = reqwest::Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                bad(
                    "api_url",
                    format!("`{url}` is not an http:// or https:// URL"),
                )
            })?;
        if key.trim().is_empty() {
            // Not written at all: the line to look at is the `api_url` that needs it.
            let at = match origin("api_key") {
                Origin::Default => origin("api_url"),
                written => written,
            };
            return Err(ConfigError::at(
                at,
                "`api_url` is set, so an API key is required: set `api_key` or CHECKIN_API_KEY",
            )
            .in_section(SECTION)
            .for_key("api_key"));
        }
        Some(ApiSettings {
            url: parsed,
            key: ApiKey(key.trim().to_string()),
        })
    };
    Ok(Some(CheckinSettings {
        channel: section.channel,
        days,
        any_message_counts: section.any_message_counts,
        require_phrase: section.require_phrase,
        flush_time,
        api,
        source_bot: specs::bot_name(config),
        timezone: specs::bot_timezone(config)?,
    }))
}

fn parse_days(days: &[String]) -> Result<CheckinDays, String> {
    if days.iter().any(|d| d.trim().eq_ignore_ascii_case("daily")) {
        return Ok(CheckinDays::Daily);
    }
    let parsed: Result<Vec<Weekday>, String> = days
        .iter()
        .map(|d| {
            d.trim()
                .parse::<Weekday>()
                .map_err(|_| format!("`{d}` is not a weekday name (monday ... sunday) or `daily`"))
        })
        .collect();
    match parsed? {
        days if days.is_empty() => Err("name at least one day, or `daily`".into()),
        days => Ok(CheckinDays::On(days)),
    }
}

/// `HH:MM` or `HHMM`, 24-hour.
pub fn parse_flush_time(raw: &str) -> Result<NaiveTime, String> {
    let raw = raw.trim();
    let compact = raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit());
    NaiveTime::parse_from_str(raw, "%H:%M")
        .ok()
        .or_else(|| {
            compact
                .then(|| NaiveTime::parse_from_str(raw, "%H%M").ok())
                .flatten()
        })
        .ok_or_else(|| format!("`{raw}` is not a time as HH:MM or HHMM (e.g. 23:59)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn config(text: &str) -> Config {
        Config::from_text("/tmp/config.ini", text).unwrap()
    }

    #[test]
    fn absent_or_disabled_section_is_off() {
        assert_eq!(read(&config("")).unwrap(), None);
        assert_eq!(read(&config("[CheckIn]\nenabled = false\n")).unwrap(), None);
    }

    #[test]
    fn defaults_are_the_originals() {
        let s = read(&config("[CheckIn]\n")).unwrap().unwrap();
        assert_eq!(s.channel, "#meshmonday");
        assert_eq!(s.days, CheckinDays::On(vec![Weekday::Mon]));
        assert!(!s.any_message_counts);
        assert_eq!(s.require_phrase, "check in");
        assert_eq!(s.flush_time, NaiveTime::from_hms_opt(23, 59, 0).unwrap());
    }

    #[test]
    fn flush_time_takes_both_forms_and_explains_bad_ones() {
        assert_eq!(parse_flush_time("0730"), parse_flush_time("07:30"));
        let err = read(&config("[CheckIn]\nflush_time = 25:00\n")).unwrap_err();
        assert!(err.to_string().contains("config.ini:2"), "{err}");
        assert!(err.to_string().contains("HH:MM"), "{err}");
    }

    #[test]
    fn an_api_url_needs_a_key_and_the_key_never_prints() {
        if std::env::var("CHECKIN_API_KEY").is_ok() {
            return;
        }
        let err = read(&config("[CheckIn]\napi_url = https://x.example/checkins\n")).unwrap_err();
        assert!(err.to_string().contains("CHECKIN_API_KEY"), "{err}");
        // Named at the line of the `api_url` that needs it, not as a built-in default.
        assert!(
            err.to_string()
                .contains("config.ini:2: [CheckIn] api_key: `api_url` is set"),
            "{err}"
        );
        let s = read(&config(
            "[CheckIn]\napi_url = https://x.example/checkins\napi_key = hunter2\n",
        ))
        .unwrap()
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn bad_days_and_timezones_are_errors() {
        assert!(read(&config("[CheckIn]\ncheck_in_days = mondey\n")).is_err());
        let err = read(&config("[Bot]\ntimezone = Mars/Olympus\n[CheckIn]\n")).unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
        let s = read(&config("[CheckIn]\ncheck_in_days = monday, friday\n"))
            .unwrap()
            .unwrap();
        assert_eq!(s.days, CheckinDays::On(vec![Weekday::Mon, Weekday::Fri]));
    }

    #[test]
    fn the_next_check_in_day_is_after_the_given_date() {
        let thursday = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let mondays = CheckinDays::On(vec![Weekday::Mon]);
        assert_eq!(
            mondays.next_after(thursday),
            NaiveDate::from_ymd_opt(2026, 12, 7)
        );
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            mondays.next_after(monday),
            NaiveDate::from_ymd_opt(2026, 12, 14)
        );
        assert_eq!(
            CheckinDays::Daily.next_after(thursday),
            NaiveDate::from_ymd_opt(2026, 12, 4)
        );
        assert_eq!(CheckinDays::On(Vec::new()).next_after(thursday), None);
    }
}
