//! Conversation ids as sinks write them: `general` or `#general` is a channel, `@alice` a
//! direct message to alice.

use switchboard_api::Conversation;

/// The longest conversation id taken, in bytes (IRC's channel names stop at 50, Matrix room
/// aliases at 255).
pub const MAX_CONVERSATION_ID: usize = 255;

/// Why an id names no conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    /// Nothing (or only `#` or `@`).
    #[error("the path must name a conversation")]
    Empty,
    /// A control character: CR and LF would forge lines on a line-based connector, NUL and
    /// terminal escapes would reach the console raw.
    #[error("a conversation id must not contain control characters (CR, LF, NUL, ESC, ...)")]
    ControlCharacter,
    /// Longer than [`MAX_CONVERSATION_ID`].
    #[error("a conversation id is at most {MAX_CONVERSATION_ID} bytes")]
    TooLong,
}

/// The conversation a sink's id names.
pub fn conversation_of(id: &str) -> Result<Conversation, ConversationError> {
    let id = id.trim();
    if id.chars().any(char::is_control) {
        return Err(ConversationError::ControlCharacter);
    }
    if id.len() > MAX_CONVERSATION_ID {
        return Err(ConversationError::TooLong);
    }
    if let Some(user) = id.strip_prefix('@') {
        return match user.is_empty() {
            true => Err(ConversationError::Empty),
            false => Ok(Conversation::Direct(user.to_string())),
        };
    }
    if id.is_empty() || id == "#" {
        return Err(ConversationError::Empty);
    }
    if id.starts_with('#') {
        Ok(Conversation::Channel(id.to_string()))
    } else {
        Ok(Conversation::Channel(format!("#{id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_users_and_nothing() {
        assert_eq!(
            conversation_of("general"),
            Ok(Conversation::Channel("#general".into()))
        );
        assert_eq!(
            conversation_of("#general"),
            Ok(Conversation::Channel("#general".into()))
        );
        assert_eq!(
            conversation_of("@alice"),
            Ok(Conversation::Direct("alice".into()))
        );
        assert_eq!(conversation_of(""), Err(ConversationError::Empty));
        assert_eq!(conversation_of("@"), Err(ConversationError::Empty));
    }

    #[test]
    fn control_characters_and_overlong_ids_name_no_conversation() {
        for id in [
            "gen\r\n[#x] forged",
            "a\0b",
            "x\u{1b}[31m",
            "bell\u{7}",
            "@al\nice",
            "c1\u{9b}",
        ] {
            assert_eq!(
                conversation_of(id),
                Err(ConversationError::ControlCharacter),
                "{id:?}"
            );
        }
        let long = "a".repeat(MAX_CONVERSATION_ID + 1);
        assert_eq!(conversation_of(&long), Err(ConversationError::TooLong));
        let longest = "a".repeat(MAX_CONVERSATION_ID);
        assert!(conversation_of(&longest).is_ok());
        // Other Unicode is a name like any other.
        assert_eq!(
            conversation_of("café ☕"),
            Ok(Conversation::Channel("#café ☕".into()))
        );
    }
}
