//! The intake every sink request goes through before the sink sees it: concurrency limit,
//! allow list, body size limit, timeout, counters, a request id and a tracing span. The sink's
//! handler gets the whole body and answers with an [`Answer`] or a [`Refusal`]; the intake
//! turns either into the response and counts it.

mod body;
mod request;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::Stream;
use tokio::sync::Semaphore;
use tracing::Instrument;
use warp::filters::path::FullPath;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, HeaderValue, Method};
use warp::reply::Response;
use warp::{Buf, Filter};

use super::counters::SinkCounters;
use super::limits::Limits;
use super::listener::PeerAddr;
use super::refusal::catalogue::{Busy, Forbidden, TimedOut};
use super::refusal::Refusal;
use super::request_id::{RequestIds, REQUEST_ID};
use super::route::matching;
use crate::sink::RouteSpec;

pub use request::{Answer, HandlerResult, SinkRequest};

/// How a sink's protocol words a refusal: given every refusal before it is answered, it may
/// attach the protocol's exact body ([`Refusal::with_body`]).
pub type Wording = Arc<dyn Fn(Refusal) -> Refusal + Send + Sync>;

/// A check of what a request's head shows (method and headers), run before its body is read
/// and before it takes one of the sink's slots: a bearer key, a signature header's presence.
pub type HeadCheck = Arc<dyn Fn(&Method, &HeaderMap) -> Result<(), Refusal> + Send + Sync>;

/// The request as it reached the intake, before its body is read.
struct Arrival {
    method: Method,
    peer: Option<SocketAddr>,
    path: String,
    query: String,
    headers: HeaderMap,
    /// Whether the sink's head check applies (not for a fallback).
    check_head: bool,
}

/// One sink's limits and counters, shared by all its routes.
pub struct Intake {
    sink: String,
    limits: Limits,
    counters: Arc<SinkCounters>,
    permits: Arc<Semaphore>,
    ids: RequestIds,
    drain: usize,
    wording: Option<Wording>,
    head_check: Option<HeadCheck>,
}

/// An [`Intake`] with more than limits and counters; see [`Intake::builder`].
pub struct IntakeBuilder {
    intake: Intake,
}

impl IntakeBuilder {
    /// Reads a body over `max_body` to its end, up to `bytes`, before answering `413`, so that
    /// a keep-alive connection stays usable (as the check-in receiver promises). By default a
    /// body over the limit is refused at once and the connection then closed.
    pub fn drain_refused_bodies(mut self, bytes: usize) -> IntakeBuilder {
        self.intake.drain = bytes;
        self
    }

    /// Refuses what `check` refuses from the request's head alone, before the body is read and
    /// before the request takes a slot: callers without a valid key cannot hold the sink's
    /// slots with slow bodies. (A refused body is still read within the drain limit, when there
    /// is one, so the connection stays usable.)
    pub fn check_head(
        mut self,
        check: impl Fn(&Method, &HeaderMap) -> Result<(), Refusal> + Send + Sync + 'static,
    ) -> Self {
        self.intake.head_check = Some(Arc::new(check));
        self
    }

    /// Words every refusal of this sink, the intake's own included (see [`Wording`]).
    pub fn wording(mut self, wording: impl Fn(Refusal) -> Refusal + Send + Sync + 'static) -> Self {
        self.intake.wording = Some(Arc::new(wording));
        self
    }

    /// The intake, ready to serve routes.
    pub fn build(self) -> Arc<Intake> {
        Arc::new(self.intake)
    }
}

impl Intake {
    /// The intake of sink `sink` (its name names the request ids, `webhook.github` →
    /// `webhook-github-1`), counting into `counters`.
    pub fn new(sink: &str, limits: Limits, counters: Arc<SinkCounters>) -> Arc<Intake> {
        Intake::builder(sink, limits, counters).build()
    }

    /// Like [`Intake::new`], with the options of [`IntakeBuilder`].
    pub fn builder(sink: &str, limits: Limits, counters: Arc<SinkCounters>) -> IntakeBuilder {
        IntakeBuilder {
            intake: Intake {
                sink: sink.to_string(),
                permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
                limits,
                counters,
                ids: RequestIds::new(sink),
                drain: 0,
                wording: None,
                head_check: None,
            },
        }
    }

    /// The limits it applies.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The counters it counts into.
    pub fn counters(&self) -> &Arc<SinkCounters> {
        &self.counters
    }

    /// Serves `route` with `handler`: the filter answers every request the route matches (and
    /// rejects others as not found, or with [`MethodNotAllowed`](super::catalogue::MethodNotAllowed), for
    /// other sinks on the listener to answer).
    pub fn serve<H, Fut>(
        self: &Arc<Self>,
        route: &RouteSpec,
        handler: H,
    ) -> BoxedFilter<(Response,)>
    where
        H: Fn(SinkRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.serve_routes(std::slice::from_ref(route), handler)
    }

    /// Serves all of `routes` with one `handler`, matched by one filter (see
    /// [`routes_filter`](super::routes_filter)).
    pub fn serve_routes<H, Fut>(
        self: &Arc<Self>,
        routes: &[RouteSpec],
        handler: H,
    ) -> BoxedFilter<(Response,)>
    where
        H: Fn(SinkRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.serve_matching(matching(routes), true, handler)
    }

    /// Serves every request with `handler`: a fallback that answers whatever no route before
    /// it took (without the [head check](IntakeBuilder::check_head), which guards the routes).
    pub fn serve_fallback<H, Fut>(self: &Arc<Self>, handler: H) -> BoxedFilter<(Response,)>
    where
        H: Fn(SinkRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.serve_matching(
            warp::method().and(warp::path::full()).boxed(),
            false,
            handler,
        )
    }

    fn serve_matching<H, Fut>(
        self: &Arc<Self>,
        matcher: BoxedFilter<(Method, FullPath)>,
        check_head: bool,
        handler: H,
    ) -> BoxedFilter<(Response,)>
    where
        H: Fn(SinkRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let intake = self.clone();
        let query = warp::query::raw().or(warp::any().map(String::new)).unify();
        matcher
            .and(warp::ext::optional::<PeerAddr>())
            .and(query)
            .and(warp::header::headers_cloned())
            .and(warp::body::stream())
            .then(
                move |method: Method,
                      path: FullPath,
                      peer: Option<PeerAddr>,
                      query: String,
                      headers: HeaderMap,
                      body| {
                    let intake = intake.clone();
                    let handler = handler.clone();
                    async move {
                        let arrival = Arrival {
                            method,
                            peer: peer.map(|p| p.0),
                            path: path.as_str().to_string(),
                            query,
                            headers,
                            check_head,
                        };
                        intake.handle(arrival, body, handler).await
                    }
                },
            )
            .boxed()
    }

    async fn handle<S, B, H, Fut>(&self, arrival: Arrival, body: S, handler: H) -> Response
    where
        S: Stream<Item = Result<B, warp::Error>>,
        B: Buf,
        H: Fn(SinkRequest) -> Fut,
        Fut: Future<Output = HandlerResult>,
    {
        let request_id = self.ids.for_request(&arrival.headers);
        let span = tracing::info_span!("sink_request", sink = %self.sink, request_id = %request_id);
        self.counters.received();
        let outcome = self
            .run(arrival, body, handler, request_id.clone())
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
            Ok(Answer::Answered(response)) => response,
            Err(refusal) => {
                self.counters.rejected(refusal.reason());
                span.in_scope(|| {
                    tracing::info!(
                        status = refusal.status().as_u16(),
                        reason = refusal.reason(),
                        "request refused: {}",
                        refusal.message()
                    )
                });
                match &self.wording {
                    Some(wording) => wording(refusal).into_response(),
                    None => refusal.into_response(),
                }
            }
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }

    async fn run<S, B, H, Fut>(
        &self,
        arrival: Arrival,
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
        // What the head shows is checked first, so that only callers who passed take a slot.
        let client_ip = self
            .limits
            .client_ip(arrival.peer.map(|p| p.ip()), &arrival.headers);
        if !self.limits.allows(client_ip) {
            return Err(Forbidden.into());
        }
        if let Some(check) = self.head_check.as_ref().filter(|_| arrival.check_head) {
            if let Err(refusal) = check(&arrival.method, &arrival.headers) {
                if self.drain > 0 {
                    let drained = body::read_body(body, &arrival.headers, 0, self.drain);
                    let _ = tokio::time::timeout(self.limits.request_timeout, drained).await;
                }
                return Err(refusal);
            }
        }
        let _permit = self.permits.clone().try_acquire_owned().map_err(|_| Busy)?;
        let work = async {
            let body =
                body::read_body(body, &arrival.headers, self.limits.max_body, self.drain).await?;
            handler(SinkRequest {
                request_id,
                method: arrival.method,
                peer: arrival.peer,
                client_ip,
                path: arrival.path,
                query: arrival.query,
                headers: arrival.headers,
                body,
            })
            .await
        };
        tokio::time::timeout(self.limits.request_timeout, work)
            .await
            .unwrap_or_else(|_| Err(TimedOut.into()))
    }
}

#[cfg(test)]
mod tests;
