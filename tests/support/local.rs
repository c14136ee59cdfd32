//! Building real local plugins for tests and benchmarks: the Rust examples with cargo, the C
//! ones with cc, into the test's own target folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` of the running test binary (`target/<profile>/deps/<binary>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf()
}

/// Builds a workspace cdylib with cargo (once per test binary) and returns its library.
pub fn cargo_cdylib(package: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let profile = profile_dir();
    BUILT.get_or_init(|| {
        let target_dir = profile.parent().expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args([
                "build",
                "--quiet",
                "-p",
                "hello-native",
                "-p",
                "faulty-native",
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(repo());
        if profile.file_name().is_some_and(|n| n == "release") {
            command.arg("--release");
        }
        let status = command.status().expect("run cargo build");
        assert!(
            status.success(),
            "cargo build of the example plugins failed"
        );
    });
    let file = format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    );
    let path = profile.join(file);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Compiles C sources into a shared library at `out`, with the SDK header on the include path.
pub fn cc_library(source: &Path, out: &Path, defines: &[&str]) {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).expect("plugin folder");
    }
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-O2"])
        .arg("-I")
        .arg(repo().join("sdk/include"))
        .args(defines)
        .arg("-o")
        .arg(out)
        .arg(source)
        .status()
        .expect("run cc (scripts/test installs gcc)");
    assert!(status.success(), "cc failed for {}", source.display());
}

/// The C example, built into `out`; `name` renames the plugin and its command.
pub fn hello_c(out: &Path, name: Option<&str>) {
    let define = name.map(|n| format!("-DHELLO_NAME=\"{n}\""));
    cc_library(
        &repo().join("local/examples/hello-c/hello.c"),
        out,
        define
            .as_slice()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
    );
}

/// Copies a folder (one level deep, as the examples are).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy file");
    }
}

/// Drops the exec fixture `tests/fixtures/NAME_exec.py` into `plugins/NAME/` as the Python
/// plugin `NAME` and returns that folder.
pub fn drop_exec_fixture(plugins: &Path, name: &str) -> PathBuf {
    let dir = plugins.join(name);
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::copy(
        repo().join(format!("tests/fixtures/{name}_exec.py")),
        dir.join(format!("{name}.py")),
    )
    .expect("copy");
    std::fs::write(
        dir.join("plugin.toml"),
        format!("name = \"{name}\"\ncommand = \"python3\"\nargs = [\"{name}.py\"]\n"),
    )
    .expect("write");
    dir
}

/// The hanging exec fixture (`tests/fixtures/hangs_exec.py`): it says hello only once a `go`
/// file is in its folder.
pub fn drop_hangs(plugins: &Path) -> PathBuf {
    drop_exec_fixture(plugins, "hangs")
}
