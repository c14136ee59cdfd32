//! One task per connector: splits replies to fit, paces them, hands them to the connector and
//! reports each delivery on the bus.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use switchboard_api::{Connector, Delivery, Event, Outbound};

use super::chunk::split_message;
use super::claim::Claim;
use super::rate_limit::RateLimiter;
use crate::bus::Bus;
use crate::dispatch::panic_message;

/// Told when a connector has sent a message (every chunk), or why it could not.
pub(super) type SentAck = tokio::sync::oneshot::Sender<Result<(), String>>;

/// A message or a flush request on its way to one connector's queue.
pub(super) enum Request {
    /// A message; the ack hears the outcome, and an outbox message's claim is asked right
    /// before the connector is given it (a withdrawn message is dropped).
    Send(Outbound, Option<SentAck>, Option<Arc<Claim>>),
    /// Answered once everything queued before it has been handed to the connector.
    Flush(tokio::sync::oneshot::Sender<()>),
}

pub(super) fn spawn(
    connector: Arc<dyn Connector>,
    bus: Bus,
) -> (mpsc::Sender<Request>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Request>(1024);
    let task = tokio::spawn(async move {
        let limits = connector.limits();
        let mut limiter = RateLimiter::new(limits.rate_limit, limits.rate_burst.max(1));
        while let Some(request) = rx.recv().await {
            match request {
                Request::Send(message, ack, claim) => {
                    let chunks = split_message(&message.text, limits.max_message_length);
                    let mut error = None;
                    let mut withdrawn = false;
                    for (n, text) in chunks.iter().enumerate() {
                        limiter.acquire().await;
                        if n == 0 && claim.as_ref().is_some_and(|claim| !claim.start_sending()) {
                            withdrawn = true;
                            error = Some("withdrawn by its sender".to_string());
                            break;
                        }
                        let chunk = Outbound {
                            target: message.target.clone(),
                            text: text.clone(),
                        };
                        match AssertUnwindSafe(connector.send(&chunk))
                            .catch_unwind()
                            .await
                        {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => error = Some(e.to_string()),
                            Err(panic) => {
                                error = Some(format!("panicked: {}", panic_message(panic.as_ref())))
                            }
                        }
                        if let Some(e) = &error {
                            tracing::error!(connector = connector.name(), error = %e, "sending a message failed");
                            break;
                        }
                    }
                    if let Some(ack) = ack {
                        let _ = ack.send(error.clone().map_or(Ok(()), Err));
                    }
                    bus.publish(Event::Delivery(Arc::new(Delivery {
                        target: message.target,
                        chunks: if withdrawn { 0 } else { chunks.len() },
                        error,
                    })));
                }
                Request::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    (tx, task)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use switchboard_api::{ConnectorError, ConnectorIo, OutboundLimits, Target};

    /// Records what it was asked to send, and when.
    struct Recorder {
        limits: OutboundLimits,
        sent: Mutex<Vec<(Duration, String)>>,
        started: Instant,
        fail_on: Option<&'static str>,
    }

    #[async_trait::async_trait]
    impl Connector for Recorder {
        fn name(&self) -> &str {
            "rec"
        }
        fn kind(&self) -> &str {
            "recorder"
        }
        fn limits(&self) -> OutboundLimits {
            self.limits
        }
        async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
            Ok(())
        }
        async fn send(&self, message: &Outbound) -> Result<(), ConnectorError> {
            if Some(message.text.as_str()) == self.fail_on {
                return Err(ConnectorError::other("network down"));
            }
            self.sent
                .lock()
                .unwrap()
                .push((self.started.elapsed(), message.text.clone()));
            Ok(())
        }
    }

    async fn deliver(
        limits: OutboundLimits,
        texts: &[&str],
        fail_on: Option<&'static str>,
    ) -> (Vec<(Duration, String)>, Vec<Delivery>) {
        let recorder = Arc::new(Recorder {
            limits,
            sent: Mutex::default(),
            started: Instant::now(),
            fail_on,
        });
        let bus = Bus::default();
        let mut deliveries = bus.subscribe();
        let (queue, _task) = spawn(recorder.clone(), bus);
        for text in texts {
            let message = Outbound {
                target: Target::channel("rec", "#g"),
                text: text.to_string(),
            };
            queue
                .send(Request::Send(message, None, None))
                .await
                .unwrap();
        }
        let (done, flushed) = tokio::sync::oneshot::channel();
        queue.send(Request::Flush(done)).await.unwrap();
        flushed.await.unwrap();
        let mut results = Vec::new();
        while let Some(event) = deliveries.try_recv() {
            if let Event::Delivery(d) = event {
                results.push((*d).clone());
            }
        }
        let sent = recorder.sent.lock().unwrap().clone();
        (sent, results)
    }

    #[tokio::test]
    async fn a_message_its_sender_withdrew_is_not_sent_and_says_so() {
        let recorder = Arc::new(Recorder {
            limits: OutboundLimits::default(),
            sent: Mutex::default(),
            started: Instant::now(),
            fail_on: None,
        });
        let bus = Bus::default();
        let mut events = bus.subscribe();
        let (queue, _task) = spawn(recorder.clone(), bus);
        let mut acks = Vec::new();
        for (text, withdrawn) in [("withdrawn", true), ("kept", false)] {
            let (ack, sent) = tokio::sync::oneshot::channel();
            let claim = Arc::new(Claim::new());
            if withdrawn {
                assert!(claim.start_write());
                assert_eq!(
                    claim.write_failed().await,
                    super::super::claim::AfterFailedWrite::Withdrawn
                );
            }
            let message = Outbound {
                target: Target::channel("rec", "#g"),
                text: text.to_string(),
            };
            queue
                .send(Request::Send(message, Some(ack), Some(claim)))
                .await
                .unwrap();
            acks.push(sent);
        }
        assert_eq!(
            acks.remove(0).await.unwrap(),
            Err("withdrawn by its sender".to_string())
        );
        assert_eq!(acks.remove(0).await.unwrap(), Ok(()));
        let sent: Vec<String> = recorder
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(sent, vec!["kept"]);
        let mut deliveries = Vec::new();
        while let Some(event) = events.try_recv() {
            if let Event::Delivery(d) = event {
                deliveries.push((d.chunks, d.error.clone()));
            }
        }
        assert_eq!(
            deliveries,
            vec![(0, Some("withdrawn by its sender".to_string())), (1, None)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn messages_are_paced_to_the_rate_limit_after_the_burst() {
        let limits = OutboundLimits {
            max_message_length: 0,
            rate_limit: 2.0,
            rate_burst: 2,
        };
        let (sent, _) = deliver(limits, &["a", "b", "c", "d"], None).await;
        let at: Vec<u64> = sent.iter().map(|(t, _)| t.as_millis() as u64).collect();
        assert_eq!(at, vec![0, 0, 500, 1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn long_and_multi_line_replies_are_split_and_reported_once() {
        let limits = OutboundLimits {
            max_message_length: 10,
            rate_limit: 0.0,
            rate_burst: 5,
        };
        let (sent, deliveries) = deliver(limits, &["first line\nsecond line is long"], None).await;
        let texts: Vec<&str> = sent.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, vec!["first line", "second", "line is", "long"]);
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].chunks, 4);
        assert_eq!(deliveries[0].error, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_send_is_reported_and_later_messages_still_go() {
        let limits = OutboundLimits::default();
        let (sent, deliveries) = deliver(limits, &["boom", "after"], Some("boom")).await;
        assert_eq!(
            sent.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
            vec!["after"]
        );
        assert_eq!(deliveries[0].error.as_deref(), Some("network down"));
        assert_eq!(deliveries[1].error, None);
    }
}
