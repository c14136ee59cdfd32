//! The listener and limit keys every sink section accepts, and reading them.

use std::path::PathBuf;
use std::time::Duration;

use super::limits::{parse_net, Limits};
use super::tls::{server_config, TlsFiles};
use crate::config::{ConfigError, SectionView};
use crate::sink::ListenerAddr;

crate::config_section! {
    /// The listener and limit keys every sink section accepts, before its own.
    pub struct ListenerKeys {
        /// The address to listen on (`0.0.0.0` for every interface). Sinks with the same bind
        /// and port share one server.
        #[key(default = "127.0.0.1")]
        pub bind: String,
        /// The TCP port to listen on.
        #[key(example = "9002")]
        pub port: u16,
        /// PEM certificate (chain) for TLS, relative to the config file (`switchboard gen-cert
        /// --out tls` writes one). Without it the listener speaks plain HTTP.
        #[key(example = "tls/cert.pem")]
        pub certfile: Option<String>,
        /// PEM private key for TLS. Without it the key is read from `certfile` (one PEM holding
        /// both, as hangoutsbot used).
        #[key(example = "tls/key.pem")]
        pub keyfile: Option<String>,
        /// Largest request body in bytes; larger ones are answered `413`.
        #[key(default = "65536")]
        pub max_body_size: usize,
        /// How long reading and handling one request may take; then `408`.
        #[key(default = "15s")]
        pub request_timeout: Duration,
        /// Requests this sink handles at once; more are answered `503` (retry later). At
        /// least 1.
        #[key(default = "64")]
        pub max_concurrent: usize,
        /// Client addresses or networks allowed in (e.g. `127.0.0.1, 10.0.0.0/8`); others get
        /// `403`.
        #[key(default_doc = "everyone")]
        pub allow_from: Option<Vec<String>>,
        /// Proxies whose `X-Forwarded-For` names the client for `allow_from`. From any other
        /// peer the header is ignored, and the socket's peer address is the client.
        pub trusted_proxies: Option<Vec<String>>,
    }
}

/// A sink's listener and limits as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSettings {
    /// Where it listens (`bind`, `port`).
    pub addr: ListenerAddr,
    /// The certificate and key when it speaks TLS (`certfile`, `keyfile`).
    pub tls: Option<TlsFiles>,
    /// The intake's limits (`max_body_size` ... `trusted_proxies`).
    pub limits: Limits,
    /// Where the listener is configured, for errors at start: `config.ini:3: [Sink.jsonrpc]
    /// port`.
    pub configured_at: String,
}

impl ListenerSettings {
    /// Reads the keys of [`ListenerKeys`]; TLS files are loaded now so a bad certificate is a
    /// config error with its line, not a failure at start.
    pub fn read(view: &SectionView<'_>, base: &crate::config::Config) -> Result<Self, ConfigError> {
        Self::from_keys(view.read()?, view, base)
    }

    /// [`read`](Self::read) from keys already read out of `view`, as part of a sink's own
    /// section struct.
    pub fn from_keys(
        keys: ListenerKeys,
        view: &SectionView<'_>,
        base: &crate::config::Config,
    ) -> Result<Self, ConfigError> {
        if !is_bindable(&keys.bind) {
            return Err(key_error(
                view,
                "bind",
                format!(
                    "`{}` is not an IP address or host name (e.g. `127.0.0.1`, `0.0.0.0`, `::1`)",
                    keys.bind
                ),
            ));
        }
        let addr = ListenerAddr {
            bind: keys.bind,
            port: keys.port,
        };
        let path = |p: &Option<String>| -> Option<PathBuf> {
            p.as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| base.resolve(p))
        };
        let tls = match path(&keys.certfile) {
            Some(certfile) => {
                let files = TlsFiles {
                    certfile,
                    keyfile: path(&keys.keyfile),
                };
                server_config(&files).map_err(|e| {
                    // Reported at the key that names the file at fault.
                    let key = match (e.path(), files.keyfile.as_deref()) {
                        (Some(path), Some(keyfile)) if path == keyfile => "keyfile",
                        _ => "certfile",
                    };
                    key_error(view, key, e.to_string())
                })?;
                Some(files)
            }
            None if path(&keys.keyfile).is_some() => {
                return Err(key_error(
                    view,
                    "keyfile",
                    "`keyfile` needs `certfile`".into(),
                ))
            }
            None => None,
        };
        let nets =
            |key: &str, nets: Option<Vec<String>>| -> Result<Vec<ipnet::IpNet>, ConfigError> {
                nets.unwrap_or_default()
                    .iter()
                    .map(|n| parse_net(n).map_err(|e| key_error(view, key, e.to_string())))
                    .collect()
            };
        let limits = Limits {
            max_body: keys.max_body_size,
            request_timeout: keys.request_timeout,
            max_concurrent: keys.max_concurrent,
            allow_from: nets("allow_from", keys.allow_from)?,
            trusted_proxies: nets("trusted_proxies", keys.trusted_proxies)?,
        };
        if limits.max_concurrent == 0 {
            return Err(key_error(
                view,
                "max_concurrent",
                "must be at least 1".into(),
            ));
        }
        let port_origin = view
            .raw("port")
            .map(|(_, origin)| origin)
            .unwrap_or(crate::config::Origin::Default);
        let configured_at = format!("{port_origin}: [{}] port", view.name());
        Ok(ListenerSettings {
            addr,
            tls,
            limits,
            configured_at,
        })
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

/// Whether `bind` can be bound: an IP address, or a host name (letters, digits, `-` and `.`, not
/// only digits and dots: `999.1.1.1` is a mistyped address, not a name).
fn is_bindable(bind: &str) -> bool {
    if bind.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name_like = bind
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let address_like = bind.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    !bind.is_empty() && bind.len() <= 253 && name_like && !address_like
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
