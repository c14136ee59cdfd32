//! A SQLite VFS that hands a transaction's WAL frames to the kernel in one write (per 64 KiB)
//! instead of two per page. SQLite writes each frame as two calls, its 24-byte header and then
//! its page, and a commit of a few dozen scattered pages cost the check-in receiver about an
//! eighth of its CPU in those calls alone (`perf`, `cargo bench --bench checkin_load`).
//!
//! Only the `-wal` file is wrapped; the database file and everything else go straight to the
//! default VFS. Frames appended back to back are gathered in memory and written once the commit
//! frame's page arrives, so a commit is in the operating system before SQLite returns from it,
//! as without this VFS: with `synchronous = NORMAL` a kill -9 loses nothing, and with `FULL`
//! the fsync that follows covers it. What SQLite writes after the commit frame (padding to a
//! sector boundary, headers rewritten with new checksums) goes out at once. Any other call on
//! the file (a read, a sync, a size, a truncate, a write elsewhere) first writes out what is
//! gathered, so SQLite never sees the file other than it would without the buffer, and other
//! connections, which read only committed frames, find them written.
//!
//! The commit frame is recognised by the WAL file format: a frame header's bytes 4-7 hold the
//! database size after the commit, and are zero in every other frame
//! (<https://www.sqlite.org/fileformat2.html#walformat>).
#![allow(unsafe_code)] // a VFS is a table of C callbacks over file objects SQLite allocates

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

use rusqlite::{ffi, Connection, OpenFlags};

const NAME: &CStr = c"switchboard-wal-buffer";
const WAL_HEADER: i64 = 32;
const FRAME_HEADER: usize = 24;
/// Gathered bytes past which they are written without waiting for the commit (a transaction
/// that spills its page cache).
const FLUSH_AT: usize = 1 << 20;
/// The most buffer memory kept for the next transaction.
const KEEP_AT_MOST: usize = 256 << 10;
/// The most bytes handed to the default VFS in one write: it writes at most 128 KiB per call
/// and reports a disk-full error for a longer one.
const WRITE_AT_MOST: usize = 64 << 10;

/// The default VFS the wrapper forwards to.
static INNER: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(ptr::null_mut());

/// Opens (or creates) the database at `path` with its WAL written through this VFS.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    match name() {
        Ok(vfs) => Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs),
        Err(e) => {
            tracing::warn!(error = %e, "writing the SQLite WAL unbuffered");
            Connection::open(path)
        }
    }
}

/// Registers the VFS once per process and returns its name.
fn name() -> Result<&'static str, String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register).clone()?;
    NAME.to_str().map_err(|e| e.to_string())
}

fn register() -> Result<(), String> {
    // SAFETY: sqlite3_vfs_find and sqlite3_vfs_register are thread-safe; the copied VFS lives
    // for the rest of the process, as SQLite requires of a registered VFS.
    unsafe {
        let inner = ffi::sqlite3_vfs_find(ptr::null());
        if inner.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        INNER.store(inner, Ordering::Release);
        let mut vfs = *inner;
        vfs.szOsFile = c_int::try_from(inner_offset())
            .map_err(|e| e.to_string())?
            .saturating_add((*inner).szOsFile);
        vfs.zName = NAME.as_ptr();
        vfs.pNext = ptr::null_mut();
        vfs.xOpen = Some(open_file);
        let vfs = Box::leak(Box::new(vfs));
        match ffi::sqlite3_vfs_register(vfs, 0) {
            ffi::SQLITE_OK => Ok(()),
            rc => Err(format!(
                "cannot register the WAL-buffer VFS (SQLite error {rc})"
            )),
        }
    }
}

/// A `-wal` file: the default VFS's file object follows this one in the same allocation.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    gathered: Gathered,
}

/// Bytes written back to back from `start`, not yet handed to the kernel.
#[derive(Default)]
struct Gathered {
    start: i64,
    bytes: Vec<u8>,
    /// Where the page of the commit frame whose header was just written goes.
    commit_page_at: Option<i64>,
    /// Whether the commit frame has been written and no ordinary frame since.
    after_commit: bool,
}

impl Gathered {
    fn end(&self) -> i64 {
        self.start + self.bytes.len() as i64
    }

    fn push(&mut self, bytes: &[u8], offset: i64) {
        if self.bytes.is_empty() {
            self.start = offset;
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// Writes the gathered bytes to the file underneath, in pieces of at most [`WRITE_AT_MOST`].
    unsafe fn flush(&mut self, inner: *mut ffi::sqlite3_file) -> c_int {
        let Some(write) = (*(*inner).pMethods).xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let mut rc = ffi::SQLITE_OK;
        let mut offset = self.start;
        for piece in self.bytes.chunks(WRITE_AT_MOST) {
            // `piece.len()` is at most WRITE_AT_MOST, so the casts are lossless.
            rc = write(inner, piece.as_ptr().cast(), piece.len() as c_int, offset);
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += piece.len() as i64;
        }
        self.bytes.clear();
        if self.bytes.capacity() > KEEP_AT_MOST {
            self.bytes = Vec::new();
        }
        rc
    }
}

fn inner_offset() -> usize {
    std::mem::size_of::<WalFile>().next_multiple_of(16)
}

unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    file.cast::<u8>().add(inner_offset()).cast()
}

unsafe fn gathered<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Gathered {
    &mut (*file.cast::<WalFile>()).gathered
}

/// Writes out what is gathered, then runs `then`.
unsafe fn flushed(file: *mut ffi::sqlite3_file, then: impl FnOnce() -> c_int) -> c_int {
    match gathered(file).flush(inner(file)) {
        ffi::SQLITE_OK => then(),
        rc => rc,
    }
}

/// Calls the underlying file's method `$method`, or answers `$missing` if it has none.
macro_rules! forward {
    ($file:expr, $method:ident, $missing:expr $(, $arg:expr)*) => {{
        let inner = inner($file);
        match (*(*inner).pMethods).$method {
            Some(method) => method(inner $(, $arg)*),
            None => $missing,
        }
    }};
}

unsafe extern "C" fn open_file(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let inner_vfs = INNER.load(Ordering::Acquire);
    let Some(inner_open) = (*inner_vfs).xOpen else {
        return ffi::SQLITE_CANTOPEN;
    };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Not a WAL: the default VFS's object takes the whole allocation, with its own methods.
        return inner_open(inner_vfs, name, file, flags, out_flags);
    }
    let inner_file = inner(file);
    (*inner_file).pMethods = ptr::null();
    let rc = inner_open(inner_vfs, name, inner_file, flags, out_flags);
    let methods = if (*inner_file).pMethods.is_null() {
        ptr::null()
    } else {
        &METHODS as *const ffi::sqlite3_io_methods
    };
    ptr::write(
        file.cast::<WalFile>(),
        WalFile {
            base: ffi::sqlite3_file { pMethods: methods },
            gathered: Gathered::default(),
        },
    );
    rc
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let Ok(len) = usize::try_from(amount) else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
    let gathered = gathered(file);
    if !gathered.bytes.is_empty() && offset != gathered.end() {
        let rc = gathered.flush(inner(file));
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    let header = len == FRAME_HEADER && offset >= WAL_HEADER;
    let commit_header = header && bytes[4..8] != [0, 0, 0, 0];
    if offset < WAL_HEADER || (header && !commit_header) {
        // The WAL's header or an ordinary frame: a transaction's frames begin (again).
        gathered.after_commit = false;
    }
    let commits_page = gathered.commit_page_at.take() == Some(offset);
    if commit_header {
        gathered.commit_page_at = Some(offset + FRAME_HEADER as i64);
    }
    // After the commit frame SQLite may pad the WAL with copies of it, split around a sync
    // point, and rewrite frame headers alone (each after reading its frame): none of them
    // has a commit page to follow and flush it, so they go out as they come.
    let alone = gathered.after_commit || (commit_header && gathered.bytes.is_empty());
    if alone {
        return forward!(file, xWrite, ffi::SQLITE_IOERR_WRITE, data, amount, offset);
    }
    gathered.push(bytes, offset);
    if commits_page {
        gathered.after_commit = true;
        return gathered.flush(inner(file));
    }
    if gathered.bytes.len() >= FLUSH_AT {
        return gathered.flush(inner(file));
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    let flushed = gathered(file).flush(inner(file));
    let closed = forward!(file, xClose, ffi::SQLITE_OK);
    ptr::drop_in_place(file.cast::<WalFile>());
    if flushed != ffi::SQLITE_OK {
        flushed
    } else {
        closed
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    data: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    flushed(file, || {
        forward!(file, xRead, ffi::SQLITE_IOERR_READ, data, amount, offset)
    })
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    flushed(file, || {
        forward!(file, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, size)
    })
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    flushed(file, || {
        forward!(file, xSync, ffi::SQLITE_IOERR_FSYNC, flags)
    })
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    flushed(file, || {
        forward!(file, xFileSize, ffi::SQLITE_IOERR_FSTAT, size)
    })
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    flushed(file, || {
        forward!(file, xFileControl, ffi::SQLITE_NOTFOUND, op, arg)
    })
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(file, xLock, ffi::SQLITE_OK, level)
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(file, xUnlock, ffi::SQLITE_OK, level)
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    forward!(file, xCheckReservedLock, ffi::SQLITE_OK, out)
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    forward!(file, xSectorSize, 4096)
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    forward!(file, xDeviceCharacteristics, 0)
}

unsafe extern "C" fn shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    forward!(
        file,
        xShmMap,
        ffi::SQLITE_IOERR_SHMMAP,
        region,
        size,
        extend,
        out
    )
}

unsafe extern "C" fn shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    forward!(file, xShmLock, ffi::SQLITE_IOERR_SHMLOCK, offset, n, flags)
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    forward!(file, xShmBarrier, ())
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    forward!(file, xShmUnmap, ffi::SQLITE_OK, delete)
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    flushed(file, || {
        forward!(
            file,
            xFetch,
            {
                *out = ptr::null_mut();
                ffi::SQLITE_OK
            },
            offset,
            amount,
            out
        )
    })
}

unsafe extern "C" fn unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    forward!(file, xUnfetch, ffi::SQLITE_OK, offset, page)
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

#[cfg(test)]
mod tests;
