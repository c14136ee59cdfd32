//! At start, before the outbox opens: messages queued under another bot name (the bot was
//! renamed in `[Bot] name`) would otherwise never be sent. A SQLite file belongs to one bot,
//! so it takes them over; a PostgreSQL database may be shared by several bots, so it only
//! says which names have messages waiting and how to move them.

use std::sync::Arc;

use switchboard_api::Store;

use super::admin::{Outboxes, Selection};

/// Adopts (SQLite) or reports (any other store) the messages waiting under bot names other
/// than `bot_name`. Errors are logged: the messages then stay where they are, nothing is lost.
pub async fn adopt_stranded(store: &Arc<dyn Store>, bot_name: &str) {
    let outboxes = Outboxes::new(store.clone());
    let others: Vec<(String, usize)> = match outboxes.bots().await {
        Ok(bots) => bots
            .into_iter()
            .filter(|(name, _)| name != bot_name)
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "could not look for messages queued under other bot names");
            return;
        }
    };
    if others.is_empty() {
        return;
    }
    if store.backend() != "sqlite" {
        let names: Vec<String> = others
            .iter()
            .map(|(name, count)| format!("{name:?} ({count})"))
            .collect();
        let first = &others[0].0;
        tracing::warn!(
            bots = others.len(),
            "the shared store holds queued messages of other bot names, which this bot ({bot_name:?}) \
             does not send: {}. If one is this bot's former name, move its messages here with \
             `switchboard outbox retry --from {first:?} --all` (see `switchboard outbox list --all-bots`)",
            names.join(", ")
        );
        return;
    }
    for (former, count) in others {
        match outboxes.adopt(&former, bot_name, &Selection::All).await {
            Ok(moved) => {
                tracing::info!(
                    messages = moved.len(),
                    former_name = %former,
                    "adopted {} queued message{} of the bot formerly named {former:?}",
                    moved.len(),
                    if moved.len() == 1 { "" } else { "s" }
                );
                if moved.len() < count {
                    tracing::warn!(
                        former_name = %former,
                        left = count - moved.len(),
                        "some messages of the bot formerly named {former:?} have an id this bot already uses and stay there; see `switchboard outbox list --bot {former:?}`"
                    );
                }
            }
            Err(e) => tracing::error!(
                former_name = %former,
                error = %e,
                "could not adopt the queued messages of the bot formerly named {former:?}; they stay under that name"
            ),
        }
    }
}
