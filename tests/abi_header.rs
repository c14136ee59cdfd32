//! The C header and the Rust ABI types describe the same layout: a C plugin built with the
//! header is read correctly by the host.

mod support;

use std::mem::{offset_of, size_of};
use std::process::Command;

use support::local::repo;
use switchboard_plugin_sdk::abi::{Buffer, Bytes, HostApi, PluginDescriptor};

#[test]
fn the_header_matches_the_rust_abi_types() {
    let dir = tempfile::tempdir().expect("temp dir");
    let program = dir.path().join("layout");
    let status = Command::new("cc")
        .arg("-I")
        .arg(repo().join("sdk/include"))
        .arg("-o")
        .arg(&program)
        .arg(repo().join("tests/fixtures/c/layout.c"))
        .status()
        .expect("run cc");
    assert!(status.success());
    let output = Command::new(&program)
        .output()
        .expect("run the layout program");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();

    type D = PluginDescriptor;
    let expected = format!(
        "descriptor {} {} {} {} {} {} {} {}\nhost {} {} {} {} {}\nbuffer {} {}\nabi {}\nsdk {}\ntarget {}\n",
        size_of::<D>(),
        offset_of!(D, sdk_version),
        offset_of!(D, target_triple),
        offset_of!(D, name),
        offset_of!(D, init),
        offset_of!(D, call),
        offset_of!(D, free_buffer),
        offset_of!(D, struct_size),
        size_of::<HostApi>(),
        offset_of!(HostApi, ctx),
        offset_of!(HostApi, log),
        offset_of!(HostApi, config),
        offset_of!(HostApi, free_buffer),
        size_of::<Buffer>(),
        size_of::<Bytes>(),
        switchboard_plugin_sdk::ABI_VERSION,
        switchboard_plugin_sdk::SDK_VERSION,
        switchboard_plugin_sdk::TARGET,
    );
    assert_eq!(printed, expected);
}
