//! Finding the command in a message: the prefix, a mention of the bot, or a bare DM.

/// How a message addresses the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    pub prefix: String,
    pub bot_name: String,
    /// `switchboard: ping`, `switchboard, ping` and `@switchboard ping` invoke `ping`.
    pub mention_prefix: bool,
    /// In a direct conversation, `ping` works without the prefix.
    pub dm_prefix_optional: bool,
}

/// The keyword and its arguments, when the message invokes a command at all.
pub fn invocation<'a>(text: &'a str, how: &Addressing, direct: bool) -> Option<(&'a str, &'a str)> {
    let text = text.trim();
    let rest = if !how.prefix.is_empty() && text.starts_with(how.prefix.as_str()) {
        &text[how.prefix.len()..]
    } else if let Some(rest) = how
        .mention_prefix
        .then(|| after_mention(text, &how.bot_name))
        .flatten()
    {
        rest
    } else if direct && how.dm_prefix_optional {
        text
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let (keyword, args) = match rest.find(char::is_whitespace) {
        Some(end) => (&rest[..end], rest[end..].trim()),
        None => (rest, ""),
    };
    (!keyword.is_empty()).then_some((keyword, args))
}

fn after_mention<'a>(text: &'a str, bot_name: &str) -> Option<&'a str> {
    if bot_name.is_empty() {
        return None;
    }
    let text = text.strip_prefix('@').unwrap_or(text);
    let head = text.get(..bot_name.len())?;
    if !head.eq_ignore_ascii_case(bot_name) {
        return None;
    }
    let rest = &text[bot_name.len()..];
    if let Some(rest) = rest.strip_prefix([':', ',']) {
        return Some(rest);
    }
    rest.starts_with(char::is_whitespace).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn how() -> Addressing {
        Addressing {
            prefix: "!".into(),
            bot_name: "Switchy".into(),
            mention_prefix: true,
            dm_prefix_optional: true,
        }
    }

    #[test]
    fn the_prefix_introduces_a_command_with_arguments() {
        assert_eq!(invocation("!ping", &how(), false), Some(("ping", "")));
        assert_eq!(
            invocation("  !help   ping  ", &how(), false),
            Some(("help", "ping"))
        );
        assert_eq!(invocation("! ping", &how(), false), Some(("ping", "")));
        assert_eq!(invocation("!", &how(), false), None);
        assert_eq!(invocation("ping", &how(), false), None);
    }

    #[test]
    fn a_mention_of_the_bot_works_as_a_prefix() {
        for text in [
            "Switchy: ping",
            "switchy, ping",
            "@switchy ping",
            "SWITCHY ping",
        ] {
            assert_eq!(
                invocation(text, &how(), false),
                Some(("ping", "")),
                "{text}"
            );
        }
        assert_eq!(invocation("Switchyfoo ping", &how(), false), None);
        let mut no_mentions = how();
        no_mentions.mention_prefix = false;
        assert_eq!(invocation("Switchy: ping", &no_mentions, false), None);
    }

    #[test]
    fn direct_messages_need_no_prefix_unless_configured() {
        assert_eq!(invocation("ping", &how(), true), Some(("ping", "")));
        let mut strict = how();
        strict.dm_prefix_optional = false;
        assert_eq!(invocation("ping", &strict, true), None);
        assert_eq!(invocation("!ping", &strict, true), Some(("ping", "")));
    }

    #[test]
    fn multibyte_text_never_splits_a_character() {
        assert_eq!(invocation("ééé ping", &how(), false), None);
        assert_eq!(
            invocation("!héllo wörld", &how(), false),
            Some(("héllo", "wörld"))
        );
    }
}
