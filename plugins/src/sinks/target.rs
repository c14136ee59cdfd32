//! Conversation ids as sinks write them: `general` or `#general` is a channel, `@alice` a
//! direct message to alice.

use switchboard_api::Conversation;

/// The conversation a sink's id names; `None` for an empty id.
pub fn conversation_of(id: &str) -> Option<Conversation> {
    let id = id.trim();
    if let Some(user) = id.strip_prefix('@') {
        return (!user.is_empty()).then(|| Conversation::Direct(user.to_string()));
    }
    if id.is_empty() || id == "#" {
        return None;
    }
    if id.starts_with('#') {
        Some(Conversation::Channel(id.to_string()))
    } else {
        Some(Conversation::Channel(format!("#{id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_users_and_nothing() {
        assert_eq!(
            conversation_of("general"),
            Some(Conversation::Channel("#general".into()))
        );
        assert_eq!(
            conversation_of("#general"),
            Some(Conversation::Channel("#general".into()))
        );
        assert_eq!(
            conversation_of("@alice"),
            Some(Conversation::Direct("alice".into()))
        );
        assert_eq!(conversation_of(""), None);
        assert_eq!(conversation_of("@"), None);
    }
}
