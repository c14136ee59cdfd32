//! How a webhook route checks its caller, and which idempotency key a verified request carries.

use std::time::{Duration, SystemTime};

use switchboard_api::http::signing::{self, Secret, SignatureError, StandardHeaders};
use switchboard_api::http::{Refusal, SinkRequest};
use warp::http::HeaderMap;

/// The longest delivery id kept to recognise redeliveries, in bytes.
pub const MAX_DELIVERY_ID: usize = 200;

switchboard_api::define_refusal! {
    /// A delivery id too long to keep: rather than accept the delivery without recognising
    /// its redeliveries, the sender is told.
    #[refusal(status = BAD_REQUEST, reason = "bad_delivery_id")]
    pub struct DeliveryIdTooLong {
        /// Its length in bytes.
        length: usize,
    } => "the delivery id is {length} bytes long; at most 200 are kept to recognise redeliveries";
}

/// A delivery id as sent (trimmed; an empty one is none), refused when over
/// [`MAX_DELIVERY_ID`] bytes.
pub fn delivery_id(raw: Option<&str>) -> Result<Option<String>, Refusal> {
    match raw.map(str::trim).filter(|k| !k.is_empty()) {
        Some(id) if id.len() > MAX_DELIVERY_ID => Err(DeliveryIdTooLong::new(id.len()).into()),
        id => Ok(id.map(str::to_string)),
    }
}

pub const MODES: &[&str] = &[
    "standard-webhooks",
    "github",
    "stripe",
    "hmac-sha256",
    "bearer",
    "none",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    StandardWebhooks,
    Github,
    Stripe,
    HmacSha256,
    Bearer,
    None,
}

impl Mode {
    pub fn parse(word: &str) -> Option<Mode> {
        Some(match word.to_ascii_lowercase().as_str() {
            "standard-webhooks" => Mode::StandardWebhooks,
            "github" => Mode::Github,
            "stripe" => Mode::Stripe,
            "hmac-sha256" => Mode::HmacSha256,
            "bearer" => Mode::Bearer,
            "none" => Mode::None,
            _ => return None,
        })
    }

    /// The header carrying the idempotency key, when the scheme has one in a header.
    fn key_header(self) -> &'static str {
        match self {
            Mode::StandardWebhooks => signing::WEBHOOK_ID,
            Mode::Github => "x-github-delivery",
            Mode::Stripe | Mode::HmacSha256 | Mode::Bearer | Mode::None => "idempotency-key",
        }
    }
}

pub struct Verifier {
    pub mode: Mode,
    pub secrets: Vec<Secret>,
    pub signature_header: String,
    pub tolerance: Duration,
}

impl Verifier {
    /// Checks the request; on success, the idempotency key in a header (Stripe's is in the body).
    /// A failure answers the catalogue's refusal for it: `unauthorized` for a bearer token,
    /// `missing_signature`, `bad_signature` or `stale_timestamp` for a signature.
    pub fn verify(
        &self,
        request: &SinkRequest,
        now: SystemTime,
    ) -> Result<Option<String>, Refusal> {
        match self.mode {
            Mode::Bearer => {
                signing::verify_bearer(&self.secrets, request.header_bytes("authorization"))?
            }
            Mode::None => {}
            _ => self.verify_signature(request, now)?,
        }
        delivery_id(request.header(self.mode.key_header()))
    }

    /// What can be checked from the request's head, before its body is read: the bearer token,
    /// or that the signature's headers are there (the signature itself needs the body). Fails
    /// exactly as [`verify`](Self::verify) would for the same head.
    pub fn check_head(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let required: &[&'static str] = match self.mode {
            Mode::Bearer => {
                let authorization = headers.get("authorization").map(|v| v.as_bytes());
                return Ok(signing::verify_bearer(&self.secrets, authorization)?);
            }
            Mode::None => &[],
            Mode::StandardWebhooks => &[
                signing::WEBHOOK_ID,
                signing::WEBHOOK_TIMESTAMP,
                signing::WEBHOOK_SIGNATURE,
            ],
            Mode::Github => &[signing::GITHUB_SIGNATURE],
            Mode::Stripe => &[signing::STRIPE_SIGNATURE],
            Mode::HmacSha256 => {
                return match headers.contains_key(self.signature_header.as_str()) {
                    true => Ok(()),
                    false => Err(SignatureError::MissingHeader("signature").into()),
                }
            }
        };
        // In `verify`'s order: every header is read (one there but not text is malformed)
        // before any is found missing.
        let not_text = |name: &&&str| headers.get(**name).is_some_and(|v| v.to_str().is_err());
        if let Some(name) = required.iter().find(not_text) {
            return Err(SignatureError::Malformed(name).into());
        }
        match required.iter().find(|name| !headers.contains_key(**name)) {
            Some(name) => Err(SignatureError::MissingHeader(name).into()),
            None => Ok(()),
        }
    }

    fn verify_signature(
        &self,
        request: &SinkRequest,
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        // A header that is there but not text is malformed, not missing.
        let header = |name: &'static str| request.signed_header(name, name);
        let body = &request.body;
        match self.mode {
            Mode::StandardWebhooks => signing::verify_standard_webhooks(
                &self.secrets,
                StandardHeaders {
                    id: header(signing::WEBHOOK_ID)?,
                    timestamp: header(signing::WEBHOOK_TIMESTAMP)?,
                    signature: header(signing::WEBHOOK_SIGNATURE)?,
                },
                body,
                now,
                self.tolerance,
            ),
            Mode::Github => {
                signing::verify_github(&self.secrets, header(signing::GITHUB_SIGNATURE)?, body)
            }
            Mode::Stripe => signing::verify_stripe(
                &self.secrets,
                header(signing::STRIPE_SIGNATURE)?,
                body,
                now,
                self.tolerance,
            ),
            Mode::HmacSha256 => signing::verify_hmac_hex(
                &self.secrets,
                "signature",
                request.signed_header(&self.signature_header, "signature")?,
                body,
            ),
            Mode::Bearer | Mode::None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&'static str, &str)]) -> SinkRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        SinkRequest {
            request_id: "t-1".into(),
            method: warp::http::Method::POST,
            peer: None,
            client_ip: None,
            path: "/hooks".into(),
            query: String::new(),
            headers: map,
            body: bytes::Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn the_head_check_refuses_as_the_full_check_would_for_the_same_head() {
        let heads: [&[(&'static str, &str)]; 5] = [
            &[],
            &[("webhook-id", "msg_1")],
            &[("webhook-id", "msg_1"), ("webhook-timestamp", "1")],
            &[("authorization", "Basic x")],
            &[("authorization", "Bearer nope")],
        ];
        for mode in [
            Mode::StandardWebhooks,
            Mode::Github,
            Mode::Stripe,
            Mode::HmacSha256,
            Mode::Bearer,
        ] {
            let verifier = Verifier {
                mode,
                secrets: vec![Secret::new(b"k3y")],
                signature_header: "x-signature".into(),
                tolerance: Duration::from_secs(300),
            };
            for head in heads {
                let request = request(head);
                let early = verifier.check_head(&request.headers).unwrap_err();
                let full = verifier.verify(&request, SystemTime::now()).unwrap_err();
                assert_eq!(
                    (early.reason(), early.message()),
                    (full.reason(), full.message()),
                    "{mode:?} {head:?}"
                );
            }
        }
        // With the headers there, the signature itself is left to the full check.
        let github = Verifier {
            mode: Mode::Github,
            secrets: vec![Secret::new(b"k3y")],
            signature_header: String::new(),
            tolerance: Duration::from_secs(300),
        };
        let signed = request(&[("x-hub-signature-256", "sha256=00")]);
        assert!(github.check_head(&signed.headers).is_ok());
        assert!(github.verify(&signed, SystemTime::now()).is_err());
    }

    /// Found by the `signature_headers` fuzz target: with `webhook-id` not text and the other
    /// headers missing, the head check said `missing_signature` (webhook-timestamp) where the
    /// full check says `bad_signature` (webhook-id malformed).
    #[test]
    fn a_header_that_is_not_text_is_refused_from_the_head_as_the_full_check_refuses_it() {
        let heads: [&[(&'static str, &[u8])]; 4] = [
            &[("webhook-id", b"\xff")],
            &[("webhook-timestamp", b"1\xe9")],
            &[("webhook-id", b"msg_1"), ("webhook-signature", b"v1,\x80")],
            &[
                ("x-hub-signature-256", b"sha256=\xff"),
                ("stripe-signature", b"t=\xff"),
            ],
        ];
        for mode in [Mode::StandardWebhooks, Mode::Github, Mode::Stripe] {
            let verifier = Verifier {
                mode,
                secrets: vec![Secret::new(b"k3y")],
                signature_header: String::new(),
                tolerance: Duration::from_secs(300),
            };
            for head in heads {
                let mut request = request(&[]);
                for (name, value) in head {
                    let value = warp::http::HeaderValue::from_bytes(value).unwrap();
                    request.headers.insert(*name, value);
                }
                let full = verifier.verify(&request, SystemTime::now()).unwrap_err();
                let early = verifier.check_head(&request.headers).unwrap_err();
                assert_eq!(
                    (early.reason(), early.message()),
                    (full.reason(), full.message()),
                    "{mode:?} {head:?}"
                );
            }
        }
        let mut only_id = request(&[]).headers;
        only_id.insert(
            "webhook-id",
            warp::http::HeaderValue::from_bytes(b"\xff").unwrap(),
        );
        let standard = Verifier {
            mode: Mode::StandardWebhooks,
            secrets: vec![Secret::new(b"k3y")],
            signature_header: String::new(),
            tolerance: Duration::from_secs(300),
        };
        assert_eq!(
            standard.check_head(&only_id).unwrap_err().message(),
            "the webhook-id header is malformed"
        );
    }
}
