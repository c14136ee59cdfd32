//! The built-in HTTP sinks: `jsonrpc` (hangoutsbot-compatible) and `webhook` (signed webhooks).

pub mod jsonrpc;
mod target;
pub mod webhook;

pub use target::conversation_of;
