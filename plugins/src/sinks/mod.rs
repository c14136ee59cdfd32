//! The built-in sinks: HTTP routes where other systems deliver events.

pub mod checkin_receiver;
