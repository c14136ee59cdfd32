//! TLS for listeners (rustls with the ring provider) and self-signed certificates (rcgen) for
//! operators who want TLS on localhost.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where a listener's certificate and key are. Without `keyfile`, `certfile` holds both (as
/// hangoutsbot's single PEM did).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFiles {
    /// The PEM certificate (chain), and the key too when `keyfile` is not given.
    pub certfile: PathBuf,
    /// The PEM private key, when it is in a file of its own.
    pub keyfile: Option<PathBuf>,
}

impl TlsFiles {
    /// The file the private key is read from.
    pub fn key_path(&self) -> &Path {
        self.keyfile.as_deref().unwrap_or(&self.certfile)
    }
}

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{} holds no PEM certificate", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key.
    #[error("{} holds no PEM private key", path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// A file is not valid PEM.
    #[error("{}: {message}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
    /// rustls refused the certificate and key.
    #[error("the certificate and key cannot be used together: {0}")]
    Rustls(#[from] rustls::Error),
    /// A self-signed certificate could not be made.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
}

impl TlsError {
    /// The file at fault, when one is.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TlsError::Read { path, .. }
            | TlsError::NoCertificate { path }
            | TlsError::NoKey { path }
            | TlsError::Pem { path, .. } => Some(path),
            TlsError::Rustls(_) | TlsError::Generate(_) => None,
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the PEM files into a server configuration that speaks HTTP/1.1.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_pem = read(&files.certfile)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: files.certfile.clone(),
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: files.certfile.clone(),
        });
    }
    let key_path = files.key_path();
    let key_pem = if files.keyfile.is_some() {
        read(key_path)?
    } else {
        cert_pem
    };
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: key_path.to_path_buf(),
        },
        other => TlsError::Pem {
            path: key_path.to_path_buf(),
            message: other.to_string(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A self-signed certificate and its private key, both PEM.
pub struct SelfSigned {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM.
    pub key_pem: String,
}

/// A self-signed certificate valid for `hosts` (DNS names or IP addresses).
pub fn self_signed(hosts: &[String]) -> Result<SelfSigned, TlsError> {
    let certified = rcgen::generate_simple_self_signed(hosts.to_vec())
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    Ok(SelfSigned {
        cert_pem: certified.cert.pem(),
        key_pem: certified.key_pair.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_loads_from_two_files_or_one() {
        let dir = tempfile::tempdir().unwrap();
        let pair = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let both = dir.path().join("both.pem");
        std::fs::write(&cert, &pair.cert_pem).unwrap();
        std::fs::write(&key, &pair.key_pem).unwrap();
        std::fs::write(&both, format!("{}{}", pair.cert_pem, pair.key_pem)).unwrap();
        let config = server_config(&TlsFiles {
            certfile: cert.clone(),
            keyfile: Some(key),
        })
        .unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        server_config(&TlsFiles {
            certfile: both,
            keyfile: None,
        })
        .unwrap();
        let missing_key = server_config(&TlsFiles {
            certfile: cert.clone(),
            keyfile: None,
        })
        .unwrap_err();
        assert_eq!(
            missing_key.to_string(),
            format!("{} holds no PEM private key", cert.display())
        );
    }
}
