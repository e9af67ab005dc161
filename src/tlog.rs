//! The office's transparency log: an append-only Merkle log (RFC 6962
//! hashing) of every issued document and every revocation, published as C2SP
//! `tlog-tiles` and `tlog-checkpoint` notes (`signed-note`), with inclusion
//! proofs in the `c2sp.org/tlog-proof@v1` format.
//!
//! - [`entry`]: what is logged (a document's signed-manifest bytes, a
//!   revocation statement).
//! - [`key`]: the log key (`keys/log.key`, apart from the document-signing
//!   key), its note signature and its timestamped cosignature.
//! - [`tree`]: the tree over a list of entries, tiles and proofs
//!   (`tlog_tiles` does the hashing and proofs).
//! - [`proof`]: the proof format and its check by a verifier, with the
//!   checkpoints a verifier has seen before (`--seen-dir`).
//! - sequencing entries and keeping signed checkpoints is the queue
//!   database's ([`crate::queue::LogEntries`], SQLite and PostgreSQL).
//! - [`publish`]: folding new entries into a signed checkpoint and writing
//!   tiles and checkpoints to the object store under `tlog/`, and checking a
//!   published log.

pub mod entry;
pub mod key;
pub mod proof;
pub mod publish;
pub mod tree;

pub use entry::{EntryKind, LoggedEntry};
pub use key::{LogKey, LOG_KEY_FILE};
pub use proof::{LogProof, ProofCheck};

/// Errors of the transparency log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The log key file is missing or malformed.
    #[error("{path}: {detail}")]
    Key {
        /// The key file.
        path: std::path::PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A checkpoint, proof or note could not be parsed or does not check.
    #[error("{0}")]
    Format(String),
    /// The log's own data disagree (tiles vs entries, a rewritten history).
    #[error("the log is inconsistent: {0}")]
    Inconsistent(String),
    /// The queue database failed, or refused an entry.
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The Merkle tree library refused (bad index, bad proof).
    #[error("Merkle tree: {0}")]
    Tree(String),
}

impl From<tlog_tiles::Error> for LogError {
    fn from(e: tlog_tiles::Error) -> Self {
        LogError::Tree(e.to_string())
    }
}
