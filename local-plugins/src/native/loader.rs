//! Opening a plugin library and checking its descriptor before any other plugin code runs.
#![allow(unsafe_code)] // dlopen, the entry symbol call and the descriptor read are FFI

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libloading::Library;
use switchboard_plugin_sdk::abi::{read_fixed, EntryFn, PluginDescriptor};
use switchboard_plugin_sdk::{ABI_VERSION, ENTRY_SYMBOL, SDK_VERSION, TARGET};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot copy the library for loading: {0}")]
    Copy(std::io::Error),
    #[error("cannot load the library: {0}")]
    Open(libloading::Error),
    #[error("not a Switchboard plugin: it exports no `switchboard_plugin_entry_v1`")]
    NoEntry,
    #[error("the entry symbol returned no descriptor")]
    NullDescriptor,
    #[error("ABI version {found} differs from the host's {expected}; rebuild the plugin against this SDK")]
    AbiVersion { found: u32, expected: u32 },
    #[error("descriptor is {found} bytes, the host needs at least {expected}")]
    StructSize { found: u32, expected: u32 },
    #[error("built with SDK {found}, the host has SDK {expected} (major.minor must match)")]
    SdkVersion { found: String, expected: String },
    #[error("built for target `{found}`, the host is `{expected}`")]
    Target { found: String, expected: String },
    #[error("descriptor field `{0}` is not NUL-terminated UTF-8")]
    BadText(&'static str),
    #[error("plugin name `{0}` is not valid: use letters, digits, `-` and `_`")]
    BadName(String),
    #[error("descriptor function `{0}` is missing")]
    MissingFunction(&'static str),
    #[error("init failed: {0}")]
    Init(String),
    #[error("init did not finish within {0:?}")]
    InitTimeout(std::time::Duration),
    #[error("declarations are not valid: {0}")]
    Declarations(String),
}

/// A checked, loaded library. The mapping is never unloaded (see `load`).
pub struct NativeLibrary {
    pub name: String,
    pub descriptor: &'static PluginDescriptor,
}

/// Loads a private copy of `path` (so a reload of a changed file gets the new code rather than
/// the loader's cached mapping) and checks its descriptor.
///
/// The library is leaked on purpose: unloading runs the plugin's TLS destructors after its code
/// is gone, which crashes (libloading #41), and musl cannot unload at all.
pub fn load(path: &Path) -> Result<NativeLibrary, LoadError> {
    let (dir, copy) = private_copy(path).map_err(LoadError::Copy)?;
    // SAFETY: loading runs the library's initialisers. We only load from the operator's own
    // plugin folder (documented), which is the trust boundary for native plugins.
    let opened = unsafe { Library::new(&copy) };
    // The mapping stays valid without its file: nothing is left in the temporary folder.
    let _ = std::fs::remove_file(&copy);
    let _ = std::fs::remove_dir(&dir);
    let library: &'static Library = Box::leak(Box::new(opened.map_err(LoadError::Open)?));
    // SAFETY: the symbol's type is fixed by ABI v1: `extern "C" fn() -> *const PluginDescriptor`.
    let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }.map_err(|_| LoadError::NoEntry)?;
    // SAFETY: the entry function takes nothing and returns a pointer to a static.
    let raw = unsafe { entry() };
    if raw.is_null() {
        return Err(LoadError::NullDescriptor);
    }
    // The first two fields are read alone: a descriptor of another ABI may be shorter.
    // SAFETY: every ABI version starts with these two u32 fields; the pointer is non-null.
    let (abi_version, struct_size) = unsafe {
        (
            (*raw).abi_version,
            std::ptr::addr_of!((*raw).struct_size).read(),
        )
    };
    if abi_version != ABI_VERSION {
        return Err(LoadError::AbiVersion {
            found: abi_version,
            expected: ABI_VERSION,
        });
    }
    let expected = std::mem::size_of::<PluginDescriptor>() as u32;
    if struct_size < expected {
        return Err(LoadError::StructSize {
            found: struct_size,
            expected,
        });
    }
    // SAFETY: same ABI version and at least our size: the whole struct is readable and lives
    // in the leaked library's static data.
    let descriptor: &'static PluginDescriptor = unsafe { &*raw };
    check(descriptor)?;
    let name = read_fixed(&descriptor.name)
        .ok_or(LoadError::BadText("name"))?
        .to_string();
    Ok(NativeLibrary { name, descriptor })
}

fn check(descriptor: &PluginDescriptor) -> Result<(), LoadError> {
    let sdk = read_fixed(&descriptor.sdk_version).ok_or(LoadError::BadText("sdk_version"))?;
    if major_minor(sdk) != major_minor(SDK_VERSION) {
        return Err(LoadError::SdkVersion {
            found: sdk.into(),
            expected: SDK_VERSION.into(),
        });
    }
    let target =
        read_fixed(&descriptor.target_triple).ok_or(LoadError::BadText("target_triple"))?;
    if target != TARGET {
        return Err(LoadError::Target {
            found: target.into(),
            expected: TARGET.into(),
        });
    }
    let name = read_fixed(&descriptor.name).ok_or(LoadError::BadText("name"))?;
    if !super::super::manifest::valid_name(name) {
        return Err(LoadError::BadName(name.into()));
    }
    for (present, which) in [
        (descriptor.init.is_some(), "init"),
        (descriptor.call.is_some(), "call"),
        (descriptor.free_buffer.is_some(), "free_buffer"),
    ] {
        if !present {
            return Err(LoadError::MissingFunction(which));
        }
    }
    Ok(())
}

fn major_minor(version: &str) -> (&str, &str) {
    let mut parts = version.split('.');
    (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
}

/// A copy of the library under a name no earlier load used, in a folder of its own that only
/// we can write: (the folder, the copy).
fn private_copy(path: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("switchboard-plugins-{}-{n}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into());
    let copy = dir.join(file);
    if let Err(e) = std::fs::copy(path, &copy) {
        let _ = std::fs::remove_dir(&dir);
        return Err(e);
    }
    Ok((dir, copy))
}
