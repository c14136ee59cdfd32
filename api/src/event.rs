//! What travels on the bus: messages in and out, delivery results, plugin state, custom events.

use std::sync::Arc;
use std::time::SystemTime;

/// Where a message came from or where a reply goes: a channel, or a direct conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Conversation {
    /// A channel such as `#general`; the name keeps its leading `#`.
    Channel(String),
    /// A direct conversation with one user, named by the connector's user id.
    Direct(String),
}

impl Conversation {
    /// Whether it is a direct conversation.
    pub fn is_direct(&self) -> bool {
        matches!(self, Conversation::Direct(_))
    }
}

impl std::fmt::Display for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conversation::Channel(name) => f.write_str(name),
            Conversation::Direct(user) => write!(f, "@{user}"),
        }
    }
}

/// Where a reply goes: a conversation on one connector instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The connector instance's name.
    pub connector: String,
    /// The channel or user on it.
    pub conversation: Conversation,
}

impl Target {
    /// A channel on a connector, e.g. `#general`.
    pub fn channel(connector: impl Into<String>, channel: impl Into<String>) -> Self {
        Target {
            connector: connector.into(),
            conversation: Conversation::Channel(channel.into()),
        }
    }

    /// A direct conversation with one user on a connector.
    pub fn direct(connector: impl Into<String>, user: impl Into<String>) -> Self {
        Target {
            connector: connector.into(),
            conversation: Conversation::Direct(user.into()),
        }
    }
}

/// One inbound chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The connector instance it arrived on.
    pub connector: String,
    /// The channel it was said in, or the direct conversation.
    pub conversation: Conversation,
    /// The sender's user id on the connector.
    pub sender: String,
    /// What was said.
    pub text: String,
    /// When the bot received it.
    pub received_at: SystemTime,
    /// The transport's own packet or message id, when it has one.
    pub message_id: Option<String>,
}

impl Message {
    /// A message received now, without a transport id.
    pub fn new(
        connector: impl Into<String>,
        conversation: Conversation,
        sender: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Message {
            connector: connector.into(),
            conversation,
            sender: sender.into(),
            text: text.into(),
            received_at: SystemTime::now(),
            message_id: None,
        }
    }

    /// Where a reply to this message goes: the same channel, or back to the sender directly.
    pub fn reply_target(&self) -> Target {
        Target {
            connector: self.connector.clone(),
            conversation: self.conversation.clone(),
        }
    }
}

/// One outbound chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// Where it goes.
    pub target: Target,
    /// What it says; the connector's queue splits it to fit.
    pub text: String,
}

/// The outcome of handing an outbound message to its connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Where it went.
    pub target: Target,
    /// How many messages it was split into (0 when it was withdrawn).
    pub chunks: usize,
    /// Why it was not (wholly) sent, when it was not.
    pub error: Option<String>,
}

/// A plugin, command, service or connector changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// What changed, e.g. `service:checkin`.
    pub component: String,
    /// Its new state, e.g. `running`.
    pub state: String,
    /// Why, when there is more to say.
    pub detail: Option<String>,
}

/// A free-form event between plugins.
#[derive(Debug, Clone, PartialEq)]
pub struct Custom {
    /// What it is about, e.g. `checkin.stored`.
    pub topic: String,
    /// Its content.
    pub payload: serde_json::Value,
}

/// Everything that travels on the [`Bus`](crate::Bus). Payloads sit behind `Arc` so that
/// fanning one event out to many subscribers costs a reference count, not a copy.
#[derive(Debug, Clone)]
pub enum Event {
    /// A chat message arrived.
    Inbound(Arc<Message>),
    /// A message was queued for its connector.
    Outbound(Arc<Outbound>),
    /// A connector sent a message, or could not.
    Delivery(Arc<Delivery>),
    /// A part of the bot changed state.
    State(Arc<StateChange>),
    /// Between plugins.
    Custom(Arc<Custom>),
    /// The bot has begun to shut down.
    Shutdown,
}

impl Event {
    /// A custom event.
    pub fn custom(topic: impl Into<String>, payload: serde_json::Value) -> Self {
        Event::Custom(Arc::new(Custom {
            topic: topic.into(),
            payload,
        }))
    }

    /// A short name of the event's kind, for logs and subscription filters.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Inbound(_) => "inbound",
            Event::Outbound(_) => "outbound",
            Event::Delivery(_) => "delivery",
            Event::State(_) => "state",
            Event::Custom(_) => "custom",
            Event::Shutdown => "shutdown",
        }
    }
}
