//! Who owns an accepted message's outbox row: the accept that may write it, or the deliverer
//! that may send the message first. Whichever comes second knows from the claim whether a row
//! exists that must be deleted.

use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// With the deliverer only; no row written.
    Waiting,
    /// Its row is being written.
    Storing,
    /// Its row is in the store.
    Stored,
    /// Sent by its connector.
    Sent,
}

/// Shared by one accept and the deliverer.
pub(super) struct Claim {
    stage: Mutex<Stage>,
    sent: Notify,
}

/// What the accept must do once its write has finished.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AfterWrite {
    /// The row is in the store; the deliverer deletes it once the message is sent.
    Keep,
    /// The message was sent while the row was written: the accept deletes the row.
    Delete,
}

impl Claim {
    pub(super) fn new() -> Claim {
        Claim {
            stage: Mutex::new(Stage::Waiting),
            sent: Notify::new(),
        }
    }

    fn stage(&self) -> std::sync::MutexGuard<'_, Stage> {
        self.stage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends once the deliverer has sent the message (at once if it already has).
    pub(super) async fn sent(&self) {
        self.sent.notified().await
    }

    /// The accept is about to write the row; false when the message is already sent, so
    /// there is nothing to write.
    pub(super) fn start_write(&self) -> bool {
        let mut stage = self.stage();
        match *stage {
            Stage::Waiting => {
                *stage = Stage::Storing;
                true
            }
            _ => false,
        }
    }

    /// The row is written.
    pub(super) fn written(&self) -> AfterWrite {
        let mut stage = self.stage();
        match *stage {
            Stage::Sent => AfterWrite::Delete,
            _ => {
                *stage = Stage::Stored;
                AfterWrite::Keep
            }
        }
    }

    /// The row could not be written, so the message is again the deliverer's alone; true when
    /// it was sent meanwhile (the accept has nothing to report then).
    pub(super) fn was_sent_after_failed_write(&self) -> bool {
        let mut stage = self.stage();
        if *stage == Stage::Storing {
            *stage = Stage::Waiting;
        }
        *stage == Stage::Sent
    }

    /// The connector has sent the message; true when the deliverer must delete its row (the
    /// row is in the store and no accept is still writing it).
    pub(super) fn mark_sent(&self) -> bool {
        let mut stage = self.stage();
        let delete = *stage == Stage::Stored;
        *stage = Stage::Sent;
        drop(stage);
        self.sent.notify_one();
        delete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_before_any_write_leaves_nothing_to_write_or_delete() {
        let claim = Claim::new();
        assert!(!claim.mark_sent());
        assert!(!claim.start_write());
    }

    #[test]
    fn sent_while_the_row_is_written_makes_the_writer_delete_it() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert!(!claim.mark_sent());
        assert_eq!(claim.written(), AfterWrite::Delete);
    }

    #[test]
    fn sent_after_the_row_is_written_makes_the_deliverer_delete_it() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert_eq!(claim.written(), AfterWrite::Keep);
        assert!(claim.mark_sent());
    }

    #[test]
    fn a_failed_write_leaves_the_message_with_the_deliverer() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert!(!claim.was_sent_after_failed_write());
        assert!(!claim.mark_sent(), "no row was written, so none is deleted");
    }

    #[test]
    fn a_failed_write_of_a_message_sent_meanwhile_is_no_failure() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert!(!claim.mark_sent());
        assert!(claim.was_sent_after_failed_write());
    }

    #[tokio::test]
    async fn the_accept_hears_of_a_send_that_came_before_it_listened() {
        let claim = Claim::new();
        claim.mark_sent();
        tokio::time::timeout(std::time::Duration::from_secs(5), claim.sent())
            .await
            .expect("the send is remembered");
    }
}
