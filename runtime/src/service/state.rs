//! A supervised service's state, and the cell that holds it and reports every change.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

/// Where a supervised service is in its life, as users see it (`!plugins`, the bus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    /// Started, not yet reported healthy.
    Starting,
    /// Reported healthy since its last start.
    Running,
    /// Stopped after a failure, waiting out its backoff before start number `attempt` after that.
    Restarting { attempt: u32 },
    /// Gave up after too many consecutive failed starts; not restarted again.
    Failed(String),
    /// Shut down.
    Stopped,
}

impl ServiceState {
    /// A short lower-case name of the state, without its detail.
    pub fn label(&self) -> &'static str {
        match self {
            ServiceState::Starting => "starting",
            ServiceState::Running => "running",
            ServiceState::Restarting { .. } => "restarting",
            ServiceState::Failed(_) => "failed",
            ServiceState::Stopped => "stopped",
        }
    }

    /// The state's detail (restart attempt, failure reason), if it has one.
    pub fn detail(&self) -> Option<String> {
        match self {
            ServiceState::Restarting { attempt } => Some(format!("attempt {attempt}")),
            ServiceState::Failed(reason) => Some(reason.clone()),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(detail) => write!(f, "{} ({detail})", self.label()),
            None => f.write_str(self.label()),
        }
    }
}

pub(super) type StateListener = Box<dyn Fn(&str, &ServiceState) + Send + Sync>;

/// Holds the current state and calls the listener on every change.
pub(super) struct StateCell {
    name: String,
    state: Mutex<ServiceState>,
    listener: StateListener,
}

impl StateCell {
    pub(super) fn new(name: String, listener: StateListener) -> Self {
        StateCell {
            name,
            state: Mutex::new(ServiceState::Starting),
            listener,
        }
    }

    pub(super) fn get(&self) -> ServiceState {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Sets the state; tells the listener if it changed.
    pub(super) fn set(&self, new: ServiceState) {
        let changed = {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let changed = *state != new;
            *state = new.clone();
            changed
        };
        if changed {
            self.notify(&new);
        }
    }

    /// Tells the listener the current state, changed or not (the first report).
    pub(super) fn announce(&self) {
        self.notify(&self.get());
    }

    fn notify(&self, state: &ServiceState) {
        let call =
            std::panic::catch_unwind(AssertUnwindSafe(|| (self.listener)(&self.name, state)));
        if call.is_err() {
            tracing::error!(service = %self.name, %state, "the service state listener panicked");
        }
    }
}
