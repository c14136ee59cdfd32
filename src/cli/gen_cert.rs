//! `switchboard gen-cert`: a self-signed certificate and key for TLS on localhost.

use super::logging::say;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use switchboard_api::http::tls::self_signed;

#[derive(Args, Debug)]
pub struct GenCertArgs {
    /// The folder to write cert.pem and key.pem into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A host name or IP address the certificate is for; repeat for more.
    /// Default: localhost and 127.0.0.1.
    #[arg(long = "host")]
    pub hosts: Vec<String>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: GenCertArgs) -> ExitCode {
    match generate(&args) {
        Ok((cert, key)) => {
            println!("wrote {} and {}", cert.display(), key.display());
            println!("use them in a sink section:");
            println!("certfile = {}", cert.display());
            println!("keyfile = {}", key.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            say!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: &GenCertArgs) -> Result<(PathBuf, PathBuf), String> {
    let hosts = if args.hosts.is_empty() {
        vec!["localhost".to_string(), "127.0.0.1".to_string()]
    } else {
        args.hosts.clone()
    };
    let cert_path = args.out.join("cert.pem");
    let key_path = args.out.join("key.pem");
    for path in [&cert_path, &key_path] {
        if path.exists() && !args.force {
            return Err(format!(
                "{} exists; pass --force to overwrite it",
                path.display()
            ));
        }
    }
    let pair = self_signed(&hosts).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    write(&cert_path, &pair.cert_pem, false)?;
    write(&key_path, &pair.key_pem, true)?;
    Ok((cert_path, key_path))
}

fn write(path: &Path, text: &str, private: bool) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
