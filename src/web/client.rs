//! The small blocking HTTP/1.1 client `verify --online` asks a registry's
//! status endpoint with: one `GET`, `Connection: close`, an answer of at
//! most [`MAX_RESPONSE`] bytes read within the timeout.

use std::io::{Read as _, Write as _};
use std::time::Duration;

/// The most bytes of an answer the client reads.
const MAX_RESPONSE: u64 = 64 * 1024;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
