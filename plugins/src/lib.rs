//! Switchboard's built-in plugins, one folder per kind and one file or folder per plugin.

pub mod commands;
pub mod connectors;
pub mod services;
pub mod sinks;

use std::sync::Arc;

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
