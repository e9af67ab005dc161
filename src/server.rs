//! `docseal serve`: a small HTTP/1.1 endpoint over the registry that answers
//! `GET /v1/documents/{id}/status[?nonce=HEX]` with a signed status statement
//! ([`crate::status`]); and the client `docseal verify --online` uses. Only
//! this module knows HTTP.
//!
//! The server reads one request head of at most [`MAX_REQUEST_HEAD`] bytes
//! within [`READ_TIMEOUT`], answers, and closes the connection. Anything else
//! (another method, another path, a malformed or oversized request) gets a
//! JSON error with a stable code; internal errors are logged, never sent.
//!
//! It always accepts: a connection beyond [`MAX_CONNECTIONS`] at once gets a
//! `503` at once and is closed, so slow or idle clients holding every slot
//! delay nobody by more than their own deadline, and never stop the server
//! from answering.

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::office::Signer;
use crate::queue::{EntryKind, LogEntries, Registry};
use crate::status::{self, MAX_NONCE_LEN};

/// The most bytes of request line and headers the server reads.
pub const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// How long a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long, and how many bytes, the server reads after answering.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 64 * 1024;
/// Connections served at once; one more is answered `503` and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a refused connection is given to take its `503`.
const REFUSE_TIMEOUT: Duration = Duration::from_secs(1);
/// The most bytes of an answer the client reads.
const MAX_RESPONSE: u64 = 64 * 1024;
/// The longest document id the endpoint accepts.
const MAX_DOCUMENT_ID_LEN: usize = 64;

/// An HTTP response: status, stable error code (if an error) and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Response {
    status: u16,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Response {
        Response::json(
            status,
            &json!({ "error": { "code": code, "message": message } }),
        )
    }

    fn to_bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "Error",
        };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nConnection: close\r\n",
            self.status,
            self.body.len()
        );
        if self.status == 405 {
            out.push_str("Allow: GET\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// The status of a document, with the verifier's nonce (may be empty).
    Status { document_id: String, nonce: String },
}

/// Parses a request head (request line and headers, without the blank line).
fn parse_request(head: &[u8]) -> Result<Route, Response> {
    let bad = |message: &str| Response::error(400, "bad_request", message);
    let text = std::str::from_utf8(head).map_err(|_| bad("the request is not ASCII"))?;
    let line = text.split("\r\n").next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("the request line is not `METHOD TARGET HTTP/1.1`"));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(bad("only HTTP/1.0 and HTTP/1.1 are spoken here"));
    }
    if method != "GET" {
        return Err(Response::error(
            405,
            "method_not_allowed",
            "only GET is allowed",
        ));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let not_found = || {
        Response::error(
            404,
            "not_found",
            "the only resource is /v1/documents/{id}/status",
        )
    };
    let document_id = path
        .strip_prefix("/v1/documents/")
        .and_then(|rest| rest.strip_suffix("/status"))
        .ok_or_else(not_found)?;
    let id_ok = !document_id.is_empty()
        && document_id.len() <= MAX_DOCUMENT_ID_LEN
        && document_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(bad(
            "the document id must be 1 to 64 letters, digits, `-` or `_`",
        ));
    }
    let mut nonce = String::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("nonce", v))
                if v.len() <= MAX_NONCE_LEN && v.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                nonce = v.to_ascii_lowercase();
            }
            Some(("nonce", _)) => {
                return Err(bad("the nonce must be at most 64 hexadecimal digits"));
            }
            _ => return Err(bad("the only query parameter is `nonce`")),
        }
    }
    Ok(Route::Status {
        document_id: document_id.to_string(),
        nonce,
    })
}

/// Reads a request head up to the blank line, within the size and time limits.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Response> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                buf.truncate(end);
                return Ok(buf);
            }
            if buf.len() > MAX_REQUEST_HEAD {
                return Err(Response::error(
                    431,
                    "request_too_large",
                    "the request head is larger than 8 KiB",
                ));
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    return Err(Response::error(
                        400,
                        "bad_request",
                        "the request ended before its blank line",
                    ))
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(READ_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| {
            Err(Response::error(
                408,
                "timeout",
                "the request did not arrive in time",
            ))
        })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Answers one route from the registry.
async fn respond<Q: Registry + LogEntries>(route: Route, queue: &Q, signer: &Signer) -> Response {
    let Route::Status { document_id, nonce } = route;
    let row = match queue.document(&document_id).await {
        Ok(row) => row,
        Err(e) => {
            tracing::error!(document_id = %document_id, error = %e, "The registry could not be read.");
            return Response::error(
                503,
                "registry_unavailable",
                "the registry cannot be read right now; try again later",
            );
        }
    };
    // The manifest exactly as attached, from the transparency log's entry
    // for the document (absent from a registry older than the log).
    let manifest_sha256 = match queue.find(EntryKind::Document, &document_id).await {
        Ok(entry) => entry.map(|e| crate::store::sha256_hex(&e.entry)),
        Err(e) => {
            tracing::error!(document_id = %document_id, error = %e, "The log could not be read.");
            return Response::error(
                503,
                "registry_unavailable",
                "the registry cannot be read right now; try again later",
            );
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // One Ed25519 signature of a few hundred bytes takes tens of microseconds:
    // small enough to make on the runtime's thread.
    match status::answer(
        &document_id,
        row.as_ref(),
        manifest_sha256,
        &nonce,
        now,
        signer,
    ) {
        Ok(signed) => {
            let code = if row.is_some() { 200 } else { 404 };
            Response::json(code, &json!(signed))
        }
        Err(e) => {
            tracing::error!(error = %e, "A status answer could not be signed.");
            Response::error(500, "internal", "the answer could not be signed")
        }
    }
}

async fn handle<Q: Registry + LogEntries>(
    mut stream: TcpStream,
    queue: Arc<Q>,
    signer: Arc<Signer>,
) {
    let response = match read_head(&mut stream).await {
        Ok(head) => match parse_request(&head) {
            Ok(route) => respond(route, queue.as_ref(), &signer).await,
            Err(r) => r,
        },
        Err(r) => r,
    };
    let send = async {
        let _ = stream.write_all(&response.to_bytes()).await;
        let _ = stream.shutdown().await;
    };
    if tokio::time::timeout(READ_TIMEOUT, send).await.is_err() {
        return;
    }
    // Read what the client still sends (bounded), so that closing with unread
    // input does not reset the connection before the client reads the answer.
    let drain = async {
        let mut sink = [0u8; 4096];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Serves document status on `listener` until `shutdown` resolves.
pub async fn run<Q: Registry + LogEntries>(
    listener: TcpListener,
    queue: Arc<Q>,
    signer: Arc<Signer>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
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
            _ = &mut shutdown => return Ok(()),
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                tracing::debug!(%peer, "Connection accepted.");
                let (queue, signer) = (queue.clone(), signer.clone());
                tokio::spawn(async move {
                    handle(stream, queue, signer).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tracing::warn!(%peer, "A connection was refused: every slot is taken.");
                tokio::spawn(refuse(stream));
            }
        }
    }
}

/// Answers `503` to a connection over the limit and closes it, within
/// [`REFUSE_TIMEOUT`].
async fn refuse(mut stream: TcpStream) {
    let busy = Response::error(
        503,
        "busy",
        "the server is handling too many connections; try again shortly",
    );
    let send = async {
        let _ = stream.write_all(&busy.to_bytes()).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(REFUSE_TIMEOUT, send).await;
}

/// Errors of asking a status endpoint.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not one this client can ask.
    #[error("`{0}` is not an http:// URL such as http://registry.example:8480")]
    BadUrl(String),
    /// The server could not be reached.
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with something that is not a status answer.
    #[error("{url} did not answer with a status statement: {detail}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

/// Asks `base_url` for the status of `document_id` with `nonce`; returns the
/// answer's body (a signed statement, for a known or an unknown document).
pub fn fetch_status(
    base_url: &str,
    document_id: &str,
    nonce: &str,
    timeout: Duration,
) -> Result<Vec<u8>, ClientError> {
    let rest = base_url
        .strip_prefix("http://")
        .ok_or_else(|| ClientError::BadUrl(base_url.to_string()))?;
    let (authority, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(ClientError::BadUrl(base_url.to_string()));
    }
    let address = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let unreachable = |source| ClientError::Unreachable {
        url: base_url.to_string(),
        source,
    };
    let bad = |detail: String| ClientError::BadResponse {
        url: base_url.to_string(),
        detail,
    };
    let addrs: Vec<_> = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .map_err(unreachable)?
        .collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let mut stream = stream.ok_or_else(|| unreachable(last))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(unreachable)?;
    let id: String = document_id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let request = format!(
        "GET {prefix}/v1/documents/{id}/status?nonce={nonce} HTTP/1.1\r\nHost: {authority}\r\n\
         User-Agent: docseal/{}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE + 1)
        .read_to_end(&mut raw)
        .map_err(unreachable)?;
    if raw.len() as u64 > MAX_RESPONSE {
        return Err(bad("the answer is larger than 64 KiB".into()));
    }
    let end = find(&raw, b"\r\n\r\n").ok_or_else(|| bad("the answer has no header end".into()))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = raw[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("the status line is malformed".into()))?;
    for h in lines {
        if let Some((name, value)) = h.split_once(':') {
            if name.eq_ignore_ascii_case("transfer-encoding") && !value.trim().is_empty() {
                return Err(bad(format!(
                    "transfer encoding `{}` is not supported",
                    value.trim()
                )));
            }
        }
    }
    match status {
        200 | 404 => Ok(body),
        other => {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            Err(bad(format!("HTTP {other} {message}")
                .trim_end()
                .to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(head: &str) -> Result<Route, u16> {
        parse_request(head.as_bytes()).map_err(|r| r.status)
    }

    #[test]
    fn requests_are_parsed_strictly() {
        assert_eq!(
            route("GET /v1/documents/DS-AB12-CD34/status?nonce=00FF HTTP/1.1\r\nHost: x"),
            Ok(Route::Status {
                document_id: "DS-AB12-CD34".into(),
                nonce: "00ff".into()
            })
        );
        assert_eq!(
            route("GET /v1/documents/DS-1/status HTTP/1.0"),
            Ok(Route::Status {
                document_id: "DS-1".into(),
                nonce: String::new()
            })
        );
        for (head, code) in [
            ("POST /v1/documents/DS-1/status HTTP/1.1", 405),
            ("GET /v1/documents/DS-1 HTTP/1.1", 404),
            ("GET /etc/passwd HTTP/1.1", 404),
            ("GET /v1/documents/../status HTTP/1.1", 400),
            ("GET /v1/documents/DS%2F1/status HTTP/1.1", 400),
            ("GET /v1/documents//status HTTP/1.1", 400),
            ("GET /v1/documents/DS-1/status?nonce=xyz HTTP/1.1", 400),
            ("GET /v1/documents/DS-1/status?debug=1 HTTP/1.1", 400),
            ("GET /v1/documents/DS-1/status HTTP/2", 400),
            ("GET /v1/documents/DS-1/status", 400),
            ("garbage", 400),
            ("", 400),
        ] {
            assert_eq!(route(head), Err(code), "{head}");
        }
        assert_eq!(parse_request(&[0xff, 0xfe]).map_err(|r| r.status), Err(400));
        let long = format!("GET /v1/documents/{}/status HTTP/1.1", "A".repeat(65));
        assert_eq!(route(&long), Err(400));
    }

    #[test]
    fn responses_close_and_state_their_length() {
        let r = Response::error(405, "method_not_allowed", "only GET");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("Allow: GET\r\n") && text.contains("Connection: close\r\n"));
        assert!(text.contains(&format!("Content-Length: {}\r\n", r.body.len())));
        assert!(text.ends_with("\"code\":\"method_not_allowed\",\"message\":\"only GET\"}}"));
    }

    /// Regression: the connection limit was taken before `accept`, so 64
    /// slow clients (each holding a slot for up to the head deadline)
    /// stalled the server for everyone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_clients_do_not_stop_others_from_being_answered() {
        use tokio::io::AsyncWriteExt as _;
        let dir = tempfile::tempdir().unwrap();
        let queue = crate::queue::SqliteQueue::open(&dir.path().join("q.sqlite"))
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(
            listener,
            Arc::new(queue),
            Arc::new(Signer::from_secret(&[7u8; 32])),
            async {
                let _ = stopped.await;
            },
        ));
        let url = format!("http://{addr}");
        let ask = |url: String| {
            tokio::task::spawn_blocking(move || {
                fetch_status(&url, "DS-1", "00ff", Duration::from_secs(30))
            })
        };
        // Well past the old limit: each sends half a request head and waits.
        let mut slow = Vec::new();
        for _ in 0..100 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /v1/documents/DS-1/sta").await.unwrap();
            slow.push(s);
        }
        let answered = tokio::time::timeout(Duration::from_secs(5), ask(url.clone()))
            .await
            .expect("a normal request is answered while slow clients wait")
            .unwrap();
        let body = answered.expect("a status answer");
        assert!(String::from_utf8_lossy(&body).contains("\"unknown\""));

        // With every slot taken, a further connection is refused at once.
        for _ in slow.len()..MAX_CONNECTIONS {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /v1/documents/DS-1/sta").await.unwrap();
            slow.push(s);
        }
        // Let the server take them all before asking.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let refused = tokio::time::timeout(Duration::from_secs(5), ask(url.clone()))
            .await
            .expect("a connection over the limit is answered at once")
            .unwrap();
        match refused {
            Err(ClientError::BadResponse { detail, .. }) => {
                assert!(detail.contains("503"), "{detail}")
            }
            other => panic!("expected a 503, got {other:?}"),
        }
        drop(slow);
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[test]
    fn the_client_refuses_urls_it_cannot_ask() {
        for url in ["https://x", "ftp://x", "http://", "http://user@host/"] {
            assert!(matches!(
                fetch_status(url, "DS-1", "00", Duration::from_millis(100)),
                Err(ClientError::BadUrl(_))
            ));
        }
    }
}
