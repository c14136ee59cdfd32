//! Signature, bearer and timestamp headers (`switchboard_api::http::signing`), as every sink
//! checks them, and the webhook sink's `Verifier`, which picks the scheme, checks what it can
//! from the head before the body, and reads the delivery id. Also `X-Forwarded-For`
//! (`Limits::client_ip`).
//!
//! The input is a request head and body as on the wire: `name: value` lines, an empty line,
//! the body. Secrets and the clock are fixed (the tests' vectors), so seeds signed with them
//! verify.
//!
//! Invariants: the head check refuses exactly as the full check would for the same head; a
//! delivery id taken is trimmed, non-empty and at most 200 bytes; what each scheme signs, it
//! verifies, for any body and id; a bearer token is taken exactly when it is non-empty and has
//! no spaces around it; the client behind trusted proxies is the peer or an address the
//! request named.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use switchboard_api::http::signing::{self, Secret, StandardHeaders, DEFAULT_TOLERANCE};
use switchboard_api::http::{parse_net, Limits, SinkRequest};
use switchboard_plugins::sinks::webhook::{Mode, Verifier};
use warp::http::{HeaderMap, HeaderName, HeaderValue, Method};

/// The Standard Webhooks specification's test vector, and GitHub's published example.
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_TIMESTAMP: u64 = 1614265330;
const GITHUB_SECRET: &str = "It's a Secret to Everybody";

const MODES: [Mode; 6] = [
    Mode::StandardWebhooks,
    Mode::Github,
    Mode::Stripe,
    Mode::HmacSha256,
    Mode::Bearer,
    Mode::None,
];

fn secrets() -> Vec<Secret> {
    vec![
        Secret::standard_webhooks(SW_SECRET).expect("the vector's secret"),
        Secret::new(GITHUB_SECRET),
        Secret::new("s3cret"),
    ]
}

fuzz_target!(|data: &[u8]| {
    let (headers, body) = request_parts(data);
    let now = UNIX_EPOCH + Duration::from_secs(SW_TIMESTAMP + 10);
    let secrets = secrets();
    let request = SinkRequest {
        request_id: "fuzz-1".into(),
        method: Method::POST,
        peer: None,
        client_ip: None,
        path: "/hooks".into(),
        query: String::new(),
        headers,
        body: bytes::Bytes::copy_from_slice(body),
    };

    for mode in MODES {
        let verifier = Verifier {
            mode,
            secrets: secrets.clone(),
            signature_header: "x-signature".into(),
            tolerance: DEFAULT_TOLERANCE,
        };
        let full = verifier.verify(&request, now);
        if let Err(early) = verifier.check_head(&request.headers) {
            let full = full
                .as_ref()
                .expect_err("the head check refused, the full check took it");
            assert_eq!(
                (early.reason(), early.message()),
                (full.reason(), full.message()),
                "{mode:?}"
            );
        }
        match full {
            Ok(Some(id)) => {
                assert!(
                    !id.is_empty() && id.trim() == id && id.len() <= 200,
                    "id {id:?}"
                );
            }
            Ok(None) => {}
            Err(refusal) => {
                let _ = (refusal.status(), refusal.message().to_string());
            }
        }
    }

    // Each scheme on its own, with the header values as sent.
    let header = |name: &str| request.header(name);
    let _ = signing::verify_bearer(&secrets, request.header_bytes("authorization"));
    let _ = signing::verify_github(&secrets, header(signing::GITHUB_SIGNATURE), body);
    let _ = signing::verify_hmac_hex(&secrets, "signature", header("x-signature"), body);
    let _ = signing::verify_stripe(
        &secrets,
        header(signing::STRIPE_SIGNATURE),
        body,
        now,
        DEFAULT_TOLERANCE,
    );
    let sent = StandardHeaders {
        id: header(signing::WEBHOOK_ID),
        timestamp: header(signing::WEBHOOK_TIMESTAMP),
        signature: header(signing::WEBHOOK_SIGNATURE),
    };
    let _ = signing::verify_standard_webhooks(&secrets, sent, body, now, DEFAULT_TOLERANCE);

    // What is signed verifies: any body, any id, any secret (the body's bytes as one too).
    let id = sent.id.unwrap_or("msg_fuzz");
    let unix = SW_TIMESTAMP as i64;
    let mut keys = secrets.clone();
    keys.push(Secret::new(body));
    for key in &keys {
        let key = std::slice::from_ref(key);
        let github = signing::sign_github(&key[0], body);
        assert_eq!(signing::verify_github(key, Some(&github), body), Ok(()));
        assert_eq!(
            signing::verify_hmac_hex(key, "signature", Some(&github), body),
            Ok(())
        );
        let stripe = signing::sign_stripe(&key[0], unix, body);
        assert_eq!(
            signing::verify_stripe(key, Some(&stripe), body, now, DEFAULT_TOLERANCE),
            Ok(())
        );
        let signature = signing::sign_standard_webhooks(&key[0], id, unix, body);
        let timestamp = unix.to_string();
        let signed = StandardHeaders {
            id: Some(id),
            timestamp: Some(&timestamp),
            signature: Some(&signature),
        };
        assert_eq!(
            signing::verify_standard_webhooks(key, signed, body, now, DEFAULT_TOLERANCE),
            Ok(())
        );
    }

    // The body as a bearer token: taken exactly when it has no spaces around it.
    let mut authorization = b"Bearer ".to_vec();
    authorization.extend_from_slice(body);
    let taken = signing::verify_bearer(&[Secret::new(body)], Some(&authorization)).is_ok();
    assert_eq!(
        taken,
        !body.is_empty() && body.trim_ascii() == body,
        "{body:?}"
    );

    // Header values as Standard Webhooks secrets.
    for value in request.headers.values() {
        if let Ok(text) = value.to_str() {
            if let Ok(secret) = Secret::standard_webhooks(text) {
                assert!(!secret.bytes().is_empty());
            }
        }
    }

    // X-Forwarded-For behind a trusted proxy.
    let limits = Limits {
        trusted_proxies: vec![
            parse_net("127.0.0.1").expect("an address"),
            parse_net("10.0.0.0/8").expect("a network"),
        ],
        ..Limits::default()
    };
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let client = limits
        .client_ip(Some(proxy), &request.headers)
        .expect("a client when there is a peer");
    if client != proxy {
        let named = request
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|hop| hop.trim().parse::<IpAddr>() == Ok(client));
        assert!(named, "client {client} named nowhere");
    }
});

/// `name: value` lines up to the first empty line (the head), then the body. Lines that are not
/// a valid header are skipped, as an HTTP parser would have refused them.
fn request_parts(data: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (line, after) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = after;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    (headers, rest)
}
