//! The plugin's view of the host's services: safe calls through the [`HostApi`] table.
#![allow(unsafe_code)] // calls through the host's C function table

use std::collections::BTreeMap;

use crate::abi::{Buffer, Bytes, HostApi, STATUS_ABSENT, STATUS_OK};
use crate::protocol::SendTarget;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostError {}

/// The host's services. Storage, send, publish and config work while the host is calling the
/// plugin (inside `command`, `event`, `http`); logging works at any time.
pub struct Host {
    api: *const HostApi,
}

// SAFETY: the host documents its table and context as valid for the life of the process and
// callable from any thread.
unsafe impl Send for Host {}
unsafe impl Sync for Host {}

fn bytes(text: &[u8]) -> Bytes {
    Bytes {
        ptr: text.as_ptr(),
        len: text.len(),
    }
}

impl Host {
    /// Wraps the table the host passed to `init`.
    ///
    /// # Safety
    /// `api` must be the pointer the host passed to `init`.
    pub unsafe fn from_raw(api: *const HostApi) -> Host {
        Host { api }
    }

    fn api(&self) -> &HostApi {
        // SAFETY: `from_raw`'s contract: the host keeps the table alive forever.
        unsafe { &*self.api }
    }

    pub fn log(&self, level: Level, message: &str) {
        let api = self.api();
        // SAFETY: the host's function, called with its own ctx and a live borrowed slice.
        unsafe { (api.log)(api.ctx, level as u32, bytes(message.as_bytes())) }
    }

    pub fn publish(&self, topic: &str, payload: &serde_json::Value) -> Result<(), HostError> {
        let api = self.api();
        let payload = payload.to_string();
        // SAFETY: as in `log`.
        let status =
            unsafe { (api.publish)(api.ctx, bytes(topic.as_bytes()), bytes(payload.as_bytes())) };
        check(status, "publish")
    }

    pub fn send(&self, target: &SendTarget, text: &str) -> Result<(), HostError> {
        let api = self.api();
        let mut message = serde_json::to_value(target).map_err(|e| HostError(e.to_string()))?;
        message["text"] = serde_json::Value::String(text.into());
        let message = message.to_string();
        // SAFETY: as in `log`.
        let status = unsafe { (api.send)(api.ctx, bytes(message.as_bytes())) };
        check(status, "send")
    }

    pub fn kv_get(&self, key: &str) -> Result<Option<String>, HostError> {
        let api = self.api();
        let mut out = Buffer::EMPTY;
        // SAFETY: as in `log`; `out` is a live, writable Buffer.
        let status = unsafe { (api.kv_get)(api.ctx, bytes(key.as_bytes()), &mut out) };
        match status {
            STATUS_ABSENT => Ok(None),
            STATUS_OK => self.take(out).map(Some),
            other => Err(HostError(format!("kv_get failed (status {other})"))),
        }
    }

    pub fn kv_put(&self, key: &str, value: &str) -> Result<(), HostError> {
        let api = self.api();
        // SAFETY: as in `log`.
        let status =
            unsafe { (api.kv_put)(api.ctx, bytes(key.as_bytes()), bytes(value.as_bytes())) };
        check(status, "kv_put")
    }

    /// The plugin's config section, key to value.
    pub fn config(&self) -> Result<BTreeMap<String, String>, HostError> {
        let api = self.api();
        let mut out = Buffer::EMPTY;
        // SAFETY: as in `kv_get`.
        let status = unsafe { (api.config)(api.ctx, &mut out) };
        check(status, "config")?;
        let text = self.take(out)?;
        serde_json::from_str(&text).map_err(|e| HostError(format!("config is not JSON: {e}")))
    }

    /// Copies a host-filled buffer and gives it back to the host.
    fn take(&self, out: Buffer) -> Result<String, HostError> {
        let copied = if out.ptr.is_null() {
            Vec::new()
        } else {
            // SAFETY: the host filled ptr/len and keeps it valid until free_buffer.
            unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec()
        };
        // SAFETY: the buffer came from the host and is returned exactly once.
        unsafe { (self.api().free_buffer)(out) };
        String::from_utf8(copied).map_err(|_| HostError("the host sent non-UTF-8 text".into()))
    }
}

fn check(status: i32, what: &str) -> Result<(), HostError> {
    if status == STATUS_OK {
        Ok(())
    } else {
        Err(HostError(format!("{what} failed (status {status})")))
    }
}
