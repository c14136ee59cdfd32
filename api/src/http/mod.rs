//! The HTTP machinery every sink shares: listeners (plain or TLS) that serve warp filters until
//! a token is cancelled, the per-sink intake (limits, counters, request ids), the catalogue of
//! refusals, signature verification, idempotency keys and JSON answers.
//!
//! A sink builds its filter with [`Intake::serve`]; the runtime groups sinks by address and
//! serves each group with [`BoundListener`]. Other servers (the standalone check-in receiver)
//! use [`serve`] directly, with the same intake in front of their handlers.

mod counters;
mod idempotency;
mod intake;
mod limits;
mod listener;
mod refusal;
mod reply;
mod request_id;
mod route;
mod settings;
pub mod signing;
pub mod tls;

pub use counters::{CounterSnapshot, SinkCounterTable, SinkCounters};
pub use idempotency::IdempotencyKeys;
pub use intake::{Answer, HandlerResult, HeadCheck, Intake, IntakeBuilder, SinkRequest, Wording};
pub use limits::{parse_net, Limits, NotANetwork};
pub use listener::{
    combine, is_loopback, serve, BoundListener, ConnectionLimits, ListenerError, PeerAddr,
};
pub use refusal::{catalogue, Refusal, RefusalKind};
pub use reply::{json_ok, unmatched};
pub use request_id::{RequestIds, REQUEST_ID};
pub use route::{path_segments, route_filter, routes_filter};
pub use settings::{key_error, ListenerKeys, ListenerSettings};
pub use tls::{TlsError, TlsFiles};
/// The status codes refusals answer with (re-exported for [`define_refusal!`](crate::define_refusal)).
pub use warp::http::StatusCode;
