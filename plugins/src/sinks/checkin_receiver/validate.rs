//! Turning a request body into a check-in, in the original's order (JSON, object, required
//! fields) plus the type checks it lacked.

use serde_json::{Map, Value};

/// The fields every check-in must have, in the order the original reports them.
pub const REQUIRED: [&str; 5] = ["packet_hash", "username", "message", "channel", "timestamp"];

/// One check-in as the receiver stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRecord {
    pub packet_hash: String,
    pub username: String,
    pub message: String,
    pub channel: String,
    pub timestamp: String,
    /// `""` when the sender left it out, as the original stores it.
    pub source_bot: String,
}

/// Why a body was refused; each becomes a 400 with the original's JSON body where it had one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("invalid json")]
    InvalidJson,
    #[error("body must be a json object")]
    NotAnObject,
    #[error("missing fields: {0:?}")]
    MissingFields(Vec<&'static str>),
    #[error("field {field} {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
}

pub fn parse_checkin(body: &[u8]) -> Result<CheckinRecord, BodyError> {
    if body.is_empty() {
        return Err(BodyError::InvalidJson);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| BodyError::InvalidJson)?;
    let Value::Object(mut object) = value else {
        return Err(BodyError::NotAnObject);
    };
    let missing: Vec<&'static str> = REQUIRED
        .into_iter()
        .filter(|field| object.get(*field).is_none_or(is_falsy))
        .collect();
    if !missing.is_empty() {
        return Err(BodyError::MissingFields(missing));
    }
    let record = CheckinRecord {
        packet_hash: take_text(&mut object, "packet_hash")?,
        username: take_text(&mut object, "username")?,
        message: take_text(&mut object, "message")?,
        channel: take_text(&mut object, "channel")?,
        timestamp: take_text(&mut object, "timestamp")?,
        source_bot: take_optional_text(&mut object, "source_bot")?,
    };
    if !is_iso8601(&record.timestamp) {
        return Err(BodyError::InvalidField {
            field: "timestamp",
            reason: "must be an ISO 8601 date and time",
        });
    }
    Ok(record)
}

/// Python's falsiness, which the original's `not data.get(f)` applies.
fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn take_text(object: &mut Map<String, Value>, field: &'static str) -> Result<String, BodyError> {
    match object.remove(field) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(BodyError::InvalidField {
            field,
            reason: "must be a string",
        }),
    }
}

fn take_optional_text(
    object: &mut Map<String, Value>,
    field: &'static str,
) -> Result<String, BodyError> {
    match object.remove(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(BodyError::InvalidField {
            field,
            reason: "must be a string",
        }),
    }
}

/// `2025-03-03T14:30:00-07:00`, with or without fractions and offset (`Z` included).
fn is_iso8601(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"{"packet_hash":"A1B2C3D4E5F67890","username":"HOWL","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00","source_bot":"b1"}"##;

    #[test]
    fn a_complete_body_becomes_a_record() {
        let record = parse_checkin(GOOD.as_bytes()).unwrap();
        assert_eq!(record.packet_hash, "A1B2C3D4E5F67890");
        assert_eq!(record.username, "HOWL");
        assert_eq!(record.source_bot, "b1");
    }

    #[test]
    fn source_bot_is_optional_and_stored_empty() {
        let body = GOOD.replace(r#","source_bot":"b1""#, "");
        assert_eq!(parse_checkin(body.as_bytes()).unwrap().source_bot, "");
    }

    #[test]
    fn falsy_values_count_as_missing_in_the_original_order() {
        let body = r#"{"packet_hash":"x","username":"","message":0,"channel":[],"timestamp":null}"#;
        assert_eq!(
            parse_checkin(body.as_bytes()),
            Err(BodyError::MissingFields(vec![
                "username",
                "message",
                "channel",
                "timestamp"
            ]))
        );
    }

    #[test]
    fn wrong_types_name_the_field() {
        let body = GOOD.replace(r#""HOWL""#, "42");
        assert_eq!(
            parse_checkin(body.as_bytes()),
            Err(BodyError::InvalidField {
                field: "username",
                reason: "must be a string"
            })
        );
        let body = GOOD.replace(r#""b1""#, r#"["b1"]"#);
        assert!(matches!(
            parse_checkin(body.as_bytes()),
            Err(BodyError::InvalidField {
                field: "source_bot",
                ..
            })
        ));
        let body = GOOD.replace("2025-03-03T14:30:00-07:00", "last monday");
        assert!(matches!(
            parse_checkin(body.as_bytes()),
            Err(BodyError::InvalidField {
                field: "timestamp",
                ..
            })
        ));
    }

    #[test]
    fn timestamps_in_iso_8601_forms_are_accepted() {
        for ts in [
            "2025-03-03T14:30:00Z",
            "2025-03-03T14:30:00.123456+00:00",
            "2025-03-03T14:30:00",
        ] {
            assert!(is_iso8601(ts), "{ts}");
        }
    }

    #[test]
    fn non_json_and_non_objects_are_refused_as_the_original_did() {
        assert_eq!(parse_checkin(b""), Err(BodyError::InvalidJson));
        assert_eq!(parse_checkin(b"{nope"), Err(BodyError::InvalidJson));
        assert_eq!(parse_checkin(b"[1,2]"), Err(BodyError::NotAnObject));
        assert_eq!(parse_checkin(b"\"x\""), Err(BodyError::NotAnObject));
    }
}
