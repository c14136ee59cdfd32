//! A local plugin's HTTP routes go through the same intake as the built-in sinks: the real
//! binary serves them with `[Plugin.NAME]`'s listener and limit keys (body size, allow list,
//! trusted proxies, concurrency, request timeout, TLS), chunked bodies, request ids, counters.

mod support;

use std::net::TcpStream;
use std::path::Path;

use support::http::{client, exchange, free_port, json_of, wait_for_port};
use support::local::cargo_cdylib;
use support::{stderr, wait_for, without_colours, Scratch, Session};

fn drop_hello(scratch: &Scratch) {
    let plugins = scratch.path().join("local/plugins");
    std::fs::create_dir_all(&plugins).expect("plugins folder");
    std::fs::copy(
        cargo_cdylib("hello-native"),
        plugins.join("libhello_native.so"),
    )
    .expect("copy library");
}

/// The hanging exec fixture, with `go` already there: restarts say hello at once.
fn drop_hangs(scratch: &Scratch) -> std::path::PathBuf {
    let dir = support::local::drop_hangs(&scratch.path().join("local/plugins"));
    std::fs::write(dir.join("go"), "").expect("go");
    dir
}

fn start(scratch: &Scratch, port: u16, config: &str) -> Session {
    scratch.write("config.ini", config);
    let session = scratch.spawn(&["console"]);
    wait_for_port(port);
    session
}

fn refusal(status: u16, reason: &str) -> impl Fn(&serde_json::Value) -> bool + '_ {
    move |body| body["status"] == status && body["reason"] == reason
}

#[test]
fn limits_allow_list_proxies_chunked_bodies_and_request_ids_apply_to_plugin_routes() {
    let scratch = Scratch::new();
    drop_hello(&scratch);
    let port = free_port();
    let bot = start(
        &scratch,
        port,
        &format!(
            "[Plugin.hello]\ngreeting = Howdy\nport = {port}\nmax_body_size = 64\n\
             allow_from = 192.0.2.0/24\ntrusted_proxies = 127.0.0.1\n"
        ),
    );
    let url = format!("http://127.0.0.1:{port}/hello");
    let http = client();
    let from_allowed = |body: String| {
        http.post(&url)
            .header("x-forwarded-for", "192.0.2.7")
            .body(body)
    };

    let response = from_allowed(r#"{"name": "ann"}"#.into())
        .header("x-request-id", "req-42")
        .send()
        .expect("POST");
    assert_eq!(response.headers()["x-request-id"], "req-42");
    assert_eq!(
        json_of(response),
        (200, serde_json::json!({"greeting": "Howdy, ann!"}))
    );

    // Not behind the trusted proxy from an allowed client: refused before the plugin sees it.
    let response = http
        .post(&url)
        .body(r#"{"name": "eve"}"#)
        .send()
        .expect("POST");
    assert_eq!(
        response.headers()["x-request-id"],
        "hello-1",
        "ours when the caller sent none"
    );
    let (status, body) = json_of(response);
    assert_eq!(status, 403);
    assert!(refusal(403, "forbidden")(&body), "{body}");

    let big = format!(r#"{{"name": "{}"}}"#, "a".repeat(100));
    let (status, body) = json_of(from_allowed(big).send().expect("POST"));
    assert_eq!(status, 413);
    assert_eq!(
        body,
        serde_json::json!({"status": 413, "reason": "too_large", "message": "the body is larger than 64 bytes"})
    );

    // Chunked, without Content-Length.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let json = r#"{"name": "bo"}"#;
    let (status, body) = exchange(
        &mut stream,
        &format!(
            "POST /hello HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 192.0.2.7\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{json}\r\n0\r\n\r\n",
            json.len()
        ),
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, r#"{"greeting":"Howdy, bo!"}"#);

    let (status, body) = json_of(http.get(&url).send().expect("GET"));
    assert_eq!(status, 405);
    assert!(refusal(405, "method_not_allowed")(&body), "{body}");

    let (exit, err) = bot.finish();
    assert!(exit.success());
    let err = without_colours(&err);
    assert!(
        err.contains(r#"sink counters sink=hello received=4 accepted=2 duplicates=0 rejected={"forbidden": 1, "too_large": 1}"#),
        "{err}"
    );
}

#[test]
fn plugin_routes_are_served_over_tls_with_certfile_and_keyfile() {
    let scratch = Scratch::new();
    drop_hello(&scratch);
    let output = scratch.run(&["gen-cert", "--out", "tls"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let port = free_port();
    let bot = start(
        &scratch,
        port,
        &format!("[Plugin.hello]\nport = {port}\ncertfile = tls/cert.pem\nkeyfile = tls/key.pem\n"),
    );
    let (status, body) = json_of(
        client()
            .post(format!("https://127.0.0.1:{port}/hello"))
            .json(&serde_json::json!({"name": "tls"}))
            .send()
            .expect("POST over TLS"),
    );
    assert_eq!(
        (status, body),
        (200, serde_json::json!({"greeting": "Hello, tls!"}))
    );
    assert!(bot.finish().0.success());
}

/// Waits for the fixture's `hanging` file: its `/hang` request is in flight.
fn wait_hanging(dir: &Path) {
    wait_for("the plugin to take /hang", || dir.join("hanging").exists());
}

#[test]
fn a_busy_plugin_route_is_503_and_a_hung_one_is_answered_and_restarted() {
    let scratch = Scratch::new();
    let dir = drop_hangs(&scratch);
    let port = free_port();
    let bot = start(
        &scratch,
        port,
        &format!("[Plugin.hangs]\nport = {port}\nmax_concurrent = 1\ncall_timeout = 1s\n"),
    );
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let (status, body) = json_of(client().post(url("/pid")).send().expect("POST /pid"));
    assert_eq!(status, 200);
    let first = body["pid"].clone();

    let hung = std::thread::spawn({
        let url = url("/hang");
        move || json_of(client().post(url).body("{}").send().expect("POST /hang"))
    });
    wait_hanging(&dir);
    let (status, body) = json_of(client().post(url("/pid")).send().expect("POST /pid"));
    assert_eq!(status, 503);
    assert!(refusal(503, "busy")(&body), "{body}");

    let (status, body) = hung.join().expect("the /hang request");
    assert_eq!(
        (status, body),
        (
            503,
            serde_json::json!({"status": 503, "reason": "plugin_unavailable",
                "message": "the plugin did not answer within 1s; its process is restarted"})
        )
    );
    // A new process answers (the call waits for its hello).
    let (status, body) = json_of(
        client()
            .post(url("/pid"))
            .body(r#"{"n": 1}"#)
            .send()
            .expect("POST /pid"),
    );
    assert_eq!(status, 200);
    assert_eq!(body["body"], serde_json::json!({"n": 1}));
    assert_ne!(body["pid"], first, "a new process answers");
    assert!(bot.finish().0.success());
}

#[test]
fn request_timeout_answers_408_when_the_plugin_takes_longer() {
    let scratch = Scratch::new();
    let dir = drop_hangs(&scratch);
    let port = free_port();
    let bot = start(
        &scratch,
        port,
        &format!("[Plugin.hangs]\nport = {port}\nrequest_timeout = 300ms\ncall_timeout = 20s\n"),
    );
    let (status, body) = json_of(
        client()
            .post(format!("http://127.0.0.1:{port}/hang"))
            .send()
            .expect("POST /hang"),
    );
    assert!(dir.join("hanging").exists());
    assert_eq!(status, 408);
    assert!(refusal(408, "timeout")(&body), "{body}");
    assert!(bot.finish().0.success());
}

#[test]
fn check_config_reports_bad_listener_keys_of_a_plugin_section_with_file_and_line() {
    let scratch = Scratch::new();
    drop_hello(&scratch);
    let check = |text: &str| {
        let path = scratch.write("config.ini", text);
        let output = scratch.run(&["check-config", "--config", path.to_str().unwrap()], b"");
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        (path.display().to_string(), stderr(&output))
    };
    let (file, err) = check("[Plugin.hello]\nport = 8123\nmax_body = 5\nmax_concurrent = lots\n");
    for expected in [
        format!(
            "error: {file}:3: [Plugin.hello] max_body: unknown key; did you mean `max_body_size`?"
        ),
        format!("error: {file}:4: [Plugin.hello] max_concurrent: expected"),
    ] {
        assert!(err.contains(&expected), "missing {expected:?} in:\n{err}");
    }
    let (file, err) = check("[Plugin.hello]\nport = 8123\n\nallow_from = 10.0.0.0/33\n");
    let expected = format!("error: {file}:4: [Plugin.hello] allow_from: expected an IP address or network such as 10.0.0.0/8, found `10.0.0.0/33`");
    assert!(err.contains(&expected), "missing {expected:?} in:\n{err}");
}
