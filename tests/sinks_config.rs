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
fn an_unreadable_keyfile_a_mistyped_bind_and_an_empty_api_key_are_errors_at_their_line() {
    let scratch = Scratch::new();
    assert!(scratch
        .run(&["gen-cert", "--out", "tls"], b"")
        .status
        .success());
    // The private key is the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(scratch.path().join("tls/key.pem")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let (ok, err) = check(
        &scratch,
        "[Sink.jsonrpc]\nport = 9916\ncertfile = tls/cert.pem\nkeyfile = tls/nokey.pem\n",
    );
    assert!(!ok);
    assert!(
        err.contains("config.ini:4: [Sink.jsonrpc] keyfile: cannot read"),
        "{err}"
    );
    let (ok, err) = check(&scratch, "[Sink.jsonrpc]\nport = 9917\nbind = 999.1.1.1\n");
    assert!(!ok);
    assert!(
        err.contains("config.ini:3: [Sink.jsonrpc] bind: `999.1.1.1` is not an IP address"),
        "{err}"
    );
    let (ok, err) = check(&scratch, "[Sink.jsonrpc]\nport = 9918\napi_key =\n");
    assert!(!ok);
    assert!(
        err.contains("config.ini:3: [Sink.jsonrpc] api_key: is empty"),
        "{err}"
    );
    for bind in ["localhost", "::1", "0.0.0.0", "bot.example.org"] {
        let (ok, err) = check(
            &scratch,
            &format!(
                "[Connector.console.console]\n[Sink.jsonrpc]\nport = 9919\nbind = {bind}\napi_key = k\n"
            ),
        );
        assert!(ok, "{bind}: {err}");
    }
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
    let (ok, err) = check(
        &scratch,
        "[Connector.console.console]\n[Sink.jsonrpc]\nbind = 0.0.0.0\nport = 9917\n",
    );
    assert!(ok, "{err}");
    assert!(err.contains("without `api_key`"), "{err}");
    let (ok, err) = check(
        &scratch,
        "[Connector.console.console]\n[Sink.jsonrpc]\nport = 9917\n",
    );
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
    // Named with the file, line and key that set the port.
    assert!(
        err.contains(&format!(
            "config.ini:2: [Sink.jsonrpc] port: cannot listen on 127.0.0.1:{port}"
        )),
        "{err}"
    );
}

#[test]
fn a_sink_naming_a_connector_that_does_not_exist_is_an_error_at_its_line() {
    let scratch = Scratch::new();
    let (ok, err) = check(
        &scratch,
        "[Connector.console.main]\n[Sink.jsonrpc]\nport = 9920\nconnector = mian\n\
         [Sink.webhook.ci]\nport = 9920\nverify = none\ntemplate = {{ a }}\ntarget = #x\n",
    );
    assert!(!ok);
    assert!(
        err.contains(
            "config.ini:4: [Sink.jsonrpc] connector: no connector is named `mian`; did you mean `main`? (the connectors are main)"
        ),
        "{err}"
    );
    // Not written: the default, `console`, which this config does not have.
    assert!(
        err.contains("[Sink.webhook.ci] connector: no connector is named `console`"),
        "{err}"
    );
}

#[test]
fn the_shipped_example_passes_check_config_with_its_sinks_turned_on() {
    let scratch = Scratch::new();
    // As the file suggests: the sections turned on, the webhook's secret from the environment.
    let example = include_str!("../config.ini.example")
        .replace("enabled = false", "enabled = true")
        .replace(
            "# secrets_env = GITHUB_WEBHOOK_SECRET",
            "secrets_env = GITHUB_WEBHOOK_SECRET",
        );
    let path = scratch.write("config.ini", &example);
    let output = scratch
        .command(&["check-config", "--config", path.to_str().unwrap()])
        .env(
            "GITHUB_WEBHOOK_SECRET",
            "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
        )
        .output()
        .expect("check-config runs");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
}
