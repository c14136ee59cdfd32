//! Request ids: the caller's `X-Request-Id` when it is short and plain, else one of ours
//! (`<name>-<n>`). Every answer carries one, and the request's log lines carry the same.

use std::sync::atomic::{AtomicU64, Ordering};

use warp::http::{HeaderMap, HeaderValue};

/// The header a request id travels in, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Hands out request ids for one sink (or one listener): `<name>-1`, `<name>-2`, ...
#[derive(Debug)]
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    /// Ids named after `name` (dots become dashes: `webhook.github` → `webhook-github-1`).
    pub fn new(name: &str) -> RequestIds {
        RequestIds {
            prefix: name.replace('.', "-"),
            next: AtomicU64::new(1),
        }
    }

    /// The caller's id when it sent a plain one (at most 64 letters, digits, `-`, `_` or `.`),
    /// else the next of ours.
    pub fn for_request(&self, headers: &HeaderMap) -> String {
        match headers.get(REQUEST_ID).and_then(plain) {
            Some(id) => id.to_string(),
            None => format!(
                "{}-{}",
                self.prefix,
                self.next.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}

fn plain(value: &HeaderValue) -> Option<&str> {
    let id = value.to_str().ok()?;
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    plain.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_caller_id_is_kept_and_anything_else_replaced() {
        let ids = RequestIds::new("webhook.github");
        let mut headers = HeaderMap::new();
        assert_eq!(ids.for_request(&headers), "webhook-github-1");
        headers.insert(REQUEST_ID, HeaderValue::from_static("req-42_a.b"));
        assert_eq!(ids.for_request(&headers), "req-42_a.b");
        headers.insert(REQUEST_ID, HeaderValue::from_static("no spaces please"));
        assert_eq!(ids.for_request(&headers), "webhook-github-2");
        headers.insert(REQUEST_ID, HeaderValue::from_str(&"a".repeat(65)).unwrap());
        assert_eq!(ids.for_request(&headers), "webhook-github-3");
    }
}
