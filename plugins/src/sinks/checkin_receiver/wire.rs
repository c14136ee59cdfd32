//! The original `checkin_receiver.py`'s answers, byte for byte. Each refusal is the
//! catalogue's kind (so it is counted and logged under the same reason as in every other sink)
//! with the original's body.

use switchboard_api::http::catalogue::{
    BadJson, BadPayload, InternalError, NotFound, NotImplemented, TooLarge, UnreadableBody,
};
use switchboard_api::http::signing::BearerError;
use switchboard_api::http::Refusal;
use warp::http::header::{HeaderValue, CONTENT_TYPE};
use warp::http::StatusCode;
use warp::reply::Response;

use super::validate::BodyError;

/// A JSON answer with exactly these bytes.
pub(super) fn json(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = Response::new(body.into().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The intake's own refusals in the original's words, where it had words for them: a body
/// over `limit` bytes, and one that cannot be read (the original read it as empty, hence
/// invalid JSON). Others (`busy`, `forbidden`, `timeout`) keep the catalogue's JSON.
pub(super) fn wording(refusal: Refusal, limit: usize) -> Refusal {
    if refusal.is::<TooLarge>() {
        refusal.with_body(format!(r#"{{"error":"body too large","limit":{limit}}}"#))
    } else if refusal.is::<UnreadableBody>() {
        refusal.with_body(r#"{"error":"invalid json"}"#)
    } else {
        refusal
    }
}

/// A missing, malformed or wrong bearer token.
pub(super) fn unauthorized(problem: BearerError) -> Refusal {
    Refusal::from(problem).with_body(r#"{"error":"unauthorized"}"#)
}

/// `GET` or `POST` on a path other than `/` and `/checkins`.
pub(super) fn not_found() -> Refusal {
    Refusal::from(NotFound).with_body(r#"{"error":"not found"}"#)
}

/// A method other than `GET` and `POST`.
pub(super) fn not_implemented() -> Refusal {
    Refusal::from(NotImplemented).with_body(r#"{"error":"not implemented"}"#)
}

/// The database failed (the log says how).
pub(super) fn internal_error() -> Refusal {
    Refusal::from(InternalError).with_body(r#"{"error":"internal error"}"#)
}

/// A body that is not a check-in.
pub(super) fn bad_body(error: BodyError) -> Refusal {
    let body = match &error {
        BodyError::InvalidJson => r#"{"error":"invalid json"}"#.to_string(),
        BodyError::NotAnObject => r#"{"error":"body must be a json object"}"#.to_string(),
        // The original's json.dumps spacing, byte for byte.
        BodyError::MissingFields(fields) => format!(
            r#"{{"error": "missing fields", "fields": [{}]}}"#,
            fields
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        BodyError::InvalidField { field, reason } => serde_json::json!({
            "error": "invalid field",
            "field": field,
            "reason": reason,
        })
        .to_string(),
    };
    let refusal = match error {
        BodyError::InvalidJson => Refusal::from(BadJson::new("it is empty or malformed")),
        other => Refusal::from(BadPayload::new(other.to_string())),
    };
    refusal.with_body(body)
}
