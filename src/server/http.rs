//! The HTTP/1 server loop, with the two limits `axum::serve` lacks:
//!
//! - a header-read timeout: a client that sends half a request (slowloris)
//!   is disconnected once `header_read_timeout` passes without a complete
//!   request head, instead of holding its connection (and, at shutdown, the
//!   whole process) forever. hyper applies the timeout only when given a timer;
//! - a shutdown deadline: on the signal, the listener closes, every
//!   connection finishes its request in flight (keep-alive is turned off),
//!   and whatever is still running when `shutdown_deadline` passes is
//!   dropped, so the process always stops.
//!
//! HTTP/1 only: whygo speaks plain HTTP behind a proxy or to browsers over
//! it; nothing of ours needs h2c.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub shutdown_deadline: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains
/// connections for at most the deadline.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let service = router.clone().map_request(move |mut req: axum::http::Request<Incoming>| {
                        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                        req
                    });
                    let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                    let watched = graceful.watch(conn);
                    connections.spawn(async move {
                        if let Err(e) = watched.await {
                            tracing::debug!(%peer, error = %e, "connection closed with an error");
                        }
                    });
                }
                // Out of file descriptors and the like: pause instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            // Reap finished connections as we go.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    tracing::info!(
        connections = graceful.count(),
        deadline_ms = u64::try_from(limits.shutdown_deadline.as_millis()).unwrap_or(u64::MAX),
        "draining connections"
    );
    if tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "shutdown deadline passed: closing the connections still open"
        );
    }
    // Aborts what is left; their futures (and any database connection they
    // hold) are dropped before the pool is closed.
    connections.shutdown().await;
}
