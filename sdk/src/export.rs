//! What [`export_plugin!`](crate::export_plugin) expands to: the C-ABI exports, each wrapped in
//! `catch_unwind` so a panic becomes `STATUS_PANIC` instead of aborting the host.
#![allow(unsafe_code)] // the exported functions read and write raw buffers from the host

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use crate::abi::{
    fixed, Buffer, Bytes, HostApi, PluginDescriptor, STATUS_ERROR, STATUS_OK, STATUS_PANIC,
};
use crate::host::Host;
use crate::protocol::Request;
use crate::NativePlugin;

/// The plugin instance and the host it was given, built by `init`.
pub struct Instance {
    plugin: Box<dyn NativePlugin>,
    host: Host,
}

pub type InitFn = unsafe extern "C" fn(*const HostApi, *mut Buffer) -> i32;
pub type CallFn = unsafe extern "C" fn(Bytes, *mut Buffer) -> i32;

/// The descriptor for a plugin named `name` with the given exports.
pub const fn descriptor(
    name: &str,
    init: InitFn,
    call: CallFn,
    free_buffer: unsafe extern "C" fn(Buffer),
) -> PluginDescriptor {
    PluginDescriptor {
        abi_version: crate::ABI_VERSION,
        struct_size: std::mem::size_of::<PluginDescriptor>() as u32,
        sdk_version: fixed(crate::SDK_VERSION),
        target_triple: fixed(crate::TARGET),
        name: fixed(name),
        init: Some(init),
        call: Some(call),
        free_buffer: Some(free_buffer),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Writes `bytes` to `out` (when the host gave one) and returns `status`.
///
/// # Safety
/// `out` is null or points to a writable `Buffer`.
unsafe fn answer(out: *mut Buffer, status: i32, bytes: Vec<u8>) -> i32 {
    if !out.is_null() {
        // SAFETY: the caller's contract.
        unsafe { out.write(Buffer::from_vec(bytes)) };
    }
    status
}

/// `init`: builds the plugin once and answers its declarations.
///
/// # Safety
/// `host` is the host's table, valid forever; `out` is null or writable.
pub unsafe fn init(
    instance: &OnceLock<Instance>,
    host: *const HostApi,
    out: *mut Buffer,
    make: fn() -> Box<dyn NativePlugin>,
) -> i32 {
    if host.is_null() {
        // SAFETY: forwarded contract.
        return unsafe { answer(out, STATUS_ERROR, b"no host table".to_vec()) };
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let plugin = instance.get_or_init(|| Instance {
            plugin: make(),
            // SAFETY: `host` is the host's table, valid forever.
            host: unsafe { Host::from_raw(host) },
        });
        serde_json::to_vec(&plugin.plugin.declarations())
    }));
    // SAFETY: forwarded contract.
    unsafe {
        match outcome {
            Ok(Ok(json)) => answer(out, STATUS_OK, json),
            Ok(Err(e)) => answer(out, STATUS_ERROR, e.to_string().into_bytes()),
            Err(panic) => answer(out, STATUS_PANIC, panic_text(panic.as_ref()).into_bytes()),
        }
    }
}

/// `call`: one JSON request in, one JSON answer out.
///
/// # Safety
/// `request` is readable for its length during the call; `out` is null or writable.
pub unsafe fn call(instance: &OnceLock<Instance>, request: Bytes, out: *mut Buffer) -> i32 {
    let Some(instance) = instance.get() else {
        // SAFETY: forwarded contract.
        return unsafe { answer(out, STATUS_ERROR, b"call before init".to_vec()) };
    };
    let input = if request.ptr.is_null() {
        &[][..]
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(request.ptr, request.len) }
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<u8>, String> {
        let request: Request =
            serde_json::from_slice(input).map_err(|e| format!("bad request: {e}"))?;
        let plugin = &instance.plugin;
        let host = &instance.host;
        let reply = match request {
            Request::Command(call) => {
                serde_json::json!({ "reply": plugin.command(call, host)? })
            }
            Request::Event(event) => {
                plugin.event(event, host)?;
                serde_json::json!({})
            }
            Request::Http(request) => {
                serde_json::to_value(plugin.http(request, host)).map_err(|e| e.to_string())?
            }
        };
        Ok(reply.to_string().into_bytes())
    }));
    // SAFETY: forwarded contract.
    unsafe {
        match outcome {
            Ok(Ok(json)) => answer(out, STATUS_OK, json),
            Ok(Err(message)) => answer(out, STATUS_ERROR, message.into_bytes()),
            Err(panic) => answer(out, STATUS_PANIC, panic_text(panic.as_ref()).into_bytes()),
        }
    }
}

/// `free_buffer`: takes back a buffer this plugin handed out.
///
/// # Safety
/// `buffer` was produced by this plugin's `init` or `call` and is freed once.
pub unsafe fn free(buffer: Buffer) {
    // SAFETY: the caller's contract; Buffer::from_vec made it in this binary.
    drop(unsafe { buffer.into_vec() });
}

/// Exports a [`NativePlugin`](crate::NativePlugin) as a Switchboard native plugin.
///
/// ```
/// use switchboard_plugin_sdk::{export_plugin, CommandRequest, Declarations, Host, NativePlugin};
///
/// #[derive(Default)]
/// struct Quiet;
///
/// impl NativePlugin for Quiet {
///     fn declarations(&self) -> Declarations {
///         Declarations::default()
///     }
///     fn command(&self, _: CommandRequest, _: &Host) -> Result<Option<String>, String> {
///         Ok(None)
///     }
/// }
///
/// export_plugin!("quiet", Quiet::default);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($name:literal, $make:expr) => {
        static __SWITCHBOARD_INSTANCE: ::std::sync::OnceLock<$crate::export::Instance> =
            ::std::sync::OnceLock::new();

        #[allow(unsafe_code)]
        unsafe extern "C" fn __switchboard_init(
            host: *const $crate::abi::HostApi,
            out: *mut $crate::abi::Buffer,
        ) -> i32 {
            fn make() -> ::std::boxed::Box<dyn $crate::NativePlugin> {
                ::std::boxed::Box::new(($make)())
            }
            // SAFETY: the host calls this with its table and an output buffer.
            unsafe { $crate::export::init(&__SWITCHBOARD_INSTANCE, host, out, make) }
        }

        #[allow(unsafe_code)]
        unsafe extern "C" fn __switchboard_call(
            request: $crate::abi::Bytes,
            out: *mut $crate::abi::Buffer,
        ) -> i32 {
            // SAFETY: the host lends the request for the call and gives an output buffer.
            unsafe { $crate::export::call(&__SWITCHBOARD_INSTANCE, request, out) }
        }

        #[allow(unsafe_code)]
        unsafe extern "C" fn __switchboard_free(buffer: $crate::abi::Buffer) {
            // SAFETY: the host returns each buffer this plugin filled exactly once.
            unsafe { $crate::export::free(buffer) }
        }

        static __SWITCHBOARD_DESCRIPTOR: $crate::abi::PluginDescriptor = $crate::export::descriptor(
            $name,
            __switchboard_init,
            __switchboard_call,
            __switchboard_free,
        );

        /// The entry symbol the host looks up; it only returns a pointer to a static.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn switchboard_plugin_entry_v1() -> *const $crate::abi::PluginDescriptor {
            &__SWITCHBOARD_DESCRIPTOR
        }
    };
}
