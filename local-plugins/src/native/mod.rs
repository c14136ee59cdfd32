//! Native local plugins: shared libraries speaking the SDK's C ABI.
//!
//! Loading checks the descriptor before anything else of the plugin runs; every call goes to
//! the plugin's own worker thread with a timeout; a library is never unloaded.

mod host_api;
mod loader;
mod worker;

pub use loader::{load, LoadError, NativeLibrary};
pub use worker::NativeBackend;
