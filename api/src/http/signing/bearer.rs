//! Bearer tokens (`Authorization: Bearer <token>`): one set of rules for every sink that takes
//! them (the JSON sink's `api_key`, webhooks with `verify = bearer`, the check-in receiver).
//!
//! - The scheme is `Bearer` in any case (`bearer`, `BEARER`), as RFC 7235 has auth schemes.
//! - One or more spaces separate it from the token; spaces and tabs around the token are
//!   ignored.
//! - The token is compared byte for byte (case matters) with each secret, in constant time. A
//!   token that is not ASCII, or not even UTF-8, is simply not valid.

use super::{constant_time_eq, Secret};

/// Why a bearer token was refused. The messages name no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No `Authorization` header.
    #[error("the Authorization header is missing")]
    Missing,
    /// The header is not `Bearer <token>`.
    #[error("the Authorization header is not `Bearer <token>`")]
    Malformed,
    /// The token is none of the secrets.
    #[error("the bearer token is not valid")]
    Mismatch,
}

/// Checks the raw `Authorization` header against each token, in constant time (see the module
/// for the rules).
pub fn verify_bearer(tokens: &[Secret], authorization: Option<&[u8]>) -> Result<(), BearerError> {
    let header = authorization.ok_or(BearerError::Missing)?.trim_ascii();
    let space = header
        .iter()
        .position(|&b| b == b' ')
        .ok_or(BearerError::Malformed)?;
    let (scheme, token) = header.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(BearerError::Malformed);
    }
    let token = token.trim_ascii();
    if token.is_empty() {
        return Err(BearerError::Malformed);
    }
    let mut matched = false;
    // Every token is tried, so the time taken does not tell which one matched.
    for expected in tokens {
        matched |= constant_time_eq(expected.bytes(), token);
    }
    if matched {
        Ok(())
    } else {
        Err(BearerError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_in_any_case_then_the_exact_token() {
        let tokens = [Secret::new("s3cret")];
        for good in [
            &b"Bearer s3cret"[..],
            b"bearer s3cret",
            b"BEARER s3cret",
            b"Bearer   s3cret \t",
        ] {
            assert_eq!(verify_bearer(&tokens, Some(good)), Ok(()), "{good:?}");
        }
        for wrong in [
            &b"Bearer s3cre"[..],
            b"Bearer s3crett",
            b"Bearer S3CRET",
            b"Bearer s\xc3\xa9cret",
            b"Bearer \xff\xfe",
        ] {
            assert_eq!(
                verify_bearer(&tokens, Some(wrong)),
                Err(BearerError::Mismatch),
                "{wrong:?}"
            );
        }
        for malformed in [
            &b"Basic czNjcmV0"[..],
            b"Bearer",
            b"Bearer   ",
            b"",
            b"Bearer\ts3cret",
        ] {
            assert_eq!(
                verify_bearer(&tokens, Some(malformed)),
                Err(BearerError::Malformed),
                "{malformed:?}"
            );
        }
        assert_eq!(verify_bearer(&tokens, None), Err(BearerError::Missing));
    }

    #[test]
    fn any_of_several_tokens_verifies_and_a_non_ascii_secret_matches_its_bytes() {
        let tokens = [Secret::new("old"), Secret::new("sécret")];
        assert_eq!(verify_bearer(&tokens, Some(b"Bearer old")), Ok(()));
        assert_eq!(
            verify_bearer(&tokens, Some("Bearer sécret".as_bytes())),
            Ok(())
        );
    }
}
