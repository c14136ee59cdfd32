//! What the repository keeps out of commits: an operator's config (it holds secrets), TLS
//! private keys and databases.

use std::process::Command;

#[test]
fn operator_files_with_secrets_or_data_are_ignored_by_git() {
    let root = env!("CARGO_MANIFEST_DIR");
    for path in [
        "config.ini",
        "tls/key.pem",
        "tls/cert.pem",
        "data/store.db",
        "checkins.db",
        "checkins.db-wal",
        "local/config.ini",
    ] {
        let status = Command::new("git")
            .args(["check-ignore", "--quiet", "--no-index", path])
            .current_dir(root)
            .status()
            .expect("git runs");
        assert!(status.success(), "{path} is not ignored by .gitignore");
    }
    // What the repository does ship stays in.
    for path in ["config.ini.example", "local/README.md", "Cargo.toml"] {
        let status = Command::new("git")
            .args(["check-ignore", "--quiet", "--no-index", path])
            .current_dir(root)
            .status()
            .expect("git runs");
        assert!(!status.success(), "{path} is ignored by .gitignore");
    }
}
