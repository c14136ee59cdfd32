//! Signed webhooks end to end: the real binary, real loopback HTTP, messages on the console.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::http::{client, exchange, free_port, json_of, wait_for_port};
use support::{Scratch, Session};
use switchboard_api::http::signing::{sign_github, sign_standard_webhooks, Secret};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn webhook_bot(scratch: &Scratch, port: u16) -> Session {
    let config = scratch.write(
        "config.ini",
        &format!(
            "[Sink.webhook.github]
port = {port}
verify = github
secrets = an old secret, {GITHUB_SECRET}
template = [{{{{ repository.full_name }}}}] {{{{ sender.login }}}} pushed {{{{ commits | length }}}} commit(s)
target = #dev

[Sink.webhook.orders]
port = {port}
path = /hooks/orders
verify = standard-webhooks
secrets = {SW_SECRET}
max_body_size = 1024
template = order {{{{ data.id }}}}: {{{{ type }}}}
target = @alice
"
        ),
    );
    let bot = scratch.spawn(&["console", "--config", config.to_str().unwrap()]);
    wait_for_port(port);
    bot
}

#[test]
fn github_and_standard_webhooks_are_delivered_once_and_bad_ones_refused() {
    let scratch = Scratch::new();
    let port = free_port();
    let mut bot = webhook_bot(&scratch, port);
    let http = client();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    // GitHub: signed with the second of two configured secrets (rotation).
    let push =
        br#"{"repository":{"full_name":"octo/hello"},"sender":{"login":"mona"},"commits":[{},{}]}"#;
    let github = |signature: &str| {
        http.post(url("/hooks/github"))
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .header("X-Hub-Signature-256", signature)
            .body(push.to_vec())
            .send()
            .unwrap()
    };
    let signature = sign_github(&Secret::new(GITHUB_SECRET), push);
    let (status, json) = json_of(github(&signature));
    assert_eq!(
        (status, json["accepted"].as_bool()),
        (202, Some(true)),
        "{json}"
    );
    assert_eq!(
        bot.next_line(),
        "[#dev] [octo/hello] mona pushed 2 commit(s)"
    );
    // GitHub's redelivery: same delivery id, answered 200 and dropped.
    let (status, json) = json_of(github(&signature));
    assert_eq!(
        (status, json["duplicate"].as_bool()),
        (200, Some(true)),
        "{json}"
    );
    let (status, json) = json_of(github("sha256=0000"));
    assert_eq!(
        (status, json["reason"].as_str()),
        (401, Some("bad_signature"))
    );

    // Standard Webhooks.
    let key = Secret::standard_webhooks(SW_SECRET).unwrap();
    let order = br#"{"type":"order.paid","data":{"id":"A-17"}}"#;
    let standard = |id: &str, timestamp: i64, body: &[u8], signature: &str| {
        http.post(url("/hooks/orders"))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_vec())
            .send()
            .unwrap()
    };
    let t = now();
    let signature = sign_standard_webhooks(&key, "msg_1", t, order);
    let (status, _) = json_of(standard("msg_1", t, order, &signature));
    assert_eq!(status, 202);
    assert_eq!(bot.next_line(), "[@alice] order A-17: order.paid");
    let (status, json) = json_of(standard("msg_1", t, order, &signature));
    assert_eq!((status, json["duplicate"].as_bool()), (200, Some(true)));

    let stale = t - 600;
    let signature = sign_standard_webhooks(&key, "msg_2", stale, order);
    let (status, json) = json_of(standard("msg_2", stale, order, &signature));
    assert_eq!(
        (status, json["reason"].as_str()),
        (401, Some("stale_timestamp"))
    );

    let signature = sign_standard_webhooks(&key, "msg_3", t, order);
    let tampered = br#"{"type":"order.paid","data":{"id":"A-18"}}"#;
    let (status, json) = json_of(standard("msg_3", t, tampered, &signature));
    assert_eq!(
        (status, json["reason"].as_str()),
        (401, Some("bad_signature"))
    );

    let big = format!(r#"{{"type":"x","pad":"{}"}}"#, "a".repeat(2000));
    let signature = sign_standard_webhooks(&key, "msg_4", t, big.as_bytes());
    let (status, json) = json_of(standard("msg_4", t, big.as_bytes(), &signature));
    assert_eq!((status, json["reason"].as_str()), (413, Some("too_large")));

    let (status, json) = json_of(http.post(url("/hooks/nope")).body("{}").send().unwrap());
    assert_eq!((status, json["reason"].as_str()), (404, Some("not_found")));

    // A delivery id too long to keep is refused, not accepted without de-duplication.
    let long_id = "m".repeat(201);
    let signature = sign_standard_webhooks(&key, &long_id, t, order);
    let (status, json) = json_of(standard(&long_id, t, order, &signature));
    assert_eq!(
        (status, json["reason"].as_str()),
        (400, Some("bad_delivery_id"))
    );
    assert!(
        json["message"]
            .as_str()
            .is_some_and(|e| e.contains("201 bytes")),
        "{json}"
    );

    // Only the two first deliveries reached the chat: the next line is this pong.
    bot.say("!ping");
    assert_eq!(bot.next_line(), "[@console] pong");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    assert!(!err.contains(GITHUB_SECRET), "a secret was logged");
    assert!(
        !err.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "a secret was logged"
    );
    assert!(!err.contains("sha256="), "a signature was logged");
}

#[test]
fn a_redelivery_after_a_restart_is_still_recognised() {
    let scratch = Scratch::new();
    let port = free_port();
    let key = Secret::standard_webhooks(SW_SECRET).unwrap();
    let order = br#"{"type":"order.paid","data":{"id":"B-2"}}"#;
    let t = now();
    let signature = sign_standard_webhooks(&key, "msg_restart", t, order);
    let send = || {
        client()
            .post(format!("http://127.0.0.1:{port}/hooks/orders"))
            .header("webhook-id", "msg_restart")
            .header("webhook-timestamp", t.to_string())
            .header("webhook-signature", &signature)
            .body(order.to_vec())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let mut bot = webhook_bot(&scratch, port);
    assert_eq!(send(), 202);
    assert_eq!(bot.next_line(), "[@alice] order B-2: order.paid");
    assert!(bot.finish().0.success());

    let mut bot = webhook_bot(&scratch, port);
    assert_eq!(send(), 200);
    bot.say("!ping");
    assert_eq!(bot.next_line(), "[@console] pong");
    assert!(bot.finish().0.success());
}

#[test]
fn a_malformed_request_leaves_the_connection_usable() {
    let scratch = Scratch::new();
    let port = free_port();
    let mut bot = webhook_bot(&scratch, port);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let key = Secret::standard_webhooks(SW_SECRET).unwrap();
    let t = now();
    let request = |body: &str, id: &str| {
        let signature = sign_standard_webhooks(&key, id, t, body.as_bytes());
        format!(
            "POST /hooks/orders HTTP/1.1\r\nHost: x\r\nwebhook-id: {id}\r\nwebhook-timestamp: {t}\r\nwebhook-signature: {signature}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let (status, body) = exchange(&mut stream, &request("{not json", "msg_a"));
    assert!(status.contains(" 400 "), "{status}");
    assert!(body.contains(r#""reason":"bad_json""#), "{body}");
    let (status, body) = exchange(&mut stream, &request("[1, 2]", "msg_b"));
    assert!(status.contains(" 400 "), "{status} {body}");
    let oversized = format!(r#"{{"pad":"{}"}}"#, "x".repeat(1500));
    let (status, body) = exchange(&mut stream, &request(&oversized, "msg_big"));
    assert!(status.contains(" 413 "), "{status} {body}");
    let (status, _) = exchange(
        &mut stream,
        &request(r#"{"type":"order.paid","data":{"id":"C-3"}}"#, "msg_c"),
    );
    assert!(status.contains(" 202 "), "{status}");
    assert_eq!(bot.next_line(), "[@alice] order C-3: order.paid");
    assert!(bot.finish().0.success());
}
