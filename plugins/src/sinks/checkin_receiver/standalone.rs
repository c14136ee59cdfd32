//! The receiver on a listener of its own (`switchboard checkin-receiver`): the shared listener
//! (plain or TLS, header and idle timeouts) in front of the shared intake (request ids,
//! counters, concurrency limit, allow list, body limit, request timeout).

use std::net::SocketAddr;
use std::sync::Arc;

use switchboard_api::http::{
    BoundListener, ConnectionLimits, CounterSnapshot, Limits, ListenerError, SinkCounters, TlsFiles,
};
use switchboard_api::ListenerAddr;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::receiver::Receiver;
use super::routes::{receiver_filter, receiver_intake};

/// The name its request ids and log lines carry.
const NAME: &str = "checkin-receiver";

/// A receiver serving until its stop token is cancelled.
pub struct StandaloneReceiver {
    local: SocketAddr,
    tls: bool,
    counters: Arc<SinkCounters>,
    task: JoinHandle<()>,
}

impl StandaloneReceiver {
    /// Binds `addr` (with TLS from `tls`, read now) and serves `receiver` with `limits` on
    /// connections held to `connection`, until `stop` is cancelled.
    pub async fn start(
        addr: SocketAddr,
        tls: Option<&TlsFiles>,
        receiver: Arc<Receiver>,
        limits: Limits,
        connection: ConnectionLimits,
        stop: CancellationToken,
    ) -> Result<StandaloneReceiver, ListenerError> {
        let listen = ListenerAddr {
            bind: addr.ip().to_string(),
            port: addr.port(),
        };
        let listener = BoundListener::bind(&listen, tls)
            .await?
            .with_limits(connection);
        let local = listener
            .local_addr()
            .map_err(|source| ListenerError::Bind {
                addr: listen,
                source,
            })?;
        let counters = Arc::new(SinkCounters::default());
        let intake = receiver_intake(NAME, limits, counters.clone(), &receiver);
        let tls = listener.is_tls();
        let task = listener.serve(receiver_filter(&intake, receiver), stop);
        Ok(StandaloneReceiver {
            local,
            tls,
            counters,
            task,
        })
    }

    /// The address bound (with port 0, the port chosen).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Where clients reach it: `http://127.0.0.1:9999` or `https://...`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local)
    }

    /// Its counters so far.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// Waits until it has stopped accepting and the requests in flight are done; returns the
    /// counters.
    pub async fn stopped(self) -> CounterSnapshot {
        let _ = self.task.await;
        self.counters.snapshot()
    }
}
