//! The HTTP machinery every sink shares: listeners (plain or TLS) that serve warp filters until
//! a token is cancelled, the per-sink intake (limits, counters, request ids), signature
//! verification, idempotency keys and JSON error replies.
//!
//! A sink builds its filter with [`Intake::serve`]; the runtime groups sinks by address and
//! serves each group with [`BoundListener`]. Other servers (the check-in receiver) use
//! [`serve`] directly.

mod counters;
mod idempotency;
mod intake;
mod limits;
mod listener;
mod reply;
mod route;
mod settings;
pub mod signing;
pub mod tls;

pub use counters::{CounterSnapshot, SinkCounterTable, SinkCounters};
pub use idempotency::IdempotencyKeys;
pub use intake::{Answer, HandlerResult, Intake, SinkRequest};
pub use limits::{parse_net, Limits};
pub use listener::{
    combine, is_loopback, serve, BoundListener, ConnectionLimits, ListenerError, PeerAddr,
};
pub use reply::{json_error, json_ok, unmatched, MethodNotAllowed, Refusal};
pub use route::{path_segments, route_filter};
pub use settings::{key_error, ListenerKeys, ListenerSettings};
pub use tls::{TlsError, TlsFiles};
