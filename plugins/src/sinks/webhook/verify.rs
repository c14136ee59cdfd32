//! How a webhook route checks its caller, and which idempotency key a verified request carries.

use std::time::{Duration, SystemTime};

use switchboard_api::http::signing::{self, Secret, SignatureError, StandardHeaders};
use switchboard_api::http::{Refusal, SinkRequest};
use warp::http::StatusCode;

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

fn refusal(error: SignatureError) -> Refusal {
    let reason = match error {
        SignatureError::Stale => "stale_timestamp",
        SignatureError::MissingHeader(_) => "missing_signature",
        SignatureError::Malformed(_) | SignatureError::Mismatch => "bad_signature",
    };
    Refusal::new(StatusCode::UNAUTHORIZED, reason, error.to_string())
}

impl Verifier {
    /// Checks the request; on success, the idempotency key in a header (Stripe's is in the body).
    pub fn verify(
        &self,
        request: &SinkRequest,
        now: SystemTime,
    ) -> Result<Option<String>, Refusal> {
        let body = &request.body;
        let checked = match self.mode {
            Mode::StandardWebhooks => signing::verify_standard_webhooks(
                &self.secrets,
                StandardHeaders {
                    id: request.header(signing::WEBHOOK_ID),
                    timestamp: request.header(signing::WEBHOOK_TIMESTAMP),
                    signature: request.header(signing::WEBHOOK_SIGNATURE),
                },
                body,
                now,
                self.tolerance,
            ),
            Mode::Github => signing::verify_github(
                &self.secrets,
                request.header(signing::GITHUB_SIGNATURE),
                body,
            ),
            Mode::Stripe => signing::verify_stripe(
                &self.secrets,
                request.header(signing::STRIPE_SIGNATURE),
                body,
                now,
                self.tolerance,
            ),
            Mode::HmacSha256 => signing::verify_hmac_hex(
                &self.secrets,
                "signature",
                request.header(&self.signature_header),
                body,
            ),
            Mode::Bearer => signing::verify_bearer(&self.secrets, request.header("authorization")),
            Mode::None => Ok(()),
        };
        checked.map_err(refusal)?;
        Ok(request
            .header(self.mode.key_header())
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .map(str::to_string))
    }
}
