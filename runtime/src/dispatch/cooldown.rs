//! Per-user and per-channel cooldowns (sopel's `@plugin.rate`, poise's `CooldownConfig`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use switchboard_api::command::Cooldown;
use switchboard_api::event::{Conversation, Message};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    command: String,
    connector: String,
    /// `@user` for a user's cooldown, the channel name for a channel's.
    who: String,
}

/// When each (command, user) and (command, channel) may next run the command.
#[derive(Default)]
pub struct Cooldowns {
    ready_at: Mutex<HashMap<Key, Instant>>,
}

/// Entries kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

impl Cooldowns {
    /// Starts the cooldowns for this run, or says how long is left when one is still running.
    pub fn check_and_start(
        &self,
        command: &str,
        cooldown: Cooldown,
        message: &Message,
    ) -> Result<(), Duration> {
        if cooldown == Cooldown::default() {
            return Ok(());
        }
        let now = Instant::now();
        let mut keys = Vec::with_capacity(2);
        if !cooldown.per_user.is_zero() {
            keys.push((
                self.key(command, message, format!("@{}", message.sender)),
                cooldown.per_user,
            ));
        }
        if let (Conversation::Channel(channel), false) =
            (&message.conversation, cooldown.per_channel.is_zero())
        {
            keys.push((
                self.key(command, message, channel.clone()),
                cooldown.per_channel,
            ));
        }
        let mut ready_at = self.ready_at.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|(key, _)| {
                ready_at
                    .get(key)
                    .filter(|at| **at > now)
                    .map(|at| *at - now)
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        if ready_at.len() > SWEEP_ABOVE {
            ready_at.retain(|_, at| *at > now);
        }
        for (key, length) in keys {
            ready_at.insert(key, now + length);
        }
        Ok(())
    }

    fn key(&self, command: &str, message: &Message, who: String) -> Key {
        Key {
            command: command.to_string(),
            connector: message.connector.clone(),
            who,
        }
    }
}
