//! The bearer-token check, as the original: the header must start with exactly `Bearer `;
//! the token after it is trimmed and compared in constant time.

use subtle::ConstantTimeEq;

/// The shared secret; never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// `None` for an empty secret: the receiver refuses to run without one.
    pub fn new(secret: &str) -> Option<Secret> {
        let trimmed = secret.trim();
        (!trimmed.is_empty()).then(|| Secret(trimmed.as_bytes().to_vec()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Whether the raw `Authorization` header carries the secret. Any byte sequence is a valid
/// input (non-ASCII and non-UTF-8 tokens are simply wrong, where the original crashed).
pub fn verify_token(header: Option<&[u8]>, secret: &Secret) -> bool {
    let Some(token) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let token = token.trim_ascii();
    // ct_eq on slices of different lengths is false without comparing contents; the length
    // of the secret is not treated as secret (as in the original's compare_digest).
    bool::from(token.ct_eq(&secret.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_exact_scheme_and_token() {
        let secret = Secret::new("s3cret").unwrap();
        assert!(verify_token(Some(b"Bearer s3cret"), &secret));
        assert!(verify_token(Some(b"Bearer   s3cret \t"), &secret));
        for wrong in [
            &b"bearer s3cret"[..],
            b"Bearer s3cre",
            b"Bearer s3crett",
            b"Basic s3cret",
            b"Bearer",
            b"",
            b"Bearer s\xc3\xa9cret",
            b"Bearer \xff\xfe",
        ] {
            assert!(!verify_token(Some(wrong), &secret), "{wrong:?}");
        }
        assert!(!verify_token(None, &secret));
    }

    #[test]
    fn an_empty_secret_is_refused_and_a_secret_never_prints() {
        assert!(Secret::new("  ").is_none());
        let secret = Secret::new("hunter2").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
