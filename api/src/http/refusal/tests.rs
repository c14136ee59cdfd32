use std::collections::BTreeSet;

use super::catalogue::*;
use super::*;
use crate::http::signing::{BearerError, SignatureError};

/// Every kind the catalogue declares, by status and reason.
fn catalogue() -> Vec<(u16, &'static str)> {
    fn entry<K: RefusalKind>() -> (u16, &'static str) {
        (K::STATUS.as_u16(), K::REASON)
    }
    vec![
        entry::<Busy>(),
        entry::<Forbidden>(),
        entry::<TimedOut>(),
        entry::<TooLarge>(),
        entry::<UnreadableBody>(),
        entry::<NotFound>(),
        entry::<MethodNotAllowed>(),
        entry::<NotImplemented>(),
        entry::<BadRequest>(),
        entry::<Unauthorized>(),
        entry::<MissingSignature>(),
        entry::<BadSignature>(),
        entry::<StaleTimestamp>(),
        entry::<BadJson>(),
        entry::<BadPayload>(),
        entry::<EmptyMessage>(),
        entry::<BadConversation>(),
        entry::<NotDelivered>(),
        entry::<InternalError>(),
        entry::<PluginError>(),
        entry::<BadPluginAnswer>(),
        entry::<PluginFaulted>(),
        entry::<PluginUnavailable>(),
    ]
}

#[test]
fn every_kind_has_its_own_reason_and_the_list_above_is_complete() {
    let kinds = catalogue();
    let reasons: BTreeSet<&str> = kinds.iter().map(|(_, r)| *r).collect();
    assert_eq!(reasons.len(), kinds.len(), "a reason is used twice");
    let declared = include_str!("catalogue.rs").matches("#[refusal(").count();
    assert_eq!(
        declared,
        kinds.len(),
        "a kind is missing from the list above"
    );
    assert!(kinds.iter().all(|(status, _)| (400..600).contains(status)));
}

#[test]
fn a_refusal_answers_the_json_shape_with_its_kinds_status_reason_and_message() {
    let refusal = Refusal::from(TooLarge::new(64usize));
    assert!(refusal.is::<TooLarge>() && !refusal.is::<Busy>());
    assert_eq!(
        refusal.to_string(),
        "413 too_large: the body is larger than 64 bytes"
    );
    let response = refusal.into_response();
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn a_protocol_body_replaces_the_json_shape_but_not_the_status() {
    use http_body_util::BodyExt;
    let refusal = Refusal::from(Unauthorized::new(BearerError::Mismatch))
        .with_body(r#"{"error":"unauthorized"}"#);
    assert_eq!(refusal.reason(), "unauthorized");
    let response = refusal.into_response();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"error":"unauthorized"}"#);
}

#[test]
fn credentials_map_to_one_word_per_failure_whatever_the_sink() {
    let bearer = |e: BearerError| {
        let r = Refusal::from(e);
        (r.status().as_u16(), r.reason(), r.message().to_string())
    };
    assert_eq!(
        bearer(BearerError::Missing),
        (
            401,
            "unauthorized",
            "the Authorization header is missing".into()
        )
    );
    assert_eq!(
        bearer(BearerError::Mismatch),
        (401, "unauthorized", "the bearer token is not valid".into())
    );
    let signature = |e: SignatureError| Refusal::from(e).reason();
    assert_eq!(
        signature(SignatureError::MissingHeader("webhook-id")),
        "missing_signature"
    );
    assert_eq!(
        signature(SignatureError::Malformed("webhook-id")),
        "bad_signature"
    );
    assert_eq!(signature(SignatureError::Mismatch), "bad_signature");
    assert_eq!(signature(SignatureError::Stale), "stale_timestamp");
    assert_eq!(
        Refusal::from(SignatureError::MissingHeader("x-hub-signature-256")).message(),
        "the x-hub-signature-256 header is missing"
    );
}
