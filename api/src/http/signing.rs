//! Signing and verification for every sink and every callback: HMAC-SHA256 with constant-time
//! comparison, a timestamp tolerance, and a list of secrets so one can be rotated without
//! downtime. The schemes are GitHub's (`X-Hub-Signature-256`), Stripe's (`Stripe-Signature`),
//! Standard Webhooks' (`webhook-signature`, symmetric `v1`) and a plain hex HMAC of the body.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The tolerance the Standard Webhooks and Stripe reference libraries use, both ways.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a request's signature was refused. The messages name no secret and no signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header the scheme needs is absent.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// A header is not in the scheme's form (or not printable text).
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    /// The signed timestamp is too far from now, either way.
    #[error("the timestamp is outside the allowed tolerance")]
    Stale,
    /// No signature matches any secret.
    #[error("no signature matched")]
    Mismatch,
}

/// Why a secret as written cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A Standard Webhooks secret that is not base64.
    #[error("a Standard Webhooks secret is `whsec_` followed by base64")]
    NotBase64,
    /// Nothing after the prefix.
    #[error("the secret is empty")]
    Empty,
}

/// A secret's key bytes. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A secret used as written (its UTF-8 bytes for text).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Secret(key.into())
    }

    /// A Standard Webhooks secret: `whsec_` followed by base64 (the prefix may be left out).
    pub fn standard_webhooks(text: &str) -> Result<Self, SecretError> {
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(key))
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256(key: &Secret, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = new_mac(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn new_mac(key: &Secret) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key.bytes()).unwrap_or_else(|_| unreachable!())
}

/// Whether HMAC-SHA256 of `parts` under `key` equals `expected`, in constant time.
pub fn verify_hmac_sha256(key: &Secret, parts: &[&[u8]], expected: &[u8]) -> bool {
    let mut mac = new_mac(key);
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(expected).is_ok()
}

/// Lower-case hex, as GitHub and Stripe write digests.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Constant-time equality of two byte strings (the length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn unix_now(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn check_timestamp(
    raw: &str,
    header: &'static str,
    now: SystemTime,
    tolerance: Duration,
) -> Result<i64, SignatureError> {
    let timestamp: i64 = raw
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed(header))?;
    if unix_now(now).abs_diff(timestamp) > tolerance.as_secs() {
        return Err(SignatureError::Stale);
    }
    Ok(timestamp)
}

// GitHub --------------------------------------------------------------------------------------

/// GitHub's signature header.
pub const GITHUB_SIGNATURE: &str = "x-hub-signature-256";

/// `sha256=<hex>` of the body, as GitHub sends in `X-Hub-Signature-256`.
pub fn sign_github(secret: &Secret, body: &[u8]) -> String {
    format!("sha256={}", to_hex(&hmac_sha256(secret, &[body])))
}

/// Checks `X-Hub-Signature-256` against each secret.
pub fn verify_github(
    secrets: &[Secret],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader(GITHUB_SIGNATURE))?;
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed(GITHUB_SIGNATURE))?;
    verify_hex(secrets, &[body], hex)
}

/// Checks a hex HMAC-SHA256 of the body, with or without a `sha256=` prefix.
pub fn verify_hmac_hex(
    secrets: &[Secret],
    header_name: &'static str,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader(header_name))?;
    let hex = header.trim();
    let hex = hex.strip_prefix("sha256=").unwrap_or(hex);
    verify_hex(secrets, &[body], hex)
}

fn verify_hex(secrets: &[Secret], parts: &[&[u8]], hex: &str) -> Result<(), SignatureError> {
    let given = hex.to_ascii_lowercase();
    let mut matched = false;
    // Every secret is tried, so the time taken does not tell which one matched.
    for secret in secrets {
        let expected = to_hex(&hmac_sha256(secret, parts));
        matched |= constant_time_eq(expected.as_bytes(), given.as_bytes());
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

// Stripe --------------------------------------------------------------------------------------

/// Stripe's signature header.
pub const STRIPE_SIGNATURE: &str = "stripe-signature";

/// `t=<unix>,v1=<hex>`, as Stripe sends in `Stripe-Signature`.
pub fn sign_stripe(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mac = hmac_sha256(secret, &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", to_hex(&mac))
}

/// Checks `Stripe-Signature`: its timestamp within `tolerance`, any `v1` against any secret.
pub fn verify_stripe(
    secrets: &[Secret],
    header: Option<&str>,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader(STRIPE_SIGNATURE))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed(STRIPE_SIGNATURE))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed(STRIPE_SIGNATURE));
    }
    check_timestamp(t, STRIPE_SIGNATURE, now, tolerance)?;
    let parts: [&[u8]; 3] = [t.trim().as_bytes(), b".", body];
    let mut matched = false;
    for sig in signatures {
        matched |= verify_hex(secrets, &parts, sig).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

// Standard Webhooks ---------------------------------------------------------------------------

/// Standard Webhooks' delivery id header (also the idempotency key).
pub const WEBHOOK_ID: &str = "webhook-id";
/// Standard Webhooks' timestamp header (unix seconds).
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// Standard Webhooks' signature header.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// `v1,<base64>` over `id.timestamp.body`, as Standard Webhooks sends in `webhook-signature`.
pub fn sign_standard_webhooks(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mac = hmac_sha256(secret, &[id.as_bytes(), b".", t.as_bytes(), b".", body]);
    format!("v1,{}", BASE64.encode(mac))
}

/// The three Standard Webhooks headers of one request.
#[derive(Debug, Clone, Copy)]
pub struct StandardHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

/// Checks a Standard Webhooks request: the timestamp within `tolerance`, then any of the
/// space-separated `v1,` signatures against any secret. Asymmetric `v1a` entries are skipped.
pub fn verify_standard_webhooks(
    secrets: &[Secret],
    headers: StandardHeaders<'_>,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let id = headers
        .id
        .ok_or(SignatureError::MissingHeader(WEBHOOK_ID))?;
    let t = headers
        .timestamp
        .ok_or(SignatureError::MissingHeader(WEBHOOK_TIMESTAMP))?;
    let signature = headers
        .signature
        .ok_or(SignatureError::MissingHeader(WEBHOOK_SIGNATURE))?;
    check_timestamp(t, WEBHOOK_TIMESTAMP, now, tolerance)?;
    let parts: [&[u8]; 5] = [id.as_bytes(), b".", t.trim().as_bytes(), b".", body];
    let mut matched = false;
    for entry in signature.split_whitespace() {
        let Some(encoded) = entry.strip_prefix("v1,") else {
            continue;
        };
        let Ok(given) = BASE64.decode(encoded) else {
            continue;
        };
        for secret in secrets {
            matched |= verify_hmac_sha256(secret, &parts, &given);
        }
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

mod bearer;

pub use bearer::{verify_bearer, BearerError};

#[cfg(test)]
mod tests;
