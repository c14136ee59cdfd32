//! Exec local plugins: a child process speaking JSON lines on stdin/stdout, restarted with
//! backoff when it dies.

mod host;
pub(crate) mod line_reader;
pub(crate) mod output_log;
mod process;
pub(crate) mod protocol;

pub use process::{ExecBackend, ExecError, ExecSpec};
pub use protocol::PROTOCOL_VERSION;
