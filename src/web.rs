//! `docseal serve`: the HTTP service on axum. One process serves the JSON API
//! under `/v1` (described by the OpenAPI document at `/v1/openapi.json`),
//! the staff desk under `/desk`, and the public pages `/verify` and
//! `/d/{document_id}`; it may run the worker pool beside them.
//!
//! - [`api`]: the `/v1` handlers and the OpenAPI document made from them.
//! - [`auth`]: who is asking: a bearer token, or the desk's session cookie
//!   with its CSRF token; what each role may do.
//! - [`desk`]: the staff desk's pages (login, queue, upload, the record page
//!   where a person finishes what the machine was unsure of).
//! - [`public`]: the verification page and a document's public page.
//! - [`page`]: the HTML layout both share, in Vietnamese with English.
//! - [`error`]: errors as stable codes and plain words, never internals.
//! - [`metrics`]: the Prometheus counters.
//! - [`client`]: the small client `verify --online` asks a status endpoint with.
//!
//! # Limits
//!
//! Every connection is accepted; at most [`MAX_CONNECTIONS`] are served at
//! once and one more is answered `503` at once and closed, so slow or idle
//! clients holding every slot never stop the server from answering. A client
//! has [`HEADER_TIMEOUT`] to send its request head, [`BODY_TIMEOUT`] between
//! two pieces of a body, and a request is answered within [`REQUEST_TIMEOUT`]
//! (uploads: [`UPLOAD_TIMEOUT`]). Bodies are capped per route. The public
//! routes are rate-limited per client address.

pub mod api;
pub mod auth;
pub mod client;
pub mod desk;
pub mod error;
pub mod metrics;
pub mod page;
pub mod public;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tower_http::catch_panic::CatchPanicLayer;

use crate::office::{Signer, TrustList};
use crate::queue::AnyQueue;
use crate::store::AnyStore;
use crate::worker::Services;

pub use client::{fetch_status, ClientError};

/// Connections served at once; one more is answered `503` and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// The most bytes of a request head (and of the read buffer).
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How long a client has to send its request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause between two pieces of a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long any request but an upload may take, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an upload may take.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The most bytes of a JSON or form body.
pub const MAX_SMALL_BODY: usize = 256 * 1024;
/// The most bytes of a PDF given to `/v1/verify` or `/verify`.
pub const MAX_VERIFY_BODY: usize = 32 * 1024 * 1024;
/// Verifications run at once (each is CPU work on a blocking thread); more
/// wait their turn.
pub const VERIFY_SLOTS: usize = 4;
/// Uploads read at once (each holds at most one scan in memory); more wait.
pub const UPLOAD_SLOTS: usize = 2;
/// How long a refused connection is given to take its `503`.
const REFUSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler shares.
pub struct App {
    /// The queue and registry.
    pub queue: Arc<AnyQueue>,
    /// The object store.
    pub store: Arc<AnyStore>,
    /// What issuing needs (approvals seal with the office's signing key);
    /// `None` when serving the public routes only.
    pub services: Option<Services<AnyQueue, AnyStore>>,
    /// The office's status key, for signed status answers.
    pub status_signer: Signer,
    /// The office's trust list, for verification.
    pub trust: TrustList,
    /// The counters `/metrics` shows.
    pub metrics: metrics::Metrics,
    /// Requests per second per client address on the public routes.
    pub public_limiter: public::Limiter,
    /// Verifications running at once.
    pub verify_slots: tokio::sync::Semaphore,
    /// Uploads read at once.
    pub upload_slots: tokio::sync::Semaphore,
    /// The most bytes of one scan (the pipeline's input limit).
    pub max_scan_bytes: u64,
    /// Whether the session cookie is marked `Secure` (served behind TLS).
    pub secure_cookies: bool,
    /// Whether workers run in this process (for `/readyz`).
    pub workers: usize,
}

impl App {
    /// What issuing needs; `404` when this process serves the public routes
    /// only (and so holds no signing key).
    pub fn issuing(&self) -> Result<&Services<AnyQueue, AnyStore>, error::ApiError> {
        self.services
            .as_ref()
            .ok_or_else(|| error::ApiError::not_found("this server answers public routes only"))
    }
}

/// The shared state as handlers take it.
pub type AppState = State<Arc<App>>;

/// Every route, with its limits and middleware: the public ones only when
/// the process holds no signing key.
pub fn router(app: Arc<App>) -> Router {
    let routes = if app.services.is_some() {
        Router::new()
            .merge(api::routes(&app))
            .merge(desk::routes(&app))
    } else {
        api::public_routes(&app)
    };
    routes
        .merge(public::routes(&app))
        .layer(axum::middleware::from_fn_with_state(app.clone(), observe))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .with_state(app)
}

/// Counts and logs each request, and sets the headers every answer carries.
async fn observe(State(app): AppState, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let mut response = next.run(req).await;
    let status = response.status().as_u16();
    app.metrics
        .observe(method.as_str(), &route, status, started.elapsed());
    tracing::debug!(%method, route, status, "Request answered.");
    let headers = response.headers_mut();
    use axum::http::header::{self, HeaderValue};
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting and lets the requests in flight finish (for at most
/// [`DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "A connection could not be accepted.");
                    // Out of file descriptors, say: give connections time to close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "A connection was refused: every slot is taken.");
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn({
            let router = router.clone();
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move {
                    use tower::Service as _;
                    router.call(req.map(axum::body::Body::new)).await
                }
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_REQUEST_HEAD)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "A connection ended with an error.");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("Requests still in flight after {} s were dropped.", DRAIN_TIMEOUT.as_secs());
        }
    }
    Ok(())
}

/// The answer a connection over the limit gets.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
Retry-After: 1\r\nConnection: close\r\nContent-Length: 100\r\n\r\n\
{\"error\":{\"code\":\"busy\",\"message\":\"the server is handling too many connections; try again shortly\"}}";

/// Answers `503` to a connection over the limit and closes it, within
/// [`REFUSE_TIMEOUT`].
async fn refuse(mut stream: TcpStream) {
    let send = async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(REFUSE_TIMEOUT, send).await;
}

/// The client's address, as the connection gives it.
pub fn peer(req_ext: &axum::http::Extensions) -> Option<SocketAddr> {
    req_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

/// A response for an error of the library, mapped by [`error::ApiError`].
pub fn fail(e: impl Into<error::ApiError>) -> Response {
    e.into().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    /// Sends one request on a new connection and reads the whole answer.
    async fn ask(addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Slow clients (each holding a connection with half a request head)
    /// never stop others from being answered; beyond the connection limit a
    /// client is refused at once with `503`; shutdown drains.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_clients_do_not_stop_others_from_being_answered() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, async {
            let _ = stopped.await;
        }));
        let mut slow = Vec::new();
        for _ in 0..64 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /ping HTTP/1.1\r\nHo").await.unwrap();
            slow.push(s);
        }
        let answered = tokio::time::timeout(Duration::from_secs(5), ask(addr))
            .await
            .expect("a normal request is answered while slow clients wait");
        assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
        assert!(answered.ends_with("pong"), "{answered}");

        for _ in slow.len()..MAX_CONNECTIONS {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /ping HTTP/1.1\r\nHo").await.unwrap();
            slow.push(s);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let refused = tokio::time::timeout(Duration::from_secs(5), ask(addr))
            .await
            .expect("a connection over the limit is answered at once");
        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
        drop(slow);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = tokio::time::timeout(Duration::from_secs(5), ask(addr))
            .await
            .expect("slots are given back when clients leave");
        assert!(again.starts_with("HTTP/1.1 200"), "{again}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    /// A client that never finishes its request head is cut off after
    /// [`HEADER_TIMEOUT`], giving its slot back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_request_head_is_cut_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, async {
            let _ = stopped.await;
        }));
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /ping HTTP/1.1\r\nHo").await.unwrap();
        let mut out = Vec::new();
        let read = tokio::time::timeout(HEADER_TIMEOUT * 2, s.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the server closed the stalled connection");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[test]
    fn the_busy_answer_states_its_length() {
        let text = std::str::from_utf8(super::BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
