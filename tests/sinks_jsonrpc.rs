//! The hangoutsbot-compatible JSON sink end to end: the real binary, TLS with a certificate
//! from `switchboard gen-cert`, messages on `switchboard console`'s stdout.

mod support;

use std::process::Command;

use support::http::{client, exchange, free_port, json_of, wait_for_port};
use support::{stderr, Scratch, Session};

/// `gen-cert` into the scratch folder and a config with a TLS JSON sink on `port`: with
/// `certfile` and `keyfile`, or (`single_pem`) one file holding both, as hangoutsbot used.
fn tls_bot(scratch: &Scratch, port: u16, single_pem: bool) -> Session {
    let output = scratch.run(&["gen-cert", "--out", "tls"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let tls = if single_pem {
        let read = |f: &str| std::fs::read_to_string(scratch.path().join(f)).unwrap();
        scratch.write(
            "tls/server.pem",
            &(read("tls/cert.pem") + &read("tls/key.pem")),
        );
        "certfile = tls/server.pem"
    } else {
        "certfile = tls/cert.pem\nkeyfile = tls/key.pem"
    };
    let config = scratch.write(
        "config.ini",
        &format!("[Sink.jsonrpc]\nport = {port}\n{tls}\n"),
    );
    let bot = scratch.spawn(&["console", "--config", config.to_str().unwrap()]);
    wait_for_port(port);
    bot
}

#[test]
fn json_over_tls_reaches_the_console_and_bad_input_gets_a_json_400() {
    let scratch = Scratch::new();
    let port = free_port();
    let mut bot = tls_bot(&scratch, port, false);
    let http = client();
    let url = |path: &str| format!("https://127.0.0.1:{port}{path}");

    let response = http
        .post(url("/general"))
        .json(&serde_json::json!({"echo": "Hello World!"}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().unwrap(), "OK");
    assert_eq!(bot.next_line(), "[#general] Hello World!");

    // A trailing slash is the same route; `@user` is a direct message.
    let response = http
        .post(url("/@alice/"))
        .body(r#"{"echo": "psst"}"#)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(bot.next_line(), "[@alice] psst");

    for (body, reason) in [
        ("{not json", "bad_json"),
        (r#"{"echo": ""}"#, "empty_message"),
        (r#"{"image": {"base64encoded": "%%%"}}"#, "bad_payload"),
    ] {
        let (status, json) = json_of(http.post(url("/general")).body(body).send().unwrap());
        assert_eq!(
            (status, json["reason"].as_str()),
            (400, Some(reason)),
            "{body}: {json}"
        );
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A conversation id with CR/LF (which would forge a console line), NUL or a terminal
    // escape names no conversation.
    for path in [
        "/gen%0d%0a%5b%23x%5d%20forged",
        "/gen%00x",
        "/%1b%5b31mred",
        "/@al%0aice",
    ] {
        let response = http
            .post(url(path))
            .body(r#"{"echo": "x"}"#)
            .send()
            .unwrap();
        let (status, json) = json_of(response);
        assert_eq!(
            (status, json["reason"].as_str()),
            (400, Some("bad_conversation")),
            "{path}: {json}"
        );
        assert!(json["message"]
            .as_str()
            .is_some_and(|m| m.contains("control")));
    }
    let (status, json) = json_of(http.post(url("/a/b")).body("{}").send().unwrap());
    assert_eq!((status, json["reason"].as_str()), (404, Some("not_found")));
    let (status, json) = json_of(http.get(url("/general")).send().unwrap());
    assert_eq!(
        (status, json["reason"].as_str()),
        (405, Some("method_not_allowed"))
    );

    // Nothing from the refused requests reached the chat.
    bot.say("!ping");
    assert_eq!(bot.next_line(), "[@console] pong");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("sink listener ready"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[test]
fn hangoutsbots_own_client_style_works_unchanged_over_tls() {
    let python_has_requests = Command::new("python3")
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        python_has_requests,
        "python3 with `requests` is needed (scripts/test installs python3-requests)"
    );
    let scratch = Scratch::new();
    let port = free_port();
    let mut bot = tls_bot(&scratch, port, true);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
    let image = scratch.write("dot.png", "");
    std::fs::write(&image, png).unwrap();
    let client = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/hangoutsbot_send.py"
    );
    let send = |args: &[&str]| {
        let output = Command::new("python3")
            .arg(client)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let url = format!("https://127.0.0.1:{port}/general");
    assert_eq!(send(&[&url, "Hello World!"]), "<Response [200]>\nOK\n");
    assert_eq!(bot.next_line(), "[#general] Hello World!");

    let url = format!("https://127.0.0.1:{port}/ops/");
    let out = send(&[
        &url,
        "graph",
        "--imagepath",
        image.to_str().unwrap(),
        "-n",
        "dot.png",
    ]);
    assert_eq!(out, "<Response [200]>\nOK\n");
    assert_eq!(bot.next_line(), "[#ops] graph [image: dot.png, 24 bytes]");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn an_api_key_is_required_when_configured_and_the_connection_survives_a_refusal() {
    let scratch = Scratch::new();
    let port = free_port();
    let config = scratch.write(
        "config.ini",
        &format!("[Sink.jsonrpc]\nport = {port}\napi_key_env = TEST_JSONRPC_KEY\n"),
    );
    let mut bot = {
        let mut command = scratch.command(&["console", "--config", config.to_str().unwrap()]);
        command.env("TEST_JSONRPC_KEY", "k3y");
        Session::start(command)
    };
    wait_for_port(port);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = r#"{"echo": "deploy done"}"#;
    let request = |auth: &str| {
        format!(
            "POST /general HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let (status, reply) = exchange(&mut stream, &request(""));
    assert!(status.contains(" 401 "), "{status}");
    assert!(reply.contains(r#""reason":"unauthorized""#), "{reply}");
    let (status, reply) = exchange(&mut stream, &request("Authorization: Bearer nope\r\n"));
    assert!(status.contains(" 401 "), "{status} {reply}");
    // The same connection, now with the key.
    let (status, reply) = exchange(&mut stream, &request("Authorization: Bearer k3y\r\n"));
    assert!(status.contains(" 200 "), "{status} {reply}");
    assert_eq!(bot.next_line(), "[#general] deploy done");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    assert!(!err.contains("k3y"), "the key was logged: {err}");
}
