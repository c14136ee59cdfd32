use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

// GitHub's published example ("Validating webhook deliveries").
const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITHUB_PAYLOAD: &[u8] = b"Hello, World!";
const GITHUB_SIGNATURE_EXAMPLE: &str =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

// The Standard Webhooks specification's test vector.
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TIMESTAMP: u64 = 1614265330;
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn sw_headers<'a>(signature: &'a str, timestamp: &'a str) -> StandardHeaders<'a> {
    StandardHeaders {
        id: Some(SW_ID),
        timestamp: Some(timestamp),
        signature: Some(signature),
    }
}

#[test]
fn github_published_example_signs_and_verifies() {
    let secret = Secret::new(GITHUB_SECRET);
    assert_eq!(
        sign_github(&secret, GITHUB_PAYLOAD),
        GITHUB_SIGNATURE_EXAMPLE
    );
    assert_eq!(
        verify_github(
            std::slice::from_ref(&secret),
            Some(GITHUB_SIGNATURE_EXAMPLE),
            GITHUB_PAYLOAD
        ),
        Ok(())
    );
    assert_eq!(
        verify_github(
            std::slice::from_ref(&secret),
            Some(GITHUB_SIGNATURE_EXAMPLE),
            b"Hello, World?"
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_github(std::slice::from_ref(&secret), None, GITHUB_PAYLOAD),
        Err(SignatureError::MissingHeader(GITHUB_SIGNATURE))
    );
    let bare_hex = &GITHUB_SIGNATURE_EXAMPLE["sha256=".len()..];
    assert_eq!(
        verify_github(&[secret], Some(bare_hex), GITHUB_PAYLOAD),
        Err(SignatureError::Malformed(GITHUB_SIGNATURE))
    );
}

#[test]
fn standard_webhooks_reference_vector_signs_and_verifies() {
    let secret = Secret::standard_webhooks(SW_SECRET).unwrap();
    assert_eq!(
        sign_standard_webhooks(&secret, SW_ID, SW_TIMESTAMP as i64, SW_BODY),
        SW_SIGNATURE
    );
    let now = at(SW_TIMESTAMP + 10);
    let verify = |headers, body: &[u8]| {
        verify_standard_webhooks(
            std::slice::from_ref(&secret),
            headers,
            body,
            now,
            DEFAULT_TOLERANCE,
        )
    };
    assert_eq!(
        verify(sw_headers(SW_SIGNATURE, "1614265330"), SW_BODY),
        Ok(())
    );
    // A body, an id or a timestamp changed after signing.
    assert_eq!(
        verify(
            sw_headers(SW_SIGNATURE, "1614265330"),
            br#"{"test": 2432232315}"#
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(sw_headers(SW_SIGNATURE, "1614265331"), SW_BODY),
        Err(SignatureError::Mismatch)
    );
    let other_id = StandardHeaders {
        id: Some("msg_other"),
        ..sw_headers(SW_SIGNATURE, "1614265330")
    };
    assert_eq!(verify(other_id, SW_BODY), Err(SignatureError::Mismatch));
}

#[test]
fn standard_webhooks_accepts_any_listed_signature_and_skips_other_schemes() {
    let secret = Secret::standard_webhooks(SW_SECRET).unwrap();
    let rotating = format!("v1a,AAAA v1,bm90LWl0 {SW_SIGNATURE}");
    assert_eq!(
        verify_standard_webhooks(
            &[secret],
            sw_headers(&rotating, "1614265330"),
            SW_BODY,
            at(SW_TIMESTAMP),
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
}

#[test]
fn standard_webhooks_refuses_stale_and_future_timestamps() {
    let secret = Secret::standard_webhooks(SW_SECRET).unwrap();
    for now in [SW_TIMESTAMP + 301, SW_TIMESTAMP - 301] {
        assert_eq!(
            verify_standard_webhooks(
                std::slice::from_ref(&secret),
                sw_headers(SW_SIGNATURE, "1614265330"),
                SW_BODY,
                at(now),
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Stale)
        );
    }
    assert_eq!(
        verify_standard_webhooks(
            &[secret],
            sw_headers(SW_SIGNATURE, "yesterday"),
            SW_BODY,
            at(SW_TIMESTAMP),
            DEFAULT_TOLERANCE
        ),
        Err(SignatureError::Malformed(WEBHOOK_TIMESTAMP))
    );
}

#[test]
fn rotation_an_old_and_a_new_secret_both_verify() {
    let old = Secret::new("old secret");
    let new = Secret::new("new secret");
    let body = b"{}";
    let secrets = [new.clone(), old.clone()];
    for signer in [&old, &new] {
        assert_eq!(
            verify_github(&secrets, Some(&sign_github(signer, body)), body),
            Ok(())
        );
    }
    let stranger = Secret::new("someone else");
    assert_eq!(
        verify_github(&secrets, Some(&sign_github(&stranger, body)), body),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn stripe_signatures_with_tolerance_and_several_v1_values() {
    let secret = Secret::new("whsec_stripe_test");
    let body = br#"{"id":"evt_1","type":"charge.succeeded"}"#;
    let header = sign_stripe(&secret, 1_700_000_000, body);
    assert!(header.starts_with("t=1700000000,v1="));
    let now = at(1_700_000_100);
    assert_eq!(
        verify_stripe(
            std::slice::from_ref(&secret),
            Some(&header),
            body,
            now,
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
    let two = format!("{header},v1=00ff");
    assert_eq!(
        verify_stripe(
            std::slice::from_ref(&secret),
            Some(&two),
            body,
            now,
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
    assert_eq!(
        verify_stripe(
            std::slice::from_ref(&secret),
            Some(&header),
            body,
            at(1_700_000_400),
            DEFAULT_TOLERANCE
        ),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify_stripe(&[secret], Some("v1=00"), body, now, DEFAULT_TOLERANCE),
        Err(SignatureError::Malformed(STRIPE_SIGNATURE))
    );
}

#[test]
fn plain_hex_hmac_with_or_without_prefix_in_any_case() {
    let secret = Secret::new("k");
    let body = b"payload";
    let hex = to_hex(&hmac_sha256(&secret, &[body]));
    for header in [hex.clone(), format!("sha256={hex}"), hex.to_uppercase()] {
        assert_eq!(
            verify_hmac_hex(
                std::slice::from_ref(&secret),
                "x-signature",
                Some(&header),
                body
            ),
            Ok(())
        );
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret(<7 bytes>)");
    assert!(Secret::standard_webhooks("whsec_!!!").is_err());
}
