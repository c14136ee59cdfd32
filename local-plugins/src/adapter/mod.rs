//! Adapters that make a local plugin's declarations into parts like any built-in's.

mod command;
mod sink;
mod supervision;
mod topics;

pub use command::LocalCommand;
pub use sink::LocalSink;
pub use supervision::Supervision;
pub use topics::TopicService;

use crate::backend::CallError;
use switchboard_api::context::Context;

/// Logs a call that failed and, for a fault, marks the plugin faulted for listings.
fn report(ctx: &Context, plugin: &str, what: &str, error: &CallError) {
    match error {
        CallError::Fault(why) => {
            tracing::error!(plugin, "{what}: plugin faulted: {why}");
            ctx.mark_faulted(plugin, why);
        }
        CallError::Unavailable(why) => tracing::warn!(plugin, "{what}: {why}"),
        CallError::Plugin(why) => tracing::info!(plugin, "{what}: {why}"),
    }
}
