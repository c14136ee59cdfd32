//! The intake every sink request goes through before the sink sees it: concurrency limit,
//! allow list, body size limit, timeout, counters, a request id and a tracing span. The sink's
//! handler gets the whole body and answers with an [`Answer`] or a [`Refusal`]; the intake
//! turns either into the response and counts it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use tokio::sync::Semaphore;
use tracing::Instrument;
use warp::filters::path::FullPath;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::Filter;

use super::counters::SinkCounters;
use super::limits::Limits;
use super::listener::PeerAddr;
use super::reply::Refusal;
use super::route::{path_segments, route_filter};
use crate::sink::RouteSpec;

/// One request that passed the intake, as the sink's handler sees it.
#[derive(Debug, Clone)]
pub struct SinkRequest {
    pub request_id: String,
    pub peer: Option<SocketAddr>,
    /// The client, after trusted proxies' `X-Forwarded-For`.
    pub client_ip: Option<IpAddr>,
    pub path: String,
    /// The raw query string, without the `?`; empty when there is none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SinkRequest {
    /// A header's value as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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
}

pub type HandlerResult = Result<Answer, Refusal>;

/// The request's path and raw query string.
struct PathAndQuery {
    path: String,
    query: String,
}

/// One sink's limits and counters, shared by all its routes.
pub struct Intake {
    sink: String,
    limits: Limits,
    counters: Arc<SinkCounters>,
    permits: Arc<Semaphore>,
    sequence: AtomicU64,
}

impl Intake {
    pub fn new(sink: &str, limits: Limits, counters: Arc<SinkCounters>) -> Arc<Intake> {
        Arc::new(Intake {
            sink: sink.to_string(),
            permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            limits,
            counters,
            sequence: AtomicU64::new(0),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn counters(&self) -> &Arc<SinkCounters> {
        &self.counters
    }

    /// Serves `route` with `handler`: the filter answers every request the route matches.
    pub fn serve<H, Fut>(
        self: &Arc<Self>,
        route: &RouteSpec,
        handler: H,
    ) -> BoxedFilter<(Response,)>
    where
        H: Fn(SinkRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let intake = self.clone();
        let query = warp::query::raw().or(warp::any().map(String::new)).unify();
        route_filter(route)
            .and(warp::ext::optional::<PeerAddr>())
            .and(warp::path::full())
            .and(query)
            .and(warp::header::headers_cloned())
            .and(warp::body::stream())
            .then(
                move |peer: Option<PeerAddr>,
                      path: FullPath,
                      query: String,
                      headers: HeaderMap,
                      body| {
                    let intake = intake.clone();
                    let handler = handler.clone();
                    async move {
                        let target = PathAndQuery {
                            path: path.as_str().to_string(),
                            query,
                        };
                        intake
                            .handle(peer.map(|p| p.0), target, headers, body, handler)
                            .await
                    }
                },
            )
            .boxed()
    }

    async fn handle<S, B, H, Fut>(
        &self,
        peer: Option<SocketAddr>,
        target: PathAndQuery,
        headers: HeaderMap,
        body: S,
        handler: H,
    ) -> Response
    where
        S: Stream<Item = Result<B, warp::Error>>,
        B: Buf,
        H: Fn(SinkRequest) -> Fut,
        Fut: Future<Output = HandlerResult>,
    {
        let request_id = self.request_id(&headers);
        let span = tracing::info_span!("sink_request", sink = %self.sink, request_id = %request_id);
        self.counters.received();
        let outcome = self
            .run(peer, target, headers, body, handler, request_id.clone())
            .instrument(span.clone())
            .await;
        let mut response = match outcome {
            Ok(Answer::Accepted(response)) => {
                self.counters.accepted();
                span.in_scope(|| tracing::debug!("accepted"));
                response
            }
            Ok(Answer::Duplicate(response)) => {
                self.counters.duplicate();
                span.in_scope(|| tracing::info!("duplicate delivery dropped"));
                response
            }
            Err(refusal) => {
                self.counters.rejected(refusal.reason);
                span.in_scope(|| {
                    tracing::info!(
                        status = refusal.status.as_u16(),
                        reason = refusal.reason,
                        "request refused: {}",
                        refusal.message
                    )
                });
                refusal.into_response()
            }
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }

    async fn run<S, B, H, Fut>(
        &self,
        peer: Option<SocketAddr>,
        target: PathAndQuery,
        headers: HeaderMap,
        body: S,
        handler: H,
        request_id: String,
    ) -> HandlerResult
    where
        S: Stream<Item = Result<B, warp::Error>>,
        B: Buf,
        H: Fn(SinkRequest) -> Fut,
        Fut: Future<Output = HandlerResult>,
    {
        let _permit = self.permits.clone().try_acquire_owned().map_err(|_| {
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many requests at once; retry shortly",
            )
        })?;
        let client_ip = self.limits.client_ip(peer.map(|p| p.ip()), &headers);
        if !self.limits.allows(client_ip) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this address may not use this sink",
            ));
        }
        let work = async {
            let body = read_body(body, &headers, self.limits.max_body).await?;
            handler(SinkRequest {
                request_id,
                peer,
                client_ip,
                path: target.path,
                query: target.query,
                headers,
                body,
            })
            .await
        };
        tokio::time::timeout(self.limits.request_timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(Refusal::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    "the request took too long",
                ))
            })
    }

    /// The caller's `X-Request-Id` when it is short and plain, else one of ours.
    fn request_id(&self, headers: &HeaderMap) -> String {
        let given = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 64
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
        match given {
            Some(id) => id.to_string(),
            None => format!(
                "{}-{}",
                self.sink.replace('.', "-"),
                self.sequence.fetch_add(1, Ordering::Relaxed) + 1
            ),
        }
    }
}

fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the body is larger than {limit} bytes"),
    )
}

/// The whole body, refused as soon as it is known to be over `limit` (by its declared length
/// or by what has arrived).
async fn read_body<S, B>(body: S, headers: &HeaderMap, limit: usize) -> Result<Bytes, Refusal>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mut collected = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| {
            Refusal::bad_request(
                "unreadable_body",
                format!("the body could not be read: {e}"),
            )
        })?;
        if collected.len() + chunk.remaining() > limit {
            return Err(too_large(limit));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            collected.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(collected.freeze())
}

#[cfg(test)]
mod tests;
