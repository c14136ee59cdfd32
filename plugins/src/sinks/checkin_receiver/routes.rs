//! The receiver's routes on the shared intake, wire-compatible with the original
//! `scripts/checkin_receiver.py`: same paths, statuses and JSON bodies, with its bugs fixed
//! (413 for big bodies, 401 for non-ASCII tokens, typed fields, no connection left in a
//! broken state). The intake reads every body (a too-large one up to [`DRAIN_LIMIT`]) before
//! the answer, so keep-alive connections stay usable after an error.

use std::sync::Arc;

use switchboard_api::http::signing::verify_bearer;
use switchboard_api::http::{HandlerResult, Intake, Limits, SinkCounters, SinkRequest};
use switchboard_api::RouteSpec;
use warp::http::Method;
use warp::Filter;

use super::receiver::Receiver;
use super::wire;

/// The largest body accepted, as the original's and nginx's `client_max_body_size 4k`.
pub const MAX_BODY: usize = 4096;
/// How much of a too-large body is read and thrown away so the connection can be reused;
/// beyond this the connection is closed after the 413.
pub const DRAIN_LIMIT: usize = 64 * 1024;

/// The filter serving the receiver.
pub type ReceiverFilter = warp::filters::BoxedFilter<(warp::reply::Response,)>;

/// The shared defaults (`request_timeout` 15 s, `max_concurrent` 64, anyone allowed in), with
/// the original's body limit.
pub fn receiver_limits() -> Limits {
    Limits {
        max_body: MAX_BODY,
        ..Limits::default()
    }
}

/// The receiver's intake: `limits`, counted into `counters` under `name`, refusing in the
/// original's words. A `POST`'s bearer token is checked before its body is read, as the
/// original did, so callers without the secret cannot hold slots with slow bodies.
pub fn receiver_intake(
    name: &str,
    limits: Limits,
    counters: Arc<SinkCounters>,
    receiver: &Receiver,
) -> Arc<Intake> {
    let limit = limits.max_body;
    let secret = receiver.secret().clone();
    Intake::builder(name, limits, counters)
        .drain_refused_bodies(DRAIN_LIMIT)
        .wording(move |refusal| wire::wording(refusal, limit))
        .check_head(move |method, headers| {
            if *method != Method::POST {
                return Ok(());
            }
            let authorization = headers.get("authorization").map(|v| v.as_bytes());
            verify_bearer(std::slice::from_ref(&secret), authorization).map_err(wire::unauthorized)
        })
        .build()
}

/// `GET` and `POST` on `/` and `/checkins`.
pub fn routes() -> Vec<RouteSpec> {
    ["/", "/checkins"]
        .into_iter()
        .flat_map(|path| [RouteSpec::new("GET", path), RouteSpec::new("POST", path)])
        .collect()
}

/// Only the receiver's routes; anything else is rejected so that other sinks on a shared
/// listener get to answer it: the receiver as a sink in the bot.
pub fn sink_filter(intake: &Arc<Intake>, receiver: Arc<Receiver>) -> ReceiverFilter {
    // One intake for the four routes, matched at once: with a filter per route tried in turn,
    // POST /checkins cost three rejections first (with it: about 7% more check-ins/s in
    // `CHECKIN_SQLITE_SYNC=normal`, 63-65k against 68-70k on the bench).
    intake.serve_routes(&routes(), move |request| {
        let receiver = receiver.clone();
        async move { answer(&receiver, request).await }
    })
}

/// Every request, whatever its method or path, is answered (never rejected): the standalone
/// receiver, which owns its listener. Other paths get `404 {"error":"not found"}` (for `GET`
/// and `POST`) and other methods `501 {"error":"not implemented"}`, as the original.
pub fn receiver_filter(intake: &Arc<Intake>, receiver: Arc<Receiver>) -> ReceiverFilter {
    let fallback = intake.serve_fallback(|request| async move {
        Err(match request.method {
            Method::GET | Method::POST => wire::not_found(),
            _ => wire::not_implemented(),
        })
    });
    sink_filter(intake, receiver).or(fallback).unify().boxed()
}

async fn answer(receiver: &Receiver, request: SinkRequest) -> HandlerResult {
    if request.method == Method::GET {
        receiver.health()
    } else {
        receiver.post(request).await
    }
}
