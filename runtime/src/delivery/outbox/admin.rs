//! The outboxes as an operator sees them (`switchboard outbox list|retry|drop`): every bot
//! name's waiting messages, read from the store, dropped, or moved to another bot name.
//!
//! The store is the only thing shared with a running bot, and every change here is one store
//! transaction on rows the bot only ever deletes: a drop or a move can race a delivery but
//! never make a message go out twice (see docs/cli.md, "outbox").

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use switchboard_api::{Store, StoreError};

use super::{scope, Stored};

/// The scope prefix every bot's outbox shares.
const PREFIX: &str = "outbox:";
/// How many characters of a message `list` shows.
const EXCERPT_CHARS: usize = 60;

/// Why an outbox operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Ids that are not in the outbox (perhaps delivered meanwhile); nothing was changed.
    #[error("no message {} in the outbox of bot {bot:?} (delivered already, or a typo?); nothing was changed", ids.join(", "))]
    UnknownIds {
        /// The bot name whose outbox was searched.
        bot: String,
        /// The ids not found.
        ids: Vec<String>,
    },
}

/// Which messages of an outbox an operation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every message waiting.
    All,
    /// These ids; each must be there.
    Ids(Vec<String>),
}

/// What a stored message is to its bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Sent by its bot at its next start, or retried now if it is running.
    Waiting,
    /// The row cannot be decoded: no bot sends it; only `drop` removes it.
    Unreadable,
}

/// One message in an outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// Its key: accept time in nanoseconds, then a counter.
    pub id: String,
    /// The bot name whose outbox holds it.
    pub bot: String,
    /// Whether a bot can send it.
    pub state: State,
    /// The connector instance it goes to.
    pub connector: Option<String>,
    /// `#channel` or `@user`.
    pub target: Option<String>,
    /// Whole seconds since it was accepted, from its id.
    pub age_secs: Option<u64>,
    /// The text's first characters, on one line, control characters shown as escapes.
    pub excerpt: String,
    /// The text's length in characters.
    pub chars: usize,
}

/// Every outbox in one store.
#[derive(Clone)]
pub struct Outboxes {
    store: Arc<dyn Store>,
}

impl Outboxes {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Outboxes { store }
    }

    /// Every bot name with messages waiting, with their count, sorted by name.
    pub async fn bots(&self) -> Result<Vec<(String, usize)>, StoreError> {
        Ok(self
            .store
            .scopes(PREFIX)
            .await?
            .into_iter()
            .filter_map(|(scope, count)| Some((scope.strip_prefix(PREFIX)?.to_string(), count)))
            .collect())
    }

    /// The messages waiting in `bot`'s outbox, oldest first.
    pub async fn list(&self, bot: &str) -> Result<Vec<Waiting>, StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let rows = self.store.list(&scope(bot)).await?;
        Ok(rows
            .into_iter()
            .map(|(id, value)| waiting(bot, id, &value, now))
            .collect())
    }

    /// Removes messages from `bot`'s outbox; returns the ids removed. With ids, all must be
    /// there or nothing is removed.
    pub async fn remove(&self, bot: &str, which: &Selection) -> Result<Vec<String>, OutboxError> {
        let ids = self.existing(bot, which).await?;
        let scope = scope(bot);
        let mut dropped = Vec::with_capacity(ids.len());
        for id in ids {
            // One by one, to report only what was still there (not delivered meanwhile).
            if self.store.delete(&scope, &id).await? {
                dropped.push(id);
            }
        }
        Ok(dropped)
    }

    /// Moves messages from `from`'s outbox to `to`'s (the bot that will send them), in one
    /// transaction; returns the ids moved. With ids, all must be there or nothing moves.
    pub async fn adopt(
        &self,
        from: &str,
        to: &str,
        which: &Selection,
    ) -> Result<Vec<String>, OutboxError> {
        let keys = match which {
            Selection::All => None,
            Selection::Ids(_) => Some(self.existing(from, which).await?),
        };
        Ok(self
            .store
            .move_rows(&scope(from), &scope(to), keys.as_deref())
            .await?)
    }

    /// The ids `which` names in `bot`'s outbox: every one there, or an error naming those
    /// that are not.
    pub async fn existing(&self, bot: &str, which: &Selection) -> Result<Vec<String>, OutboxError> {
        let present: Vec<String> = self
            .store
            .list(&scope(bot))
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        match which {
            Selection::All => Ok(present),
            Selection::Ids(ids) => {
                let missing: Vec<String> = ids
                    .iter()
                    .filter(|id| !present.contains(id))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(OutboxError::UnknownIds {
                        bot: bot.to_string(),
                        ids: missing,
                    });
                }
                let mut ids = ids.clone();
                ids.sort();
                ids.dedup();
                Ok(ids)
            }
        }
    }
}

fn waiting(bot: &str, id: String, value: &str, now_nanos: u128) -> Waiting {
    let age_secs = id
        .split('-')
        .next()
        .and_then(|nanos| nanos.parse::<u128>().ok())
        .map(|at| u64::try_from(now_nanos.saturating_sub(at) / 1_000_000_000).unwrap_or(u64::MAX));
    match serde_json::from_str::<Stored>(value) {
        Ok(stored) => {
            let target = stored.target();
            Waiting {
                id,
                bot: bot.to_string(),
                state: State::Waiting,
                connector: Some(target.connector),
                target: Some(target.conversation.to_string()),
                age_secs,
                excerpt: excerpt(&stored.text),
                chars: stored.text.chars().count(),
            }
        }
        Err(_) => Waiting {
            id,
            bot: bot.to_string(),
            state: State::Unreadable,
            connector: None,
            target: None,
            age_secs,
            excerpt: String::new(),
            chars: 0,
        },
    }
}

/// The first characters of `text`, as [`one_line`] shows them.
pub fn excerpt(text: &str) -> String {
    let mut out = one_line(&text.chars().take(EXCERPT_CHARS).collect::<String>());
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `text` on one line, safe to print on a terminal: line breaks and tabs become spaces, other
/// control characters (an escape sequence could rewrite the operator's terminal) and bidi
/// overrides are shown as escapes such as `\x1b`, as the console connector shows them.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x100 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that reorder the text around them on a terminal (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_api::MemoryStore;

    fn row(text: &str) -> String {
        serde_json::json!({"connector": "main", "channel": "#general", "text": text}).to_string()
    }

    async fn outboxes() -> Outboxes {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        store
            .put("outbox:old", "00000000000000000001-000000", &row("one"))
            .await
            .unwrap();
        store
            .put("outbox:old", "00000000000000000002-000000", "{not json")
            .await
            .unwrap();
        store
            .put("outbox:new", "00000000000000000003-000000", &row("three"))
            .await
            .unwrap();
        store.put("outboxes", "k", "not an outbox").await.unwrap();
        Outboxes::new(store)
    }

    #[test]
    fn excerpts_are_one_line_without_control_characters() {
        assert_eq!(
            excerpt("a\nb\tc\u{1b}[2Jd\u{202e}e\u{85}"),
            "a b c\\x1b[2Jd\\u{202e}e\\x85"
        );
        let long = "x".repeat(100);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }

    #[tokio::test]
    async fn lists_every_bot_and_its_rows_unreadable_ones_included() {
        let outboxes = outboxes().await;
        assert_eq!(
            outboxes.bots().await.unwrap(),
            vec![("new".to_string(), 1), ("old".to_string(), 2)]
        );
        let old = outboxes.list("old").await.unwrap();
        assert_eq!(old.len(), 2);
        assert_eq!(old[0].state, State::Waiting);
        assert_eq!(old[0].target.as_deref(), Some("#general"));
        assert_eq!(old[0].excerpt, "one");
        assert_eq!(old[1].state, State::Unreadable);
    }

    #[tokio::test]
    async fn an_unknown_id_changes_nothing() {
        let outboxes = outboxes().await;
        let which = Selection::Ids(vec!["00000000000000000001-000000".into(), "nope".into()]);
        let e = outboxes.remove("old", &which).await.unwrap_err();
        assert!(
            matches!(e, OutboxError::UnknownIds { ref ids, .. } if ids == &["nope"]),
            "{e}"
        );
        let e = outboxes.adopt("old", "new", &which).await.unwrap_err();
        assert!(matches!(e, OutboxError::UnknownIds { .. }), "{e}");
        assert_eq!(outboxes.list("old").await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn adopt_moves_and_drop_removes() {
        let outboxes = outboxes().await;
        let moved = outboxes.adopt("old", "new", &Selection::All).await.unwrap();
        assert_eq!(moved.len(), 2);
        assert!(outboxes.list("old").await.unwrap().is_empty());
        assert_eq!(outboxes.list("new").await.unwrap().len(), 3);
        let dropped = outboxes
            .remove(
                "new",
                &Selection::Ids(vec!["00000000000000000002-000000".into()]),
            )
            .await
            .unwrap();
        assert_eq!(dropped, vec!["00000000000000000002-000000"]);
        assert_eq!(outboxes.list("new").await.unwrap().len(), 2);
    }
}
