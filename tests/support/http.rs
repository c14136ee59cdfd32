//! Talking HTTP to the real binary's sinks over loopback.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::STEP;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on the port, failing after [`STEP`].
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + STEP;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listened on port {port} within {STEP:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A client that trusts the self-signed certificates the tests make.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(STEP)
        .build()
        .expect("http client")
}

/// Posts each text to the JSON sink on `port` (`/general`), each answered `200`.
pub fn post_echoes(port: u16, texts: &[String]) {
    let http = client();
    for text in texts {
        let response = http
            .post(format!("http://127.0.0.1:{port}/general"))
            .json(&serde_json::json!({ "echo": text }))
            .send()
            .expect("post to the JSON sink");
        assert_eq!(response.status().as_u16(), 200, "{text}");
    }
}

/// The status and the JSON body of a response.
pub fn json_of(response: reqwest::blocking::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().expect("response body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text:?} (status {status})"));
    (status, json)
}

/// One raw HTTP/1.1 exchange on an open connection; returns the status line and the body.
pub fn exchange(stream: &mut TcpStream, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).expect("write request");
    stream.set_read_timeout(Some(STEP)).expect("timeout");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read response head");
        assert_eq!(n, 1, "the connection closed before the response ended");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, String::from_utf8_lossy(&body).into_owned())
}
