//! The `#[repr(C)]` types at the boundary; `include/switchboard_plugin.h` mirrors them exactly.
//! Nothing here is generic, and no `&str`, `Option` of a non-pointer or `dyn` crosses.

use std::ffi::c_void;

/// The call succeeded; the output buffer holds JSON.
pub const STATUS_OK: i32 = 0;
/// The call failed; the output buffer holds a UTF-8 message.
pub const STATUS_ERROR: i32 = 1;
/// The plugin panicked; the output buffer holds the panic message.
pub const STATUS_PANIC: i32 = 2;
/// A host lookup found nothing (e.g. `kv_get` of an absent key).
pub const STATUS_ABSENT: i32 = 3;

/// Bytes lent for the duration of one call; the receiver copies what it keeps.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Bytes {
    pub ptr: *const u8,
    pub len: usize,
}

/// Bytes handed over: the receiver gives them back to the allocating side's `free_buffer`.
#[repr(C)]
#[derive(Debug)]
pub struct Buffer {
    pub ptr: *mut u8,
    pub len: usize,
    /// The allocation's capacity, for the allocator that made it; opaque to the receiver.
    pub cap: usize,
}

impl Buffer {
    pub const EMPTY: Buffer = Buffer {
        ptr: std::ptr::null_mut(),
        len: 0,
        cap: 0,
    };

    /// Hands a byte vector over; free it with [`Buffer::free`] on the same side.
    pub fn from_vec(bytes: Vec<u8>) -> Buffer {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        Buffer {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
        }
    }

    /// Takes back a buffer made by [`Buffer::from_vec`] on this side of the boundary.
    ///
    /// # Safety
    /// `self` must come from `from_vec` in the same binary and not have been freed.
    #[allow(unsafe_code)]
    pub unsafe fn into_vec(self) -> Vec<u8> {
        if self.ptr.is_null() {
            return Vec::new();
        }
        // SAFETY: the caller guarantees ptr/len/cap came from a Vec<u8> of this allocator.
        unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) }
    }
}

pub type FreeBufferFn = unsafe extern "C" fn(buffer: Buffer);

/// The host's services, passed to `init`. `ctx` is the host's and is passed back on every call;
/// the table and `ctx` stay valid for as long as the process runs.
#[repr(C)]
pub struct HostApi {
    pub struct_size: u32,
    pub ctx: *const c_void,
    /// Logs one line into the host's log; `level` is 1 error .. 5 trace.
    pub log: unsafe extern "C" fn(ctx: *const c_void, level: u32, message: Bytes),
    /// Publishes `{topic, payload}` on the bot's bus; `payload` is JSON.
    pub publish: unsafe extern "C" fn(ctx: *const c_void, topic: Bytes, payload: Bytes) -> i32,
    /// Sends a chat message; `message` is JSON `{"connector", "channel" or "user", "text"}`.
    pub send: unsafe extern "C" fn(ctx: *const c_void, message: Bytes) -> i32,
    /// Reads the plugin's storage: `STATUS_OK` with the value in `out`, or `STATUS_ABSENT`.
    pub kv_get: unsafe extern "C" fn(ctx: *const c_void, key: Bytes, out: *mut Buffer) -> i32,
    pub kv_put: unsafe extern "C" fn(ctx: *const c_void, key: Bytes, value: Bytes) -> i32,
    /// The plugin's config section as a JSON object of strings, in `out`.
    pub config: unsafe extern "C" fn(ctx: *const c_void, out: *mut Buffer) -> i32,
    /// Frees a buffer the host filled.
    pub free_buffer: FreeBufferFn,
}

/// What the entry symbol returns. The host reads `abi_version`, `struct_size`, `sdk_version`
/// and `target_triple` before it calls anything; fields are only ever appended.
#[repr(C)]
pub struct PluginDescriptor {
    pub abi_version: u32,
    pub struct_size: u32,
    /// NUL-terminated UTF-8.
    pub sdk_version: [u8; 32],
    pub target_triple: [u8; 64],
    pub name: [u8; 64],
    /// Called once with the host's services; fills `out` with the declarations JSON.
    pub init: Option<unsafe extern "C" fn(host: *const HostApi, out: *mut Buffer) -> i32>,
    /// One request (JSON) in, one reply (JSON, or a message for a non-OK status) out.
    pub call: Option<unsafe extern "C" fn(request: Bytes, out: *mut Buffer) -> i32>,
    /// Frees a buffer the plugin filled.
    pub free_buffer: Option<FreeBufferFn>,
}

pub type EntryFn = unsafe extern "C" fn() -> *const PluginDescriptor;

/// A fixed-size, NUL-terminated field; text that does not fit is cut at a character boundary.
pub const fn fixed<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut out = [0u8; N];
    let mut len = if bytes.len() < N { bytes.len() } else { N - 1 };
    while len > 0 && len < bytes.len() && (bytes[len] & 0xC0) == 0x80 {
        len -= 1;
    }
    let mut i = 0;
    while i < len {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// The text of a fixed-size field up to its first NUL; `None` when it is not UTF-8 or has no NUL.
pub fn read_fixed(field: &[u8]) -> Option<&str> {
    let end = field.iter().position(|b| *b == 0)?;
    std::str::from_utf8(&field[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields_round_trip_and_cut_on_char_boundaries() {
        let field: [u8; 8] = fixed("hello");
        assert_eq!(read_fixed(&field), Some("hello"));
        let cut: [u8; 4] = fixed("héllo");
        assert_eq!(read_fixed(&cut), Some("hé"));
        assert_eq!(read_fixed(&[b'a'; 4]), None);
    }
}
