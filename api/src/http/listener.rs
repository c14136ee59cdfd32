//! Serving warp filters on one address, plain or TLS, until a token is cancelled.
//!
//! warp 0.4's own server has no working TLS, so connections are accepted here (through a
//! `tokio-rustls` acceptor when TLS is on) and served with hyper's HTTP/1 connection over
//! `warp::service`. Each request carries the socket's peer address as a [`PeerAddr`] extension,
//! and every answer an `X-Request-Id`: the sink's intake sets it, and an answer no sink gave
//! (an unknown path, say) gets one from the listener (`listener-<port>-<n>`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use super::reply::unmatched;
use super::request_id::{RequestIds, REQUEST_ID};
use super::tls::{server_config, TlsError, TlsFiles};
use crate::sink::ListenerAddr;

/// The socket's peer, set on every request this module serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Time limits of a listener's connections (per-request limits are the sinks' own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers; it also closes a keep-alive
    /// connection that stays idle this long between requests.
    pub header_read_timeout: Duration,
    /// How long a TLS client may take to complete its handshake.
    pub tls_handshake_timeout: Duration,
    /// How long requests in flight may take to finish once the listener stops.
    pub drain_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The address could not be bound (taken, not ours, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: ListenerAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The certificate or key could not be loaded.
    #[error("TLS on {addr}: {source}")]
    Tls {
        /// The address.
        addr: ListenerAddr,
        /// What is wrong with the files.
        source: TlsError,
    },
}

/// A bound socket, not yet serving: bind every listener first so a taken port stops the start.
pub struct BoundListener {
    addr: ListenerAddr,
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
}

impl BoundListener {
    /// Binds `addr`, with TLS from `tls` when given (the files are read now).
    pub async fn bind(addr: &ListenerAddr, tls: Option<&TlsFiles>) -> Result<Self, ListenerError> {
        let tls = match tls {
            Some(files) => Some(TlsAcceptor::from(server_config(files).map_err(
                |source| ListenerError::Tls {
                    addr: addr.clone(),
                    source,
                },
            )?)),
            None => None,
        };
        let tcp = TcpListener::bind((addr.bind.as_str(), addr.port))
            .await
            .map_err(|source| ListenerError::Bind {
                addr: addr.clone(),
                source,
            })?;
        Ok(BoundListener {
            addr: addr.clone(),
            tcp,
            tls,
            limits: ConnectionLimits::default(),
        })
    }

    /// Other connection time limits than the defaults.
    pub fn with_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Whether it speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `routes` until `stop` is cancelled: then stops accepting at once and gives the
    /// requests in flight `drain_timeout` to finish. Anything `routes` does not answer gets a
    /// JSON 404 or 405.
    pub fn serve(
        self,
        routes: BoxedFilter<(Response,)>,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        let routes = routes.recover(unmatched).unify().boxed();
        tokio::spawn(accept_loop(self, routes, stop))
    }
}

async fn accept_loop(
    listener: BoundListener,
    routes: BoxedFilter<(Response,)>,
    stop: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let service = warp::service(routes);
    let port = listener.tcp.local_addr().map(|a| a.port()).unwrap_or(0);
    let ids = Arc::new(RequestIds::new(&format!("listener-{port}")));
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.tcp.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(listener = %listener.addr, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            service: service.clone(),
            peer,
            limits: listener.limits,
            watcher: graceful.watcher(),
            ids: ids.clone(),
        };
        match listener.tls.clone() {
            Some(acceptor) => {
                tokio::spawn(connection.serve_tls(acceptor, stream));
            }
            None => {
                tokio::spawn(connection.serve(stream));
            }
        }
    }
    drop(listener.tcp);
    if tokio::time::timeout(listener.limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(listener = %listener.addr, "requests still running after the drain timeout were cut off");
    }
}

struct Connection<S> {
    service: S,
    peer: SocketAddr,
    limits: ConnectionLimits,
    watcher: Watcher,
    ids: Arc<RequestIds>,
}

impl<S> Connection<S>
where
    S: Service<hyper::Request<Incoming>, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    async fn serve_tls(self, acceptor: TlsAcceptor, stream: TcpStream) {
        let handshake =
            tokio::time::timeout(self.limits.tls_handshake_timeout, acceptor.accept(stream)).await;
        match handshake {
            Ok(Ok(tls)) => self.serve(tls).await,
            Ok(Err(e)) => tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
        }
    }

    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let service = self.service;
        let ids = self.ids;
        let hyper_service =
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(PeerAddr(peer));
                // Only answers no intake gave need one; the caller's is kept for them.
                let given = request.headers().get(REQUEST_ID).cloned();
                let ids = ids.clone();
                let mut service = service.clone();
                let answer = service.call(request);
                async move {
                    let mut response = answer.await?;
                    if !response.headers().contains_key(REQUEST_ID) {
                        let mut headers = warp::http::HeaderMap::new();
                        if let Some(given) = given {
                            headers.insert(REQUEST_ID, given);
                        }
                        if let Ok(id) = ids.for_request(&headers).parse() {
                            response.headers_mut().insert(REQUEST_ID, id);
                        }
                    }
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout);
        let connection = builder.serve_connection(TokioIo::new(io), hyper_service);
        if let Err(e) = self.watcher.watch(connection).await {
            tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
        }
    }
}

/// Several filters as one, tried in order.
pub fn combine(filters: Vec<BoxedFilter<(Response,)>>) -> Option<BoxedFilter<(Response,)>> {
    filters
        .into_iter()
        .reduce(|all, next| all.or(next).unify().boxed())
}

/// Binds `addr` (with TLS when `tls` is given) and serves `routes` until `stop` is cancelled.
pub async fn serve(
    addr: &ListenerAddr,
    tls: Option<&TlsFiles>,
    routes: BoxedFilter<(Response,)>,
    stop: CancellationToken,
) -> Result<(SocketAddr, JoinHandle<()>), ListenerError> {
    let listener = BoundListener::bind(addr, tls).await?;
    let local = listener
        .local_addr()
        .map_err(|source| ListenerError::Bind {
            addr: addr.clone(),
            source,
        })?;
    Ok((local, listener.serve(routes, stop)))
}

/// Whether `bind` only takes connections from this machine.
pub fn is_loopback(bind: &str) -> bool {
    bind.eq_ignore_ascii_case("localhost")
        || bind
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
