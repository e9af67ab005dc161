//! Where objects (scans, records, OCR text, result PDFs) live: the
//! [`ObjectStore`] trait and its implementations. Only this module knows how
//! bytes reach a disk or a bucket.
//!
//! Objects are immutable and content-addressed: a key names the SHA-256 of the
//! bytes, so writing the same object twice is a no-op and a retried job writes
//! the same keys.

use std::future::Future;
use std::path::PathBuf;

use bytes::Bytes;
use sha2::{Digest, Sha256};

mod open;
mod s3;

pub use open::{AnyStore, StoreUrl, StoreUrlError};
pub use s3::{KeyPage, S3Credentials, S3Options, S3Store};

/// Errors of an object store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A key is not of the form the store accepts.
    #[error("invalid object key `{0}`")]
    InvalidKey(String),
    /// The local file system failed.
    #[error("object store at {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The store's settings are incomplete or contradictory.
    #[error("object store settings: {0}")]
    Settings(String),
    /// The store could not be reached, timed out, or failed on its side
    /// (5xx, throttling); the same request may succeed later.
    #[error("object store {store}: cannot {op} `{key}` now ({reason}); it will be retried")]
    Unavailable {
        /// The store (`s3://bucket/prefix`).
        store: String,
        /// The operation (`put`, `get`, ...).
        op: &'static str,
        /// The object key.
        key: String,
        /// What went wrong, in a few words.
        reason: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store refuses every request: wrong credentials, no permission, or
    /// a missing bucket. Nothing is wrong with the object itself.
    #[error("object store {store}: {op} of `{key}` was refused ({reason}); check the bucket name and credentials")]
    Refused {
        /// The store (`s3://bucket/prefix`).
        store: String,
        /// The operation.
        op: &'static str,
        /// The object key.
        key: String,
        /// The store's error code and message.
        reason: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store rejected this one request (a defect in it, not an outage).
    #[error("object store {store}: {op} of `{key}` was rejected ({reason})")]
    Rejected {
        /// The store (`s3://bucket/prefix`).
        store: String,
        /// The operation.
        op: &'static str,
        /// The object key.
        key: String,
        /// The store's error code and message.
        reason: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Whether the failure is the store's rather than the object's, so that
    /// retrying later may succeed (the store was unreachable, busy, or refused
    /// every request until an operator fixes it). A worker releases the job on
    /// a transient error instead of failing it.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Io { .. } | StoreError::Unavailable { .. } | StoreError::Refused { .. }
        )
    }
}

/// What kind of object a key holds; decides its prefix and extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// An original scan, as submitted.
    Scan,
    /// A record JSON.
    Record,
    /// The OCR text of a submission.
    Text,
    /// The OCR words with boxes (hOCR-like JSON).
    Words,
    /// A result PDF.
    Result,
    /// The OCR words with their geometry as hOCR.
    Hocr,
    /// What a reviewer needs of a submission: why each field is up for
    /// review, where on the page it was read, how each page was turned.
    Review,
}

impl ObjectKind {
    fn prefix_and_ext(self) -> (&'static str, &'static str) {
        match self {
            ObjectKind::Scan => ("scans", ""),
            ObjectKind::Record => ("records", ".json"),
            ObjectKind::Text => ("text", ".txt"),
            ObjectKind::Words => ("words", ".json"),
            ObjectKind::Result => ("results", ".pdf"),
            ObjectKind::Hocr => ("hocr", ".hocr"),
            ObjectKind::Review => ("review", ".json"),
        }
    }

    /// The content-addressed key of these bytes, e.g. `results/ab/ab12….pdf`.
    pub fn key_for(self, bytes: &[u8]) -> String {
        self.key_for_sha256(&sha256_hex(bytes))
    }

    /// The key of the one object of this kind that processing a submission
    /// with a pipeline version makes, e.g.
    /// `hocr/ab/ab12…-docseal-0.1.0.hocr`: found from the submission id
    /// alone, and rewritten with the same bytes by a retry (the pipeline is
    /// deterministic), as the registry keeps one outcome per pair.
    pub fn key_for_submission(self, submission_id: &str, pipeline_version: &str) -> String {
        let (prefix, ext) = self.prefix_and_ext();
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        let id = safe(submission_id);
        format!(
            "{prefix}/{}/{id}-{}{ext}",
            &id[..2.min(id.len())],
            safe(pipeline_version)
        )
    }

    /// The key for an object whose SHA-256 (lower-case hex) is known.
    pub fn key_for_sha256(self, sha: &str) -> String {
        let (prefix, ext) = self.prefix_and_ext();
        format!("{prefix}/{}/{sha}{ext}", &sha[..2.min(sha.len())])
    }
}

/// SHA-256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bytes of an object to store, owned and cheap to share, so that a store
/// can hand them to a blocking thread or to the network without copying them.
/// Owned bytes (`Vec<u8>`, `String`, `Bytes`) become a body as they are;
/// borrowed ones are copied once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body(Bytes);

impl Body {
    /// The bytes, shared.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body(Bytes::from(text))
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Body {
        Body(Bytes::copy_from_slice(bytes))
    }
}

impl<const N: usize> From<&[u8; N]> for Body {
    fn from(bytes: &[u8; N]) -> Body {
        Body(Bytes::copy_from_slice(bytes))
    }
}

impl From<&Vec<u8>> for Body {
    fn from(bytes: &Vec<u8>) -> Body {
        Body(Bytes::copy_from_slice(bytes))
    }
}

/// An immutable object store.
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`; returns once they are durable. Writing a key
    /// that already holds the same bytes succeeds without rewriting.
    fn put(
        &self,
        key: &str,
        bytes: impl Into<Body> + Send,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores `bytes` under `key`, replacing what the key held: for the few
    /// objects that change (the transparency log's latest checkpoint).
    /// Returns once they are durable.
    fn replace(
        &self,
        key: &str,
        bytes: impl Into<Body> + Send,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The bytes under `key`, or `None` when there is no such object.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;

    /// A locator a person can use to fetch the object (a path or a URL).
    fn locate(&self, key: &str) -> String;
}

/// Objects as files under a directory (the embedded default).
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Checks that a key is relative, `/`-separated, and made of ASCII letters,
/// digits, `.`, `-` and `_`, with no empty, `.` or `..` segment: the keys
/// every store accepts alike.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    let ok = !key.is_empty()
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKey(key.to_string()))
    }
}

impl DirStore {
    /// Writes `bytes` durably under `key` off the async threads; unless
    /// `replace`, a file of the same size is taken to hold them already.
    async fn write(&self, key: &str, bytes: Body, replace: bool) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        tokio::task::spawn_blocking(move || {
            if let Ok(meta) = std::fs::metadata(&path) {
                if !replace && meta.len() == bytes.len() as u64 {
                    return Ok(());
                }
            }
            crate::fsutil::write_durably(&path, &bytes).map_err(|e| StoreError::Io {
                path: e.path,
                source: e.source,
            })
        })
        .await
        .map_err(|e| StoreError::Io {
            path: self.root.clone(),
            source: std::io::Error::other(e.to_string()),
        })?
    }
}

impl ObjectStore for DirStore {
    async fn put(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError> {
        self.write(key, bytes.into(), false).await
    }

    async fn replace(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError> {
        self.write(key, bytes.into(), true).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    fn locate(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dir_store_round_trips_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path());
        let key = ObjectKind::Scan.key_for(b"hello");
        assert!(key.starts_with("scans/2c/2cf24dba"));
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.put(&key, b"hello").await.unwrap();
        store.put(&key, b"hello").await.unwrap();
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("scans/2c"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[tokio::test]
    async fn dir_store_refuses_keys_that_escape_its_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path());
        for key in ["../x", "a//b", "/etc/passwd", "a/./b", ""] {
            assert!(matches!(
                store.put(key, b"x").await,
                Err(StoreError::InvalidKey(_))
            ));
        }
    }
}
