//! The stable C ABI for Switchboard's native local plugins, and a safe Rust layer over it.
//!
//! A plugin is a `cdylib` that exports one symbol, [`ENTRY_SYMBOL`], returning a pointer to a
//! [`abi::PluginDescriptor`]. Everything crossing the boundary is `#[repr(C)]`; requests and
//! replies are UTF-8 JSON (see [`protocol`]), and whoever allocates a buffer frees it.
//!
//! A Rust plugin implements [`NativePlugin`] and calls [`export_plugin!`]; a C plugin includes
//! `include/switchboard_plugin.h`.

pub mod abi;
pub mod export;
pub mod host;
pub mod protocol;

pub use host::{Host, HostError, Level};
pub use protocol::{
    CommandDeclaration, CommandRequest, Declarations, EventRequest, HttpRequest, HttpResponse,
    Request, RouteDeclaration, SendTarget,
};

/// The ABI version this SDK speaks; the host refuses any other.
pub const ABI_VERSION: u32 = 1;
/// The name of the one symbol a plugin exports, NUL-terminated.
pub const ENTRY_SYMBOL: &[u8] = b"switchboard_plugin_entry_v1\0";
/// This SDK's version, written into every descriptor.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The target triple this SDK was compiled for.
pub const TARGET: &str = env!("SWITCHBOARD_SDK_TARGET");

/// What a Rust plugin implements. Calls may come from a host thread other than the one that
/// built the plugin, one at a time.
pub trait NativePlugin: Send + Sync + 'static {
    /// The commands, topics and routes the plugin offers; read once, when the host loads it.
    fn declarations(&self) -> Declarations;

    /// Runs one command; `Ok(None)` answers nothing, `Err` is shown to the user as is.
    fn command(&self, call: CommandRequest, host: &Host) -> Result<Option<String>, String>;

    /// An event on a topic the plugin declared.
    fn event(&self, _event: EventRequest, _host: &Host) -> Result<(), String> {
        Ok(())
    }

    /// A request on one of the plugin's routes.
    fn http(&self, _request: HttpRequest, _host: &Host) -> HttpResponse {
        HttpResponse::json(404, serde_json::json!({"error": "no such route"}))
    }
}
