//! Sink configuration mistakes are caught by `check-config` (with file and line) and stop the
//! start; nothing half-starts.

mod support;

use support::http::free_port;
use support::{stderr, Scratch};

fn check(scratch: &Scratch, config: &str) -> (bool, String) {
    let path = scratch.write("config.ini", config);
    let output = scratch.run(&["check-config", "--config", path.to_str().unwrap()], b"");
    (output.status.success(), stderr(&output))
}

#[test]
fn two_sinks_claiming_one_route_are_both_named() {
    let scratch = Scratch::new();
    let (ok, err) = check(
        &scratch,
        "[Sink.webhook.a]\nport = 9911\npath = /hooks/x\nverify = none\ntemplate = {{ a }}\ntarget = #x\n\
         [Sink.webhook.b]\nport = 9911\npath = /hooks/x/\nverify = none\ntemplate = {{ a }}\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(err.contains("route `POST /hooks/x"), "{err}");
    assert!(
        err.contains("sink `webhook.a`") && err.contains("sink `webhook.b`"),
        "{err}"
    );
}

#[test]
fn tls_and_plain_sinks_cannot_share_an_address() {
    let scratch = Scratch::new();
    assert!(scratch
        .run(&["gen-cert", "--out", "tls"], b"")
        .status
        .success());
    let (ok, err) = check(
        &scratch,
        "[Sink.jsonrpc]\nport = 9912\ncertfile = tls/cert.pem\nkeyfile = tls/key.pem\n\
         [Sink.webhook.a]\nport = 9912\nverify = none\ntemplate = {{ a }}\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(err.contains("listener 127.0.0.1:9912"), "{err}");
}

#[test]
fn bad_keys_are_reported_with_their_line() {
    let scratch = Scratch::new();
    let (ok, err) = check(
        &scratch,
        "[Sink.jsonrpc]\nport = 9913\ncertfile = missing.pem\n",
    );
    assert!(!ok);
    assert!(
        err.contains("config.ini:3: [Sink.jsonrpc] certfile: cannot read"),
        "{err}"
    );

    let (ok, err) = check(
        &scratch,
        "[Sink.webhook.a]\nbind = 0.0.0.0\nport = 9914\nverify = none\ntemplate = {{ a }}\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(
        err.contains(
            "config.ini:4: [Sink.webhook.a] verify: `verify = none` is only allowed on a loopback"
        ),
        "{err}"
    );

    let (ok, err) = check(
        &scratch,
        "[Sink.webhook.a]\nport = 9915\nverify = github\ntemplate = {{ a }}\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(
        err.contains("`verify = github` needs `secrets` or `secrets_env`"),
        "{err}"
    );

    let (ok, err) = check(
        &scratch,
        "[Sink.webhook.a]\nport = 9916\nverify = sha1\nsecrets = s\ntemplate = {{ a\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(
        err.contains("config.ini:3: [Sink.webhook.a] verify: expected one of"),
        "{err}"
    );
}

#[test]
fn a_sink_without_auth_on_a_public_address_is_warned_about() {
    let scratch = Scratch::new();
    let (ok, err) = check(&scratch, "[Sink.jsonrpc]\nbind = 0.0.0.0\nport = 9917\n");
    assert!(ok, "{err}");
    assert!(err.contains("without `api_key`"), "{err}");
    let (ok, err) = check(&scratch, "[Sink.jsonrpc]\nport = 9917\n");
    assert!(ok, "{err}");
    assert!(!err.contains("without `api_key`"), "{err}");
}

#[test]
fn a_taken_port_stops_the_start_with_a_clear_error() {
    let scratch = Scratch::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let _ = free_port();
    let path = scratch.write("config.ini", &format!("[Sink.jsonrpc]\nport = {port}\n"));
    let output = scratch.run(&["console", "--config", path.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}
