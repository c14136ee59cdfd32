//! The JSON sink's body (`jsonrpc::parse`): `{"echo": text, "image": {"base64encoded": ...,
//! "filename": ...}}`, whatever its Content-Type.
//!
//! Invariants: a payload taken has something to send (text that is not blank, or an image);
//! its text is the body's `echo` as sent; an image has a filename (the body's, or the time and
//! the type its bytes show); the chat message names both.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_plugins::sinks::jsonrpc::parse;

const NOW: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let payload = match parse(data, NOW) {
        Ok(payload) => payload,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert!(
        payload.text.is_some() || payload.image.is_some(),
        "nothing to send"
    );
    let body: serde_json::Value = serde_json::from_slice(data).expect("a payload taken is JSON");
    if let Some(text) = &payload.text {
        assert!(!text.trim().is_empty(), "blank text taken");
        assert_eq!(
            body.get("echo").and_then(|v| v.as_str()),
            Some(text.as_str())
        );
    }
    let message = payload.message();
    if let Some(image) = &payload.image {
        assert!(!image.filename.is_empty(), "an image without a name");
        let given = body
            .pointer("/image/filename")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty());
        match given {
            Some(name) => assert_eq!(image.filename, name),
            None => assert!(image.filename.starts_with(&format!("{NOW}."))),
        }
        assert!(message.contains(&image.filename));
    }
    if let Some(text) = &payload.text {
        assert!(message.starts_with(text.as_str()));
    }
});
