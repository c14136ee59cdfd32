//! The console's line format.
//!
//! In: `#channel SENDER: text` (a channel message), `@SENDER text` (a direct message), anything
//! else a direct message from `console`. Out: `[#channel] text` or `[@USER] text`.

use switchboard_api::{Conversation, Target};

/// The sender of lines that name none.
pub const DEFAULT_SENDER: &str = "console";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleLine {
    pub conversation: Conversation,
    pub sender: String,
    pub text: String,
}

/// A line as [`parse_line`] reads it, except that `@BOT_NAME text` addresses the bot (a message
/// from `console` that mentions it) rather than coming from a user named like the bot.
pub fn parse_line_for(line: &str, bot_name: &str) -> ConsoleLine {
    let parsed = parse_line(line);
    let from_the_bot = !bot_name.is_empty()
        && matches!(&parsed.conversation, Conversation::Direct(user)
            if user.trim_end_matches([':', ',']).eq_ignore_ascii_case(bot_name));
    if from_the_bot {
        return ConsoleLine {
            conversation: Conversation::Direct(DEFAULT_SENDER.to_string()),
            sender: DEFAULT_SENDER.to_string(),
            text: line.trim().to_string(),
        };
    }
    parsed
}

pub fn parse_line(line: &str) -> ConsoleLine {
    let line = line.trim_end_matches(['\r', '\n']);
    if let Some(rest) = line.strip_prefix('#') {
        if let Some((channel, message)) = rest.split_once(char::is_whitespace) {
            // `#general: !ping` (as chat logs write it) is the channel `#general`.
            let channel = channel.strip_suffix(':').unwrap_or(channel);
            if !channel.is_empty() {
                let (sender, text) = match message.split_once(':') {
                    Some((sender, text))
                        if !sender.trim().is_empty() && !sender.trim().contains(' ') =>
                    {
                        (sender.trim(), text.trim())
                    }
                    _ => (DEFAULT_SENDER, message.trim()),
                };
                return ConsoleLine {
                    conversation: Conversation::Channel(format!("#{channel}")),
                    sender: sender.to_string(),
                    text: text.to_string(),
                };
            }
        }
    }
    if let Some(rest) = line.strip_prefix('@') {
        if let Some((sender, text)) = rest.split_once(char::is_whitespace) {
            if !sender.is_empty() {
                return ConsoleLine {
                    conversation: Conversation::Direct(sender.to_string()),
                    sender: sender.to_string(),
                    text: text.trim().to_string(),
                };
            }
        }
    }
    ConsoleLine {
        conversation: Conversation::Direct(DEFAULT_SENDER.to_string()),
        sender: DEFAULT_SENDER.to_string(),
        text: line.trim().to_string(),
    }
}

pub fn format_reply(target: &Target, text: &str) -> String {
    let text = printable(text);
    match &target.conversation {
        Conversation::Channel(channel) => format!("[{}] {text}", printable(channel)),
        Conversation::Direct(user) => format!("[@{}] {text}", printable(user)),
    }
}

/// `text` safe to print on a terminal: control characters (CR, LF, ESC, BEL, NUL, DEL, the C1
/// range...) are shown as escapes such as `\x1b` instead of acting on the terminal or forging
/// lines. Tabs stay.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            c if (c as u32) < 0x100 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_printed_as_escapes_not_sent_to_the_terminal() {
        let target = Target::direct("console", "ev\u{1b}[2Jil");
        assert_eq!(
            format_reply(
                &target,
                "red \u{1b}[31m\u{7}\r\n[#x] forged\u{0}\u{9b}\tend"
            ),
            "[@ev\\x1b[2Jil] red \\x1b[31m\\x07\\x0d\\x0a[#x] forged\\x00\\x9b\tend"
        );
        let channel = Target::channel("console", "#gen\r\n");
        assert_eq!(format_reply(&channel, "ok"), "[#gen\\x0d\\x0a] ok");
        assert_eq!(printable("plain, ünïcode"), "plain, ünïcode");
    }

    #[test]
    fn a_channel_line_names_channel_and_sender() {
        let line = parse_line("#meshmonday HOWL: check in");
        assert_eq!(
            line.conversation,
            Conversation::Channel("#meshmonday".into())
        );
        assert_eq!(line.sender, "HOWL");
        assert_eq!(line.text, "check in");
    }

    #[test]
    fn an_at_line_naming_the_bot_addresses_it() {
        let line = parse_line_for("@Switchboard ping", "switchboard");
        assert_eq!(line.conversation, Conversation::Direct("console".into()));
        assert_eq!(
            (line.sender.as_str(), line.text.as_str()),
            ("console", "@Switchboard ping")
        );
        let line = parse_line_for("@bob ping", "switchboard");
        assert_eq!(line.sender, "bob");
    }

    #[test]
    fn a_colon_after_the_channel_is_not_part_of_its_name() {
        let line = parse_line("#general: !ping");
        assert_eq!(line.conversation, Conversation::Channel("#general".into()));
        assert_eq!(
            (line.sender.as_str(), line.text.as_str()),
            ("console", "!ping")
        );
        let line = parse_line("#general: HOWL: check in");
        assert_eq!(line.conversation, Conversation::Channel("#general".into()));
        assert_eq!(
            (line.sender.as_str(), line.text.as_str()),
            ("HOWL", "check in")
        );
    }

    #[test]
    fn a_channel_line_without_a_sender_comes_from_console() {
        let line = parse_line("#general !ping");
        assert_eq!(line.sender, "console");
        assert_eq!(line.text, "!ping");
        let line = parse_line("#general hello there: friend");
        assert_eq!(line.sender, "console");
        assert_eq!(line.text, "hello there: friend");
    }

    #[test]
    fn an_at_line_is_a_direct_message_from_that_user() {
        let line = parse_line("@bob !help ping");
        assert_eq!(line.conversation, Conversation::Direct("bob".into()));
        assert_eq!(line.sender, "bob");
        assert_eq!(line.text, "!help ping");
    }

    #[test]
    fn anything_else_is_a_direct_message_from_console() {
        for text in ["!ping", "#", "@", "# spaced", "hello: world"] {
            let line = parse_line(text);
            assert_eq!(
                line.conversation,
                Conversation::Direct("console".into()),
                "{text}"
            );
            assert_eq!(line.text, text.trim());
        }
    }

    #[test]
    fn replies_are_tagged_with_their_conversation() {
        assert_eq!(
            format_reply(&Target::channel("c", "#general"), "pong"),
            "[#general] pong"
        );
        assert_eq!(
            format_reply(&Target::direct("c", "bob"), "pong"),
            "[@bob] pong"
        );
    }
}
