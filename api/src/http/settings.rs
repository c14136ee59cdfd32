//! The listener and limit keys every sink section accepts, and reading them.

use std::path::PathBuf;
use std::time::Duration;

use super::limits::{parse_net, Limits};
use super::tls::{server_config, TlsFiles};
use crate::config::{ConfigError, KeySpec, SectionView, ValueKind};
use crate::sink::ListenerAddr;

/// The keys of a sink's listener and limits, before the sink's own.
pub fn listener_keys() -> Vec<KeySpec> {
    use ValueKind::*;
    vec![
        KeySpec::new("bind", Text, "The address to listen on. Sinks with the same bind and port share one server.").default("127.0.0.1"),
        KeySpec::new("port", Integer, "The TCP port to listen on."),
        KeySpec::new("certfile", Text, "PEM certificate (chain) for TLS, relative to the config file. Without it the listener speaks plain HTTP."),
        KeySpec::new("keyfile", Text, "PEM private key for TLS. Without it the key is read from `certfile` (one PEM holding both, as hangoutsbot used)."),
        KeySpec::new("max_body_size", Integer, "Largest request body in bytes; larger ones are answered 413.").default("65536"),
        KeySpec::new("request_timeout", Duration, "How long reading and handling one request may take; then 408.").default("15s"),
        KeySpec::new("max_concurrent", Integer, "Requests this sink handles at once; more are answered 503.").default("64"),
        KeySpec::new("allow_from", List, "Client addresses or networks allowed in (e.g. `127.0.0.1, 10.0.0.0/8`); empty allows all. Others get 403."),
        KeySpec::new("trusted_proxies", List, "Proxies whose `X-Forwarded-For` names the client for `allow_from`; from anyone else it is ignored."),
    ]
}

/// A sink's listener and limits as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSettings {
    pub addr: ListenerAddr,
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
}

impl ListenerSettings {
    /// Reads the keys of [`listener_keys`]; TLS files are loaded now so a bad certificate is a
    /// config error with its line, not a failure at start.
    pub fn read(view: &SectionView<'_>, base: &crate::config::Config) -> Result<Self, ConfigError> {
        let addr = ListenerAddr {
            bind: view.get("bind")?,
            port: view.get("port")?,
        };
        let path = |key: &str| -> Result<Option<PathBuf>, ConfigError> {
            Ok(view
                .get_opt::<String>(key)?
                .filter(|p| !p.is_empty())
                .map(|p| base.resolve(p)))
        };
        let tls = match path("certfile")? {
            Some(certfile) => {
                let files = TlsFiles {
                    certfile,
                    keyfile: path("keyfile")?,
                };
                server_config(&files).map_err(|e| key_error(view, "certfile", e.to_string()))?;
                Some(files)
            }
            None if path("keyfile")?.is_some() => {
                return Err(key_error(
                    view,
                    "keyfile",
                    "`keyfile` needs `certfile`".into(),
                ))
            }
            None => None,
        };
        let nets = |key: &str| -> Result<Vec<ipnet::IpNet>, ConfigError> {
            view.get_opt::<Vec<String>>(key)?
                .unwrap_or_default()
                .iter()
                .map(|n| parse_net(n).map_err(|m| key_error(view, key, m)))
                .collect()
        };
        let limits = Limits {
            max_body: view.get("max_body_size")?,
            request_timeout: view.get::<Duration>("request_timeout")?,
            max_concurrent: view.get("max_concurrent")?,
            allow_from: nets("allow_from")?,
            trusted_proxies: nets("trusted_proxies")?,
        };
        if limits.max_concurrent == 0 {
            return Err(key_error(
                view,
                "max_concurrent",
                "must be at least 1".into(),
            ));
        }
        Ok(ListenerSettings { addr, tls, limits })
    }

    /// How the listener is served, for the registry's share key: sinks share an address only
    /// when they agree on it.
    pub fn share_key(&self) -> String {
        match &self.tls {
            Some(files) => format!("tls: {}", files.certfile.display()),
            None => "plain".into(),
        }
    }
}

/// An error on one key of `view`, at the line it was set.
pub fn key_error(view: &SectionView<'_>, key: &str, message: String) -> ConfigError {
    let origin = view
        .raw(key)
        .map(|(_, origin)| origin)
        .unwrap_or(crate::config::Origin::Default);
    ConfigError::at(origin, message)
        .in_section(view.name())
        .for_key(key)
}
