//! The supervisor that keeps services running: it starts a [`Service`], polls its health,
//! restarts it with backoff when it turns unhealthy and gives up (state
//! [`ServiceState::Failed`]) after too many consecutive failed starts.

mod state;
mod supervisor;

pub use state::ServiceState;
pub use supervisor::{Supervisor, SupervisorSettings};

#[cfg(test)]
mod tests;
