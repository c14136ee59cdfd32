//! Dropping plugins into a scratch folder's `local/plugins/`, as an operator would.

use std::path::PathBuf;

use super::local::{cargo_cdylib, copy_dir, repo};
use super::Scratch;

/// `local/plugins/` of the scratch folder, made when missing.
pub fn plugins(scratch: &Scratch) -> PathBuf {
    let dir = scratch.path().join("local/plugins");
    std::fs::create_dir_all(&dir).expect("plugins folder");
    dir
}

/// Builds the workspace cdylib `package` and drops it into `local/plugins/`.
pub fn drop_native(scratch: &Scratch, package: &str) -> PathBuf {
    let to = plugins(scratch).join(format!("lib{}.so", package.replace('-', "_")));
    std::fs::copy(cargo_cdylib(package), &to).expect("copy library");
    to
}

/// Copies the hello-exec example into `local/plugins/`.
pub fn drop_exec_example(scratch: &Scratch) -> PathBuf {
    let to = plugins(scratch).join("hello-exec");
    copy_dir(&repo().join("local/examples/hello-exec"), &to);
    to
}
