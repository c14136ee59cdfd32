//! Switchboard's core: the event bus, the plugin traits, the registry, command dispatch,
//! configuration and storage. Built-in and local plugins build on this crate alone.

pub mod bus;
pub mod config;
pub mod event;
pub mod service;
pub mod suggest;

pub use bus::{Bus, Subscription};
pub use event::{Conversation, Custom, Delivery, Event, Message, Outbound, StateChange, Target};
