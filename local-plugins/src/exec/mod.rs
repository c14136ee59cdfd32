//! Exec local plugins: a child process speaking JSON lines on stdin/stdout, restarted with
//! backoff when it dies.

mod host;
mod line_reader;
mod output_log;
mod process;
mod protocol;

pub use process::{ExecBackend, ExecError, ExecSpec};
pub use protocol::PROTOCOL_VERSION;
