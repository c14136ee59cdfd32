//! What a sink's handler is given and what it answers.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use warp::http::{HeaderMap, Method};
use warp::reply::Response;

use crate::http::refusal::Refusal;
use crate::http::route::path_segments;
use crate::http::signing::SignatureError;

/// One request that passed the intake, as the sink's handler sees it.
#[derive(Debug, Clone)]
pub struct SinkRequest {
    /// The id on its log lines and in the answer's `X-Request-Id`.
    pub request_id: String,
    /// The request's method.
    pub method: Method,
    /// The socket's peer, when served by a listener.
    pub peer: Option<SocketAddr>,
    /// The client, after trusted proxies' `X-Forwarded-For`.
    pub client_ip: Option<IpAddr>,
    /// The path as sent, not decoded.
    pub path: String,
    /// The raw query string, without the `?`; empty when there is none.
    pub query: String,
    /// Every header as sent.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl SinkRequest {
    /// A header's value as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header's raw bytes, when present (for `Authorization`, see
    /// [`verify_bearer`](crate::http::signing::verify_bearer)).
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    /// A header a signature check reads: `Ok(None)` when absent, and malformed (named `label`)
    /// when present but not printable text, rather than missing.
    pub fn signed_header(
        &self,
        name: &str,
        label: &'static str,
    ) -> Result<Option<&str>, SignatureError> {
        match self.headers.get(name) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map(Some)
                .map_err(|_| SignatureError::Malformed(label)),
        }
    }

    /// The path's segments, percent-decoded.
    pub fn path_segments(&self) -> Vec<String> {
        path_segments(&self.path)
    }
}

/// What a handler answers for a request it took.
#[derive(Debug)]
pub enum Answer {
    /// New: counted as accepted.
    Accepted(Response),
    /// Seen before (same idempotency key): counted as a duplicate, dropped.
    Duplicate(Response),
    /// Answered without taking anything in (a health check): counted as received only.
    Answered(Response),
}

/// A handler's answer: taken ([`Answer`]) or refused ([`Refusal`]).
pub type HandlerResult = Result<Answer, Refusal>;
