//! The issuing office's keys and what vouches for them: the signing key and
//! the root key (key files, creation, rotation), the ECDSA P-256 PDF-signing
//! key and PDF root that PDF viewers accept, the X.509 root and
//! signing certificates ([`pki`]), the trust list verifiers use (its
//! keys, validity, revocations and the root's signature over it), and the
//! RFC 8785 + Ed25519 signature of JSON values that manifests, trust lists
//! and status statements share.

mod json;
mod keys;
mod pdfkey;
pub mod pki;
mod trust;

use std::path::PathBuf;

pub use json::{canonical_json, json_signature_matches, sign_json, SignatureInfo};
pub use keys::{
    init, key_id, load_trust, revoke_key, rotate, sign_trust, Credentials, InitOutcome, Rotation,
    Signer,
};
pub use pdfkey::{
    p256_key_id, PdfCredentials, PdfSigner, PDF_CERT_FILE, PDF_KEY_FILE, PDF_ROOT_CERT_FILE,
    PDF_ROOT_KEY_FILE,
};
pub use trust::{
    KeyUnusable, KeyUsage, TrustList, TrustProblem, TrustSignature, TrustedKey, P256_ALGORITHM,
};

/// The trust file format this version writes.
pub const TRUST_FORMAT: &str = "docseal-trust/1";
/// File name of the office's signing key inside the keys directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// File name of the registry's status key inside the keys directory: it
/// signs `docseal serve`'s status answers and nothing else.
pub const STATUS_KEY_FILE: &str = "status.key";
/// File name of the trust file inside the keys directory.
pub const TRUST_FILE: &str = "trust.json";
/// File name of the office's root key inside the keys directory.
pub const ROOT_KEY_FILE: &str = "root.key";
/// File name of the office's root certificate (what agencies pin with
/// `docseal verify --root`, and add to PDF validators' trust stores for
/// documents signed with `pdf_signature = "ed25519"`; for P-256 PDF
/// signatures they add [`PDF_ROOT_CERT_FILE`]).
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
    /// A P-256 key file (the PDF-signing key or the PDF root) is not a
    /// valid ECDSA P-256 PKCS#8 key.
    #[error("{path}: not a valid ECDSA P-256 private key (PKCS#8 PEM)")]
    BadP256Key {
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
    /// The trust list's root signature does not check: it was changed
    /// after the root signed it, or never signed. Nothing uses it.
    #[error("{path}: {problem}. The list was not used; restore the copy the office signed, or, if the change was deliberate, sign it again with `docseal keys sign-trust`")]
    TrustNotSigned {
        /// The trust file.
        path: PathBuf,
        /// Why the signature does not check.
        problem: TrustProblem,
    },
    /// The trust list is signed by a root other than the keys directory's
    /// root certificate.
    #[error("{path} is signed by another root than {root}; the list was not used")]
    OtherRoot {
        /// The trust file.
        path: PathBuf,
        /// The root certificate it should be signed by.
        root: PathBuf,
    },
    /// The keys directory has not been set up, or lacks a file it needs.
    #[error(
        "{path} is missing; run `docseal keys init` (or copy the office's keys directory here)"
    )]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A key file does not match what the trust list or a certificate says.
    #[error("{path}: {detail}")]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What does not match.
        detail: String,
    },
    /// The signing key may not issue: it was revoked or retired.
    #[error("the signing key {key_id} {state}, so nothing more is issued with it; run `docseal keys rotate` to start a new one")]
    SigningKeyUnusable {
        /// The key.
        key_id: String,
        /// `was revoked at …` or `was retired at …`.
        state: String,
    },
    /// A signed value, key or certificate could not be serialized (the
    /// message predates the split of sealing and keys, and is kept).
    #[error("the manifest cannot be serialized: {0}")]
    Serialize(String),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness available for a new key: {0}")]
    Random(String),
}
