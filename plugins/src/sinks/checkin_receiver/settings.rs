//! The standalone receiver's settings, from the original's environment variables plus ours.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use switchboard_api::http::signing::Secret;
use switchboard_api::http::TlsFiles;

use super::db::{DbTarget, SqliteSync};

/// The bearer secret clients must send, from its text: surrounding whitespace is dropped, and
/// an empty secret is none (the receiver refuses to run without one).
pub fn receiver_secret(text: &str) -> Option<Secret> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| Secret::new(trimmed))
}

#[derive(Debug)]
pub struct ReceiverSettings {
    pub secret: Secret,
    pub addr: SocketAddr,
    pub target: DbTarget,
    /// `CHECKIN_CERTFILE` and `CHECKIN_KEYFILE`: serve HTTPS with them.
    pub tls: Option<TlsFiles>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("CHECKIN_API_SECRET is not set: the receiver refuses to run without a secret")]
    NoSecret,
    #[error("CHECKIN_PORT must be a port number (0-65535; 0 picks a free one), found {0:?}")]
    BadPort(String),
    #[error("CHECKIN_BIND must be an IP address such as 127.0.0.1, found {0:?}")]
    BadBind(String),
    #[error("CHECKIN_SQLITE_SYNC must be `full` or `normal`, found {0:?}")]
    BadSync(String),
    #[error("CHECKIN_DATABASE_URL must start with postgres:// or postgresql://")]
    BadDatabaseUrl,
    #[error("CHECKIN_KEYFILE is set without CHECKIN_CERTFILE")]
    KeyWithoutCertificate,
}

impl ReceiverSettings {
    /// Reads `CHECKIN_API_SECRET` (required), `CHECKIN_PORT` (9999), `CHECKIN_BIND`
    /// (127.0.0.1), `CHECKIN_DB_PATH` (./checkins.db), `CHECKIN_SQLITE_SYNC` (full),
    /// `CHECKIN_DATABASE_URL`, and `CHECKIN_CERTFILE` with `CHECKIN_KEYFILE` (HTTPS; without
    /// a key file the key is read from the certificate file). The files are read when the
    /// listener starts.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let secret = set("CHECKIN_API_SECRET")
            .and_then(|s| receiver_secret(&s))
            .ok_or(SettingsError::NoSecret)?;
        let port = match set("CHECKIN_PORT") {
            None => 9999,
            Some(p) => p
                .trim()
                .parse::<u16>()
                .ok()
                .ok_or(SettingsError::BadPort(p))?,
        };
        let bind: IpAddr = match set("CHECKIN_BIND") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(b) => b.trim().parse().map_err(|_| SettingsError::BadBind(b))?,
        };
        let sync = match set("CHECKIN_SQLITE_SYNC") {
            None => SqliteSync::Full,
            Some(v) if v.trim().eq_ignore_ascii_case("full") => SqliteSync::Full,
            Some(v) if v.trim().eq_ignore_ascii_case("normal") => SqliteSync::Normal,
            Some(v) => return Err(SettingsError::BadSync(v)),
        };
        let target = match set("CHECKIN_DATABASE_URL") {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                DbTarget::Postgres(url)
            }
            Some(_) => return Err(SettingsError::BadDatabaseUrl),
            None => DbTarget::Sqlite(
                PathBuf::from(set("CHECKIN_DB_PATH").unwrap_or_else(|| "checkins.db".into())),
                sync,
            ),
        };
        let tls = match (set("CHECKIN_CERTFILE"), set("CHECKIN_KEYFILE")) {
            (Some(certfile), keyfile) => Some(TlsFiles {
                certfile: PathBuf::from(certfile),
                keyfile: keyfile.map(PathBuf::from),
            }),
            (None, Some(_)) => return Err(SettingsError::KeyWithoutCertificate),
            (None, None) => None,
        };
        Ok(ReceiverSettings {
            secret,
            addr: SocketAddr::new(bind, port),
            target,
            tls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_are_the_originals() {
        let s = ReceiverSettings::from_env(env(&[("CHECKIN_API_SECRET", "x")])).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:9999");
        assert_eq!(
            s.target,
            DbTarget::Sqlite("checkins.db".into(), SqliteSync::Full)
        );
        assert_eq!(s.tls, None);
    }

    #[test]
    fn a_certificate_turns_on_tls_and_a_key_alone_is_an_error() {
        let s = ReceiverSettings::from_env(env(&[
            ("CHECKIN_API_SECRET", "x"),
            ("CHECKIN_CERTFILE", "/etc/checkin/cert.pem"),
            ("CHECKIN_KEYFILE", "/etc/checkin/key.pem"),
        ]))
        .unwrap();
        assert_eq!(
            s.tls,
            Some(TlsFiles {
                certfile: "/etc/checkin/cert.pem".into(),
                keyfile: Some("/etc/checkin/key.pem".into()),
            })
        );
        let both = ReceiverSettings::from_env(env(&[
            ("CHECKIN_API_SECRET", "x"),
            ("CHECKIN_CERTFILE", "both.pem"),
        ]))
        .unwrap();
        assert_eq!(both.tls.map(|t| t.keyfile), Some(None));
        assert_eq!(
            ReceiverSettings::from_env(env(&[
                ("CHECKIN_API_SECRET", "x"),
                ("CHECKIN_KEYFILE", "key.pem"),
            ]))
            .unwrap_err(),
            SettingsError::KeyWithoutCertificate
        );
    }

    #[test]
    fn the_secret_is_trimmed_and_an_empty_one_is_none_and_never_printed() {
        assert!(receiver_secret("  ").is_none());
        let secret = receiver_secret(" hunter2\n").unwrap();
        assert_eq!(secret.bytes(), b"hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn refuses_to_run_without_a_secret_or_with_a_bad_port() {
        assert_eq!(
            ReceiverSettings::from_env(env(&[])).unwrap_err(),
            SettingsError::NoSecret
        );
        assert_eq!(
            ReceiverSettings::from_env(env(&[
                ("CHECKIN_API_SECRET", "x"),
                ("CHECKIN_PORT", "http")
            ]))
            .unwrap_err(),
            SettingsError::BadPort("http".into())
        );
    }

    #[test]
    fn a_database_url_overrides_the_sqlite_path_and_is_never_printed_whole() {
        let s = ReceiverSettings::from_env(env(&[
            ("CHECKIN_API_SECRET", "x"),
            ("CHECKIN_DB_PATH", "/tmp/x.db"),
            (
                "CHECKIN_DATABASE_URL",
                "postgres://u:hunter2@db:5433/checkins",
            ),
        ]))
        .unwrap();
        assert!(matches!(s.target, DbTarget::Postgres(_)));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db:5433/checkins"), "{shown}");
    }
}
