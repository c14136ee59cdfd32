//! Conversation ids from outside (`conversation_of`): the JSON sink's path, percent-decoded
//! (`path_segments`) as the sink reads it, and the raw text.
//!
//! Invariants: a conversation taken never contains a control character (CR, LF, NUL, ESC, ...)
//! and is at most `MAX_CONVERSATION_ID` bytes (plus the `#` a bare channel name gains); a
//! channel starts with `#` and names something; reading a conversation's own text again gives
//! it back; the console prints a reply to it as one printable line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_api::http::path_segments;
use switchboard_api::{Conversation, Target};
use switchboard_fuzz::is_one_printable_line;
use switchboard_plugins::connectors::console::format_reply;
use switchboard_plugins::sinks::{conversation_of, ConversationError, MAX_CONVERSATION_ID};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text);
    let path = if text.starts_with('/') {
        text.to_string()
    } else {
        format!("/{text}")
    };
    let id = path_segments(&path).into_iter().next().unwrap_or_default();
    check(&id);
});

fn check(id: &str) {
    let conversation = match conversation_of(id) {
        Ok(conversation) => conversation,
        Err(e) => {
            if e == ConversationError::ControlCharacter {
                assert!(id.chars().any(char::is_control));
            }
            let _ = e.to_string();
            return;
        }
    };
    let name = match &conversation {
        Conversation::Channel(name) => {
            assert!(name.starts_with('#') && name.len() > 1, "channel {name:?}");
            name
        }
        Conversation::Direct(user) => {
            assert!(!user.is_empty(), "an empty user");
            user
        }
    };
    assert!(
        !name.chars().any(char::is_control),
        "a control character taken: {id:?} -> {conversation:?}"
    );
    assert!(
        name.len() <= MAX_CONVERSATION_ID + 1,
        "{} bytes",
        name.len()
    );
    let written = conversation.to_string();
    if written.len() <= MAX_CONVERSATION_ID {
        assert_eq!(
            conversation_of(&written).as_ref(),
            Ok(&conversation),
            "{written:?} reads back differently"
        );
    }
    let reply = format_reply(
        &Target {
            connector: "console".into(),
            conversation,
        },
        "ok",
    );
    assert!(is_one_printable_line(&reply), "{reply:?}");
}
