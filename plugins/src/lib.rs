//! Switchboard's built-in plugins, one folder per kind and one file or folder per plugin.

pub mod commands;
pub mod connectors;
pub mod services;
pub mod sinks;

use std::sync::Arc;

/// Internals the fuzz targets in `fuzz/` call directly; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::connectors::console::stdin_lines::{next_line, InputLine};
}

use switchboard_api::Plugin;

/// Every built-in plugin, in registration order.
pub fn builtins() -> Vec<Arc<dyn Plugin>> {
    let mut plugins = commands::all();
    plugins.push(Arc::new(connectors::console::ConsolePlugin));
    plugins.push(Arc::new(services::checkin::CheckinPlugin));
    plugins.push(Arc::new(sinks::checkin_receiver::CheckinReceiverPlugin));
    plugins.push(Arc::new(sinks::jsonrpc::JsonRpcPlugin));
    plugins.push(Arc::new(sinks::webhook::WebhookPlugin));
    plugins
}
