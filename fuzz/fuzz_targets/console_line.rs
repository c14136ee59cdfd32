//! The console connector's input: bytes on stdin split into bounded lines (`next_line`), each
//! line parsed (`parse_line`), and the reply to it formatted for the terminal (`format_reply`).
//!
//! Invariants: the reader splits exactly as a plain split on `\n` would (a line over the bound
//! is reported with its length, a non-UTF-8 line as such, one `\r` before `\n` dropped); a
//! parsed line is a channel (`#name`, no space in the name) or a direct conversation with a
//! non-empty sender, and its text is trimmed; a formatted reply is one printable line, however
//! the channel, user and text were written.

#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use switchboard_api::{Conversation, Target};
use switchboard_fuzz::{is_one_printable_line, model_lines};
use switchboard_plugins::connectors::console::{format_reply, parse_line};
use switchboard_plugins::fuzzing::{next_line, InputLine};

/// (read buffer size, longest line): lines arriving in many pieces, bounds hit on and around
/// every length, and the connector's default.
const READERS: [(usize, usize); 5] = [(1, 4096), (2, 0), (3, 1), (5, 8), (64, 16)];

fuzz_target!(|data: &[u8]| {
    for (capacity, max) in READERS {
        let mut reader = BufReader::with_capacity(capacity, data);
        let lines: Vec<InputLine> = std::iter::from_fn(|| next_line(&mut reader, max)).collect();
        let expected: Vec<InputLine> = model_lines(data)
            .into_iter()
            .map(|line| expected_line(line, max))
            .collect();
        assert_eq!(lines, expected, "buffer {capacity}, max {max}");
    }
    let mut reader = BufReader::new(data);
    while let Some(line) = next_line(&mut reader, 4096) {
        if let InputLine::Text(text) = line {
            check_parse(&text);
        }
    }
    // The whole input as one line too (the reader never hands on a `\n`, but the parser
    // should not care).
    if let Ok(text) = std::str::from_utf8(data) {
        check_parse(text);
    }
});

fn expected_line(line: &[u8], max: usize) -> InputLine {
    if line.len() > max {
        return InputLine::TooLong(line.len());
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match std::str::from_utf8(line) {
        Ok(text) => InputLine::Text(text.to_string()),
        Err(_) => InputLine::NotUtf8,
    }
}

fn check_parse(text: &str) {
    let line = parse_line(text);
    assert!(!line.sender.is_empty(), "no sender: {text:?}");
    assert_eq!(line.text.trim(), line.text, "untrimmed text: {text:?}");
    match &line.conversation {
        Conversation::Channel(channel) => {
            let name = channel.strip_prefix('#').expect("a channel starts with #");
            assert!(!name.is_empty(), "an empty channel name: {text:?}");
            assert!(
                !name.contains(char::is_whitespace),
                "a channel name with a space: {text:?}"
            );
            assert!(
                !line.sender.contains(' '),
                "a sender with a space: {text:?}"
            );
        }
        Conversation::Direct(user) => {
            assert!(!user.is_empty(), "an empty user: {text:?}");
            assert_eq!(user, &line.sender, "a direct message from someone else");
        }
    }
    for target in [
        Target {
            connector: "console".into(),
            conversation: line.conversation.clone(),
        },
        Target::channel("console", text),
        Target::direct("console", text),
    ] {
        let reply = format_reply(&target, &line.text);
        assert!(is_one_printable_line(&reply), "{reply:?}");
        let reply = format_reply(&target, text);
        assert!(is_one_printable_line(&reply), "{reply:?}");
    }
}
