//! The refusal catalogue end to end: the same failure answers the same status and reason in
//! every sink (the JSON sink, a bearer webhook, a signed webhook, the check-in receiver inside
//! the bot), and every answer carries an `X-Request-Id`.

mod support;

use reqwest::header::HeaderValue;
use support::http::{client, free_port, json_of, wait_for_port};
use support::{without_colours, Scratch, Session};

fn bot(scratch: &Scratch, port: u16, receiver_port: u16) -> Session {
    let config = scratch.write(
        "config.ini",
        &format!(
            "[Sink.jsonrpc]
port = {port}
api_key = k3y

[Sink.webhook.ci]
port = {port}
verify = bearer
secrets = k3y
template = {{{{ job }}}}
target = #ci

[Sink.webhook.github]
port = {port}
verify = github
secrets = s3cret
template = {{{{ ref }}}}
target = #dev

[Sink.checkin_receiver]
port = {receiver_port}
secret = k3y
"
        ),
    );
    let mut command = scratch.command(&["console", "--config", config.to_str().unwrap()]);
    command.env_remove("CHECKIN_API_SECRET");
    let bot = Session::start(command);
    wait_for_port(port);
    wait_for_port(receiver_port);
    bot
}

/// Status, reason and message of a refusal, after checking it carries a request id.
fn refusal(response: reqwest::blocking::Response) -> (u16, String, String) {
    assert!(
        response.headers().contains_key("x-request-id"),
        "no X-Request-Id on {response:?}"
    );
    let (status, json) = json_of(response);
    let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
    (status, text("reason"), text("message"))
}

#[test]
fn the_same_failure_answers_the_same_status_and_reason_in_every_sink() {
    let scratch = Scratch::new();
    let (port, receiver_port) = (free_port(), free_port());
    let mut bot = bot(&scratch, port, receiver_port);
    let http = client();
    let post = |path: &str, auth: Option<&[u8]>, body: &str| {
        let mut request = http
            .post(format!("http://127.0.0.1:{port}{path}"))
            .body(body.to_string());
        if let Some(auth) = auth {
            request = request.header(
                "authorization",
                HeaderValue::from_bytes(auth).expect("header bytes"),
            );
        }
        request.send().expect("POST")
    };
    let missing = "the Authorization header is missing";
    let not_valid = "the bearer token is not valid";
    let malformed = "the Authorization header is not `Bearer <token>`";
    for path in ["/general", "/hooks/ci"] {
        let cases: [(Option<&[u8]>, &str); 4] = [
            (None, missing),
            (Some(b"Bearer nope"), not_valid),
            // Not ASCII: a wrong token, not a missing header.
            (Some(b"Bearer k\xc3\xa9y"), not_valid),
            (Some(b"Token k3y"), malformed),
        ];
        for (auth, message) in cases {
            assert_eq!(
                refusal(post(path, auth, r#"{"echo": "x", "job": "x"}"#)),
                (401, "unauthorized".into(), message.into()),
                "{path} {auth:?}"
            );
        }
        let (status, reason, _) = refusal(post(path, Some(b"bearer k3y"), "{not json"));
        assert_eq!((status, reason.as_str()), (400, "bad_json"), "{path}");
    }

    // A signature header that is not text is malformed, not missing.
    let github = |signature: Option<&[u8]>| {
        let mut request = http
            .post(format!("http://127.0.0.1:{port}/hooks/github"))
            .body(r#"{"ref": "main"}"#);
        if let Some(signature) = signature {
            request = request.header(
                "x-hub-signature-256",
                HeaderValue::from_bytes(signature).expect("header bytes"),
            );
        }
        request.send().expect("POST")
    };
    assert_eq!(
        refusal(github(Some(b"sha256=\xff\xfe"))),
        (
            401,
            "bad_signature".into(),
            "the x-hub-signature-256 header is malformed".into()
        )
    );
    assert_eq!(
        refusal(github(None)),
        (
            401,
            "missing_signature".into(),
            "the x-hub-signature-256 header is missing".into()
        )
    );

    // Answers no sink gave carry a request id too.
    let (status, reason, _) = refusal(post("/a/b/c", None, "{}"));
    assert_eq!((status, reason.as_str()), (404, "not_found"));

    // The check-in receiver keeps the original's body, and is counted under the same word.
    let receiver = |auth: &[u8]| {
        http.post(format!("http://127.0.0.1:{receiver_port}/checkins"))
            .header("authorization", HeaderValue::from_bytes(auth).unwrap())
            .body(r##"{"packet_hash":"A1","username":"HOWL","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00"}"##)
            .send()
            .expect("POST")
    };
    let response = receiver(b"Bearer nope");
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.text().unwrap(), r#"{"error":"unauthorized"}"#);
    assert_eq!(receiver(b"bearer k3y").status().as_u16(), 201);

    bot.say("!ping");
    assert_eq!(
        bot.next_line(),
        "[@console] pong",
        "nothing refused reached the chat"
    );
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    let err = without_colours(&err);
    let counters = err
        .lines()
        .find(|l| l.contains("sink counters") && l.contains("sink=checkin_receiver"))
        .unwrap_or_else(|| panic!("no counters for the receiver in {err}"));
    assert!(counters.contains("accepted=1"), "{counters}");
    assert!(counters.contains(r#"{"unauthorized": 1}"#), "{counters}");
    assert!(!err.contains("k3y"), "a token was logged: {err}");
}
