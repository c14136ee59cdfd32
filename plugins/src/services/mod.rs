//! The built-in long-running services.

pub mod checkin;
