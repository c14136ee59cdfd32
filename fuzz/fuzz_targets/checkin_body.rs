//! Check-ins: the receiver's validation of a POSTed body (`parse_checkin`), and the collector's
//! reading of a chat message as a check-in (`split_sender`, `accept`), whose result the bot
//! submits to that receiver.
//!
//! Invariants: a body taken has its five required fields non-empty and an ISO 8601 timestamp,
//! and the record written back as JSON is taken again unchanged; a chat message the collector
//! takes as a check-in becomes a body the receiver takes, with the same fields.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use switchboard_api::timezone::BotTimezone;
use switchboard_api::{Conversation, Message};
use switchboard_plugins::services::checkin::config::{CheckinDays, CheckinSettings};
use switchboard_plugins::services::checkin::parse::{accept, split_sender};
use switchboard_plugins::sinks::checkin_receiver::{parse_checkin, CheckinRecord};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = parse_checkin(data) {
        for field in [
            &record.packet_hash,
            &record.username,
            &record.message,
            &record.channel,
            &record.timestamp,
        ] {
            assert!(!field.is_empty(), "an empty required field taken");
        }
        let again = parse_checkin(&body(&record)).expect("a record written back is taken");
        assert_eq!(again, record);
    }

    let text = String::from_utf8_lossy(data);
    if let Some((sender, rest)) = split_sender(&text) {
        assert!(
            !sender.is_empty() && sender.trim() == sender,
            "sender {sender:?}"
        );
        assert_eq!(rest.trim(), rest);
    }
    for (any_message_counts, require_phrase, message_id) in [
        (false, "check in", None),
        (true, "check in", None),
        (false, "", Some(text.to_string())),
    ] {
        let settings = CheckinSettings {
            channel: "#meshmonday".into(),
            days: CheckinDays::Daily,
            any_message_counts,
            require_phrase: require_phrase.into(),
            flush_time: chrono::NaiveTime::MIN,
            api: None,
            source_bot: "fuzz-bot".into(),
            timezone: BotTimezone::parse("America/Denver").expect("a zone"),
        };
        let mut message = Message::new(
            "mesh",
            Conversation::Channel("#MeshMonday".into()),
            "radio",
            text.as_ref(),
        );
        // Monday 2025-03-03 14:30 in Denver.
        message.received_at = UNIX_EPOCH + Duration::from_secs(1_741_037_400);
        message.message_id = message_id;
        let Some(checkin) = accept(&settings, &message) else {
            continue;
        };
        let json = serde_json::to_vec(&checkin).expect("a check-in as JSON");
        let record = match parse_checkin(&json) {
            Ok(record) => record,
            Err(e) => panic!("the receiver refuses what the collector took ({e}): {checkin:?}"),
        };
        assert_eq!(
            (&record.packet_hash, &record.username, &record.message),
            (&checkin.packet_hash, &checkin.username, &checkin.message)
        );
        assert_eq!(
            (&record.channel, &record.timestamp, &record.source_bot),
            (&checkin.channel, &checkin.timestamp, &checkin.source_bot)
        );
    }
});

fn body(record: &CheckinRecord) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "packet_hash": record.packet_hash,
        "username": record.username,
        "message": record.message,
        "channel": record.channel,
        "timestamp": record.timestamp,
        "source_bot": record.source_bot,
    }))
    .expect("JSON")
}
