//! The receiver's routes as one warp filter, wire-compatible with the original
//! `scripts/checkin_receiver.py`: same paths, statuses and JSON bodies, with its bugs fixed
//! (413 for big bodies, 401 for non-ASCII tokens, typed fields, no connection left in a
//! broken state). Every request's body is read before the answer, so keep-alive connections
//! stay usable after an error.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use warp::http::{header, HeaderMap, Method, StatusCode};
use warp::{Buf, Filter};

use super::auth::{verify_token, Secret};
use super::db::{DbTarget, ReceiverDb, ReceiverDbError};
use super::validate::{parse_checkin, BodyError, CheckinRecord};

/// The largest body accepted, as the original's and nginx's `client_max_body_size 4k`.
pub const MAX_BODY: usize = 4096;
/// How much of a too-large body is read and thrown away so the connection can be reused;
/// beyond this the connection is closed after the 413.
const DRAIN_LIMIT: usize = 64 * 1024;

type AcceptHook = Box<dyn Fn(&CheckinRecord) + Send + Sync>;

/// What the routes need: the secret and the database (opened now or on first use).
pub struct Receiver {
    secret: Secret,
    db: tokio::sync::OnceCell<ReceiverDb>,
    target: DbTarget,
    on_accept: Option<AcceptHook>,
}

impl Receiver {
    pub fn new(secret: Secret, db: ReceiverDb, target: DbTarget) -> Receiver {
        Receiver {
            secret,
            db: tokio::sync::OnceCell::new_with(Some(db)),
            target,
            on_accept: None,
        }
    }

    /// Opens the database on the first check-in (and again after a failed attempt).
    pub fn lazy(secret: Secret, target: DbTarget) -> Receiver {
        Receiver {
            secret,
            db: tokio::sync::OnceCell::new(),
            target,
            on_accept: None,
        }
    }

    /// Called with every check-in once it is stored.
    pub fn on_accept(mut self, hook: impl Fn(&CheckinRecord) + Send + Sync + 'static) -> Self {
        self.on_accept = Some(Box::new(hook));
        self
    }

    async fn db(&self) -> Result<&ReceiverDb, ReceiverDbError> {
        self.db
            .get_or_try_init(|| ReceiverDb::open(&self.target))
            .await
    }
}

pub type ReceiverFilter = warp::filters::BoxedFilter<(warp::reply::Response,)>;

/// Every request, whatever its method or path, is answered by this filter (never rejected):
/// the standalone receiver, which owns its listener.
pub fn receiver_filter(receiver: Arc<Receiver>) -> ReceiverFilter {
    handler(receiver).boxed()
}

/// Only `GET` and `POST` on `/` and `/checkins`; anything else is rejected so that other
/// sinks on a shared listener get to answer it.
pub fn sink_filter(receiver: Arc<Receiver>) -> ReceiverFilter {
    let own_route = warp::method()
        .and(warp::path::full())
        .and_then(|method: Method, path: warp::path::FullPath| async move {
            let routed = matches!(path.as_str(), "/" | "/checkins");
            if routed && (method == Method::GET || method == Method::POST) {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one();
    own_route.and(handler(receiver)).boxed()
}

fn handler(
    receiver: Arc<Receiver>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::method()
        .and(warp::path::full())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(move |method, path: warp::path::FullPath, headers, body| {
            let receiver = receiver.clone();
            async move { handle(&receiver, method, path.as_str(), &headers, body).await }
        })
}

enum Body {
    Complete(Vec<u8>),
    TooLarge,
    Broken,
}

async fn handle<S, B>(
    receiver: &Receiver,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: S,
) -> warp::reply::Response
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let declared_too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY as u64);
    let body = read_body(body, declared_too_large).await;
    let routed = path == "/" || path == "/checkins";
    match method {
        Method::GET if routed => json(StatusCode::OK, r#"{"status":"ok"}"#),
        Method::GET | Method::POST if !routed => not_found(),
        Method::POST => post(receiver, headers, body).await,
        _ => json(
            StatusCode::NOT_IMPLEMENTED,
            r#"{"error":"not implemented"}"#,
        ),
    }
}

async fn post(receiver: &Receiver, headers: &HeaderMap, body: Body) -> warp::reply::Response {
    let auth = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    if !verify_token(auth, &receiver.secret) {
        return json(StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#);
    }
    let body = match body {
        Body::Complete(bytes) => bytes,
        Body::TooLarge => {
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"error":"body too large","limit":4096}"#,
            )
        }
        Body::Broken => return json(StatusCode::BAD_REQUEST, r#"{"error":"invalid json"}"#),
    };
    let record = match parse_checkin(&body) {
        Ok(record) => record,
        Err(e) => return bad_request(&e),
    };
    let db = match receiver.db().await {
        Ok(db) => db,
        Err(e) => {
            tracing::error!(error = %e, "the check-in database is unavailable");
            return internal_error();
        }
    };
    // Kept only where it is needed after the record has gone to the writer.
    let for_hook = receiver
        .on_accept
        .as_ref()
        .map(|hook| (hook, record.clone()));
    let packet_hash = record.packet_hash.clone();
    match db.upsert(record).await {
        Ok(()) => {
            if let Some((hook, record)) = for_hook {
                hook(&record);
            }
            json(StatusCode::CREATED, "{}")
        }
        Err(e) => {
            tracing::error!(error = %e, %packet_hash, "check-in not stored");
            internal_error()
        }
    }
}

/// Reads up to [`MAX_BODY`] bytes; a larger body is drained up to [`DRAIN_LIMIT`] and refused.
async fn read_body<S, B>(body: S, declared_too_large: bool) -> Body
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = body.next().await {
        let Ok(mut chunk) = chunk else {
            return Body::Broken;
        };
        while chunk.has_remaining() {
            let part = chunk.chunk();
            seen += part.len();
            if seen <= MAX_BODY && !declared_too_large {
                bytes.extend_from_slice(part);
            }
            let n = part.len();
            chunk.advance(n);
        }
        if seen > DRAIN_LIMIT {
            return Body::TooLarge;
        }
    }
    if declared_too_large || seen > MAX_BODY {
        Body::TooLarge
    } else {
        Body::Complete(bytes)
    }
}

fn bad_request(error: &BodyError) -> warp::reply::Response {
    let body = match error {
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
    json(StatusCode::BAD_REQUEST, body)
}

fn not_found() -> warp::reply::Response {
    json(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#)
}

fn internal_error() -> warp::reply::Response {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error":"internal error"}"#,
    )
}

fn json(status: StatusCode, body: impl Into<String>) -> warp::reply::Response {
    let mut response = warp::reply::Response::new(body.into().into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves `filter` on `listener` until `shutdown` resolves: the standalone receiver.
pub async fn serve(
    filter: ReceiverFilter,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    warp::serve(filter)
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}
