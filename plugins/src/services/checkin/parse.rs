//! Which messages are check-ins, and what is recorded for each.

use chrono::{DateTime, Datelike, Utc};
use sha2::{Digest, Sha256};
use switchboard_api::{Conversation, Message};

use super::config::CheckinSettings;

/// One check-in, as it is submitted to the API (plus the day it counts for).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkin {
    pub packet_hash: String,
    pub username: String,
    pub message: String,
    pub channel: String,
    /// ISO 8601 receive time in the bot's zone, e.g. `2025-03-03T14:30:00-07:00`.
    pub timestamp: String,
    pub source_bot: String,
    /// `YYYY-MM-DD` in the bot's zone.
    pub day: String,
}

/// The original's `SENDER: message` split: text with a colon, not at the start, and a
/// non-blank part before it.
pub fn split_sender(text: &str) -> Option<(&str, &str)> {
    if text.starts_with(':') {
        return None;
    }
    let (sender, rest) = text.split_once(':')?;
    let sender = sender.trim();
    (!sender.is_empty()).then(|| (sender, rest.trim()))
}

/// The check-in `message` stands for, or `None` when it does not count.
pub fn accept(settings: &CheckinSettings, message: &Message) -> Option<Checkin> {
    let Conversation::Channel(channel) = &message.conversation else {
        return None;
    };
    if !channel.eq_ignore_ascii_case(&settings.channel) {
        return None;
    }
    let received: DateTime<Utc> = message.received_at.into();
    let local = settings.timezone.at(received);
    if !settings.days.includes(local.weekday()) {
        tracing::debug!(
            channel = %channel,
            weekday = %local.weekday(),
            "a message on the check-in channel on a day that is not a check-in day: not collected"
        );
        return None;
    }
    // Mesh text carries `SENDER: message`; connectors that know the sender (the console,
    // IRC) deliver the text alone.
    let (username, text) =
        split_sender(&message.text).unwrap_or((message.sender.as_str(), message.text.trim()));
    let counts = settings.any_message_counts
        || settings.require_phrase.is_empty()
        || text
            .to_lowercase()
            .contains(&settings.require_phrase.to_lowercase());
    // An empty message never counts: the API refuses a check-in without one (`missing
    // fields: message`), so it could only ever fail.
    if !counts || username.is_empty() || text.is_empty() {
        return None;
    }
    let day = local.date_naive().format("%Y-%m-%d").to_string();
    let packet_hash = match &message.message_id {
        Some(id) if !id.trim().is_empty() => id.trim().to_string(),
        _ => fallback_hash(&settings.channel, username, text, &day),
    };
    Some(Checkin {
        packet_hash,
        username: username.to_string(),
        message: text.to_string(),
        channel: settings.channel.clone(),
        timestamp: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        source_bot: settings.source_bot.clone(),
        day,
    })
}

/// The packet hash for a message without a transport id: the first 16 hex digits (upper
/// case) of SHA-256 over `channel`, `username`, `message` and the day, joined by newlines.
/// Every bot hearing the same check-in on the same day computes the same value.
pub fn fallback_hash(channel: &str, username: &str, message: &str, day: &str) -> String {
    let digest = Sha256::digest(format!("{channel}\n{username}\n{message}\n{day}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use chrono::{NaiveTime, TimeZone};
    use switchboard_api::timezone::BotTimezone;

    use super::super::config::CheckinDays;
    use super::*;

    fn settings() -> CheckinSettings {
        CheckinSettings {
            channel: "#meshmonday".into(),
            days: CheckinDays::On(vec![chrono::Weekday::Mon]),
            any_message_counts: false,
            require_phrase: "check in".into(),
            flush_time: NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
            api: None,
            source_bot: "bot1".into(),
            timezone: BotTimezone::parse("America/Denver").unwrap(),
        }
    }

    /// Monday 2025-03-03 14:30 in Denver.
    fn monday() -> SystemTime {
        Utc.with_ymd_and_hms(2025, 3, 3, 21, 30, 0).unwrap().into()
    }

    fn on(channel: &str, text: &str, at: SystemTime) -> Message {
        let mut m = Message::new("mesh", Conversation::Channel(channel.into()), "radio", text);
        m.received_at = at;
        m
    }

    #[test]
    fn sender_and_message_are_split_as_the_original_does() {
        let c = accept(&settings(), &on("#meshmonday", "HOWL: check in", monday())).unwrap();
        assert_eq!(
            (c.username.as_str(), c.message.as_str()),
            ("HOWL", "check in")
        );
        assert_eq!(c.timestamp, "2025-03-03T14:30:00-07:00");
        assert_eq!(c.day, "2025-03-03");
        assert_eq!(c.source_bot, "bot1");
        assert_eq!(split_sender(":x"), None);
        assert_eq!(split_sender("  : x"), None);
    }

    /// Found by the `checkin_body` fuzz target: with `require_phrase` empty (or
    /// `any_message_counts`), an empty message or `HOWL:` was taken as a check-in with an empty
    /// `message`, which the receiver refuses (`missing fields: ["message"]`), so it was stored
    /// only to fail at the flush.
    #[test]
    fn a_message_with_nothing_in_it_is_no_check_in_even_when_any_message_counts() {
        let every = CheckinSettings {
            require_phrase: String::new(),
            ..settings()
        };
        let any = CheckinSettings {
            any_message_counts: true,
            ..settings()
        };
        for s in [&every, &any] {
            for text in ["", "   ", "HOWL:", "HOWL:   "] {
                assert_eq!(
                    accept(s, &on("#meshmonday", text, monday())),
                    None,
                    "{text:?}"
                );
            }
            let c = accept(s, &on("#meshmonday", "HOWL: here", monday())).unwrap();
            assert_eq!((c.username.as_str(), c.message.as_str()), ("HOWL", "here"));
        }
    }

    #[test]
    fn other_channels_days_and_phrases_do_not_count() {
        let s = settings();
        assert!(accept(&s, &on("#general", "HOWL: check in", monday())).is_none());
        assert!(accept(&s, &on("#meshmonday", "HOWL: hello world", monday())).is_none());
        let tuesday: SystemTime = Utc.with_ymd_and_hms(2025, 3, 4, 21, 0, 0).unwrap().into();
        assert!(accept(&s, &on("#meshmonday", "HOWL: check in", tuesday)).is_none());
        let daily = CheckinSettings {
            days: CheckinDays::Daily,
            ..s.clone()
        };
        assert!(accept(&daily, &on("#meshmonday", "HOWL: check in", tuesday)).is_some());
        let any = CheckinSettings {
            any_message_counts: true,
            require_phrase: String::new(),
            ..s
        };
        assert!(accept(&any, &on("#meshmonday", "HOWL: hello world", monday())).is_some());
    }

    #[test]
    fn the_phrase_is_case_insensitive_and_may_be_anywhere() {
        assert!(accept(
            &settings(),
            &on("#meshmonday", "HOWL: Hi, CHECK IN from Denver", monday())
        )
        .is_some());
    }

    #[test]
    fn a_transport_id_is_the_packet_hash_else_the_fallback_is_the_same_for_every_bot() {
        let mut m = on("#meshmonday", "HOWL: check in", monday());
        let fallback = accept(&settings(), &m).unwrap().packet_hash;
        assert_eq!(fallback.len(), 16);
        assert!(fallback
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        let other_bot = CheckinSettings {
            source_bot: "bot2".into(),
            ..settings()
        };
        let mut later = m.clone();
        later.received_at = monday() + std::time::Duration::from_secs(3);
        assert_eq!(accept(&other_bot, &later).unwrap().packet_hash, fallback);
        m.message_id = Some("A1B2C3D4E5F67890".into());
        assert_eq!(
            accept(&settings(), &m).unwrap().packet_hash,
            "A1B2C3D4E5F67890"
        );
    }

    #[test]
    fn a_console_message_without_a_colon_uses_the_connectors_sender() {
        let mut m = on("#meshmonday", "check in", monday());
        m.sender = "HOWL".into();
        assert_eq!(accept(&settings(), &m).unwrap().username, "HOWL");
    }
}
