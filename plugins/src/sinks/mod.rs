//! The built-in HTTP sinks: `jsonrpc` (hangoutsbot-compatible), `webhook` (signed webhooks) and
//! `checkin_receiver` (the check-in API).

pub mod checkin_receiver;
pub mod jsonrpc;
mod target;
pub mod webhook;

pub use target::{conversation_of, ConversationError, MAX_CONVERSATION_ID};
