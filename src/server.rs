//! Serving connections: hyper's HTTP/1.1 server with a timer, a cap on open
//! connections, and a bounded drain at shutdown.
//!
//! `axum::serve` runs hyper without a timer, which turns off hyper's
//! header-read timeout: a client trickling a header byte every few seconds
//! kept its connection, and its file descriptor, for ever. Here:
//! - every connection has [`ConnectionLimits::header_timeout`] to send a
//!   whole request head; the same clock runs while a kept-alive connection
//!   waits for its next request, so idle connections are closed too;
//! - at most [`ConnectionLimits::max_connections`] are open at once: above
//!   that the server stops accepting (new connections wait in the kernel's
//!   backlog) until one closes, so descriptors never run out;
//! - an accept error (such as `EMFILE` when another part of the process
//!   holds the descriptors) pauses the loop briefly instead of spinning;
//! - at shutdown the listener closes, idle connections close, requests in
//!   flight finish, and whatever is still open after
//!   [`ConnectionLimits::drain_timeout`] is dropped.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long the accept loop rests after an accept error.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Limits on connections (those on requests live in `api::limits`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at most; more wait to be accepted.
    pub max_connections: usize,
    /// Time to send a whole request head, and to start the next request on a
    /// kept-alive connection.
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let service = TowerToHyperService::new(app);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; pausing");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            // A client that goes away or is cut off is not a failure of the server.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!(
                "requests still in flight after {:?}; closing their connections",
                limits.drain_timeout
            );
        }
    }
    Ok(())
}
