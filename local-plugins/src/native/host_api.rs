//! The host services a native plugin calls back into: log, publish, send, storage, config.
//!
//! Calls come from the plugin's worker thread while the host is calling the plugin; the
//! context of that call is kept in a thread-local, so a plugin never needs the host's tokio or
//! tracing globals.
#![allow(unsafe_code)] // C callbacks reading buffers the plugin lends

use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::Arc;

use switchboard_plugin_sdk::abi::{Buffer, Bytes, HostApi, STATUS_ABSENT, STATUS_ERROR, STATUS_OK};
use switchboard_plugin_sdk::SendTarget;

use switchboard_api::context::Context;
use switchboard_api::event::{Custom, Event, Target};

/// The context of the call in progress on this worker thread.
pub(super) struct CallScope {
    pub ctx: Context,
    pub runtime: tokio::runtime::Handle,
}

thread_local! {
    static CURRENT: RefCell<Option<CallScope>> = const { RefCell::new(None) };
}

/// Runs `f` with `scope` as the current call's context on this thread.
pub(super) fn with_scope<T>(scope: Option<CallScope>, f: impl FnOnce() -> T) -> T {
    CURRENT.with(|c| *c.borrow_mut() = scope);
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = None);
    out
}

struct HostCtx {
    plugin: String,
}

/// A host table for one loaded library. Leaked with the library: both live as long as the process.
pub(super) fn host_api(plugin: &str) -> &'static HostApi {
    let ctx: &'static HostCtx = Box::leak(Box::new(HostCtx {
        plugin: plugin.to_string(),
    }));
    Box::leak(Box::new(HostApi {
        struct_size: std::mem::size_of::<HostApi>() as u32,
        ctx: ctx as *const HostCtx as *const c_void,
        log,
        publish,
        send,
        kv_get,
        kv_put,
        config,
        free_buffer,
    }))
}

/// # Safety
/// `ctx` is a pointer made by `host_api`.
unsafe fn plugin_of<'a>(ctx: *const c_void) -> &'a str {
    // SAFETY: the caller's contract; HostCtx is leaked, so it outlives every call.
    unsafe { &(*(ctx as *const HostCtx)).plugin }
}

/// # Safety
/// `bytes` is readable for its length during the call.
unsafe fn text<'a>(bytes: Bytes) -> Option<&'a str> {
    if bytes.ptr.is_null() {
        return Some("");
    }
    // SAFETY: the caller's contract.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(bytes.ptr, bytes.len) }).ok()
}

fn in_scope<T>(f: impl FnOnce(&CallScope) -> T) -> Option<T> {
    CURRENT.with(|c| c.borrow().as_ref().map(f))
}

/// # Safety
/// `out` is null or writable.
unsafe fn fill(out: *mut Buffer, bytes: Vec<u8>) -> i32 {
    if out.is_null() {
        return STATUS_ERROR;
    }
    // SAFETY: the caller's contract.
    unsafe { out.write(Buffer::from_vec(bytes)) };
    STATUS_OK
}

unsafe extern "C" fn log(ctx: *const c_void, level: u32, message: Bytes) {
    // SAFETY: the plugin passes back our ctx and lends the message for this call.
    let (plugin, message) = unsafe { (plugin_of(ctx), text(message).unwrap_or("<non-UTF-8>")) };
    match level {
        1 => tracing::error!(plugin, "{message}"),
        2 => tracing::warn!(plugin, "{message}"),
        3 => tracing::info!(plugin, "{message}"),
        4 => tracing::debug!(plugin, "{message}"),
        _ => tracing::trace!(plugin, "{message}"),
    }
}

unsafe extern "C" fn publish(_ctx: *const c_void, topic: Bytes, payload: Bytes) -> i32 {
    // SAFETY: both lent for this call.
    let (Some(topic), Some(payload)) = (unsafe { text(topic) }, unsafe { text(payload) }) else {
        return STATUS_ERROR;
    };
    let Ok(payload) = serde_json::from_str(payload) else {
        return STATUS_ERROR;
    };
    let event = Event::Custom(Arc::new(Custom {
        topic: topic.to_string(),
        payload,
    }));
    in_scope(|scope| scope.ctx.publish(event)).map_or(STATUS_ERROR, |()| STATUS_OK)
}

unsafe extern "C" fn send(_ctx: *const c_void, message: Bytes) -> i32 {
    // SAFETY: lent for this call.
    let Some(message) = (unsafe { text(message) }) else {
        return STATUS_ERROR;
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(message) else {
        return STATUS_ERROR;
    };
    let (Ok(target), Some(text)) = (
        serde_json::from_value::<SendTarget>(value.clone()),
        value.get("text").and_then(|t| t.as_str()),
    ) else {
        return STATUS_ERROR;
    };
    let target = match (target.channel, target.user) {
        (Some(channel), None) => Target::channel(target.connector, channel),
        (None, Some(user)) => Target::direct(target.connector, user),
        _ => return STATUS_ERROR,
    };
    in_scope(|scope| scope.runtime.block_on(scope.ctx.send(target, text))).map_or(
        STATUS_ERROR,
        |sent| match sent {
            Ok(()) => STATUS_OK,
            Err(e) => {
                tracing::warn!(error = %e, "a native plugin's send failed");
                STATUS_ERROR
            }
        },
    )
}

unsafe extern "C" fn kv_get(_ctx: *const c_void, key: Bytes, out: *mut Buffer) -> i32 {
    // SAFETY: lent for this call.
    let Some(key) = (unsafe { text(key) }) else {
        return STATUS_ERROR;
    };
    match in_scope(|scope| scope.runtime.block_on(scope.ctx.storage().get(key))) {
        // SAFETY: the plugin gives a writable out buffer.
        Some(Ok(Some(value))) => unsafe { fill(out, value.into_bytes()) },
        Some(Ok(None)) => STATUS_ABSENT,
        _ => STATUS_ERROR,
    }
}

unsafe extern "C" fn kv_put(_ctx: *const c_void, key: Bytes, value: Bytes) -> i32 {
    // SAFETY: both lent for this call.
    let (Some(key), Some(value)) = (unsafe { text(key) }, unsafe { text(value) }) else {
        return STATUS_ERROR;
    };
    match in_scope(|scope| scope.runtime.block_on(scope.ctx.storage().put(key, value))) {
        Some(Ok(())) => STATUS_OK,
        _ => STATUS_ERROR,
    }
}

unsafe extern "C" fn config(ctx: *const c_void, out: *mut Buffer) -> i32 {
    // SAFETY: the plugin passes back our ctx.
    let plugin = unsafe { plugin_of(ctx) };
    let section = in_scope(|scope| crate::section_values(&scope.ctx.config(), plugin));
    match section {
        // SAFETY: the plugin gives a writable out buffer.
        Some(values) => unsafe {
            fill(
                out,
                serde_json::Value::from(values).to_string().into_bytes(),
            )
        },
        None => STATUS_ERROR,
    }
}

unsafe extern "C" fn free_buffer(buffer: Buffer) {
    // SAFETY: every buffer we hand out is made by Buffer::from_vec in this binary.
    drop(unsafe { buffer.into_vec() });
}
