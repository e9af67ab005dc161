//! The issuing office's keys and what vouches for them: the signing key and
//! the root key (key files, creation, rotation), the X.509 root and
//! document-signing certificates ([`pki`]), the trust list verifiers use (its
//! keys, validity, revocations and the root's signature over it), and the
//! RFC 8785 + Ed25519 signature of JSON values that manifests, trust lists
//! and status statements share.

mod json;
mod keys;
pub mod pki;
mod trust;

use std::path::PathBuf;

pub use json::{canonical_json, json_signature_matches, sign_json, SignatureInfo};
pub use keys::{key_id, Credentials, Signer};
pub use trust::{KeyUnusable, TrustList, TrustProblem, TrustSignature, TrustedKey};

/// The trust file format this version writes.
pub const TRUST_FORMAT: &str = "docseal-trust/1";
/// File name of the office's signing key inside the keys directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// File name of the trust file inside the keys directory.
pub const TRUST_FILE: &str = "trust.json";
/// File name of the office's root key inside the keys directory.
pub const ROOT_KEY_FILE: &str = "root.key";
/// File name of the office's root certificate (what agencies add to their
/// PDF validators' trust stores).
pub const ROOT_CERT_FILE: &str = "root.pem";
/// File name of the current signing key's certificate.
pub const SIGNING_CERT_FILE: &str = "signing.pem";

/// Errors of key, certificate and trust files. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// A key or trust file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The signing key file is not a valid Ed25519 PKCS#8 key.
    #[error("{path}: not a valid Ed25519 private key (PKCS#8 PEM)")]
    BadKey {
        /// The file.
        path: PathBuf,
    },
    /// The signing key file is readable by others than its owner.
    #[error("{path}: the private key must be readable by its owner only; run chmod 600 on it")]
    KeyPermissions {
        /// The file.
        path: PathBuf,
    },
    /// The trust file is not valid.
    #[error("{path}: not a valid trust file: {detail}")]
    BadTrust {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A signed value, key or certificate could not be serialized (the
    /// message predates the split of sealing and keys, and is kept).
    #[error("the manifest cannot be serialized: {0}")]
    Serialize(String),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness available for a new key: {0}")]
    Random(String),
}
