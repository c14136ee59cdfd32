//! What an accepted message's accept and its delivery know of each other. The accept hands the
//! message to the deliverer at once and writes it to the store only if it is not sent soon;
//! the claim tells whichever side comes second whether a row exists that must be deleted, and
//! lets an accept whose write failed withdraw the message, so that a sender told 503 never
//! sees it posted.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// No row written, nor being written.
    None,
    Writing,
    Written,
    /// The write failed and the sender hears so: the message must not be sent.
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Send {
    /// Waiting for the connector (or for a retry).
    Queued,
    /// In the connector's hands.
    Sending,
    Sent,
}

#[derive(Debug)]
struct State {
    write: Write,
    send: Send,
    /// The accept stopped listening (its sender hung up or timed out): nobody would hear
    /// that the message was withdrawn, so it is not.
    abandoned: bool,
}

/// Shared by one accept and the deliverer.
pub(super) struct Claim {
    state: Mutex<State>,
    /// Told whenever the message is sent, or a send fails.
    send_changed: Notify,
}

/// What became of a message whose row could not be written.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AfterFailedWrite {
    /// Its connector sent it meanwhile.
    Sent,
    /// It will not be sent; the sender is told.
    Withdrawn,
    /// Nobody listens any more: it stays with the deliverer, unwritten.
    LeftToDeliver,
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
            state: Mutex::new(State {
                write: Write::None,
                send: Send::Queued,
                abandoned: false,
            }),
            send_changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends once the message is sent (at once if it already is).
    pub(super) async fn sent(&self) {
        loop {
            let changed = self.send_changed.notified();
            if self.state().send == Send::Sent {
                return;
            }
            changed.await;
        }
    }

    /// The accept is about to write the row; false when the message is already sent, so
    /// there is nothing to write.
    pub(super) fn start_write(&self) -> bool {
        let mut state = self.state();
        if state.send == Send::Sent {
            return false;
        }
        state.write = Write::Writing;
        true
    }

    /// The row is written.
    pub(super) fn written(&self) -> AfterWrite {
        let mut state = self.state();
        state.write = Write::Written;
        if state.send == Send::Sent {
            AfterWrite::Delete
        } else {
            AfterWrite::Keep
        }
    }

    /// The row could not be written. A message its connector is sending right now is waited
    /// for. One still queued is withdrawn (the deliverer drops it), unless nobody listens.
    pub(super) async fn write_failed(&self) -> AfterFailedWrite {
        loop {
            let changed = self.send_changed.notified();
            {
                let mut state = self.state();
                match state.send {
                    Send::Sent => {
                        state.write = Write::None;
                        return AfterFailedWrite::Sent;
                    }
                    Send::Queued if state.abandoned => {
                        state.write = Write::None;
                        return AfterFailedWrite::LeftToDeliver;
                    }
                    Send::Queued => {
                        state.write = Write::Withdrawn;
                        return AfterFailedWrite::Withdrawn;
                    }
                    Send::Sending => {}
                }
            }
            changed.await;
        }
    }

    /// The accept stopped listening before it learnt the outcome.
    pub(super) fn abandon(&self) {
        self.state().abandoned = true;
    }

    /// Asked right before the connector is given the message; false when it was withdrawn.
    pub(super) fn start_sending(&self) -> bool {
        let mut state = self.state();
        if state.write == Write::Withdrawn {
            return false;
        }
        state.send = Send::Sending;
        true
    }

    /// The connector could not send it (it will be retried unless withdrawn).
    pub(super) fn send_failed(&self) {
        let mut state = self.state();
        if state.send == Send::Sending {
            state.send = Send::Queued;
            drop(state);
            self.send_changed.notify_one();
        }
    }

    /// Whether its row is in the store (written, and not withdrawn).
    pub(super) fn is_written(&self) -> bool {
        self.state().write == Write::Written
    }

    pub(super) fn withdrawn(&self) -> bool {
        self.state().write == Write::Withdrawn
    }

    /// The connector has sent the message; true when the deliverer must delete its row (the
    /// row is in the store and no accept is still writing it).
    pub(super) fn mark_sent(&self) -> bool {
        let mut state = self.state();
        let delete = state.write == Write::Written;
        state.send = Send::Sent;
        drop(state);
        self.send_changed.notify_one();
        delete
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sent_before_any_write_leaves_nothing_to_write_or_delete() {
        let claim = Claim::new();
        assert!(claim.start_sending());
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

    #[tokio::test]
    async fn a_failed_write_withdraws_a_message_not_yet_with_the_connector() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert_eq!(claim.write_failed().await, AfterFailedWrite::Withdrawn);
        assert!(claim.withdrawn());
        assert!(!claim.start_sending());
    }

    #[tokio::test]
    async fn a_failed_write_nobody_listens_for_leaves_the_message_to_be_sent() {
        let claim = Claim::new();
        assert!(claim.start_write());
        claim.abandon();
        assert_eq!(claim.write_failed().await, AfterFailedWrite::LeftToDeliver);
        assert!(claim.start_sending());
        assert!(!claim.mark_sent(), "no row was written");
    }

    #[tokio::test]
    async fn a_failed_write_of_a_message_sent_meanwhile_is_no_failure() {
        let claim = Claim::new();
        assert!(claim.start_write());
        assert!(!claim.mark_sent());
        assert_eq!(claim.write_failed().await, AfterFailedWrite::Sent);
    }

    #[tokio::test]
    async fn a_failed_write_waits_for_the_send_under_way() {
        let claim = std::sync::Arc::new(Claim::new());
        assert!(claim.start_sending());
        assert!(claim.start_write());
        let failed = tokio::spawn({
            let claim = claim.clone();
            async move { claim.write_failed().await }
        });
        // One thread: the accept runs until it waits.
        tokio::task::yield_now().await;
        assert!(!failed.is_finished(), "it waits while the connector has it");
        claim.send_failed();
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(10), failed)
                .await
                .expect("the accept hears of the failed send")
                .unwrap(),
            AfterFailedWrite::Withdrawn
        );
        assert!(
            claim.withdrawn(),
            "a message that failed to send is withdrawn"
        );
    }

    #[tokio::test]
    async fn the_accept_hears_of_a_send_that_came_before_it_listened() {
        let claim = Claim::new();
        claim.mark_sent();
        tokio::time::timeout(Duration::from_secs(10), claim.sent())
            .await
            .expect("the send is remembered");
    }
}
