//! One task per connector: splits replies to fit, paces them, hands them to the connector and
//! reports each delivery on the bus.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::bus::Bus;
use crate::connector::Connector;
use crate::context::OutboundRequest;
use crate::dispatch::panic_message;
use crate::event::{Delivery, Event, Outbound};
use crate::outbound::{split_message, RateLimiter};

pub(crate) fn spawn(
    connector: Arc<dyn Connector>,
    bus: Bus,
) -> (mpsc::Sender<OutboundRequest>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<OutboundRequest>(1024);
    let task = tokio::spawn(async move {
        let limits = connector.limits();
        let mut limiter = RateLimiter::new(limits.rate_limit, limits.rate_burst.max(1));
        while let Some(request) = rx.recv().await {
            match request {
                OutboundRequest::Send(message) => {
                    let chunks = split_message(&message.text, limits.max_message_length);
                    let mut error = None;
                    for text in &chunks {
                        limiter.acquire().await;
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
                    bus.publish(Event::Delivery(Arc::new(Delivery {
                        target: message.target,
                        chunks: chunks.len(),
                        error,
                    })));
                }
                OutboundRequest::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    (tx, task)
}
