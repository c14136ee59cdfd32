//! Records the target triple so a plugin and the host can check they were built for the same one.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=SWITCHBOARD_SDK_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
