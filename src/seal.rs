//! The manifest of an issued document, its canonical bytes (RFC 8785) and its
//! Ed25519 signature; the office's signing key and trust file.

use crate::extract::Record;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Who issued a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// The issuing office, e.g. `UBND phường Bến Nghé, TP. Hồ Chí Minh`.
    pub office: String,
    /// The operator who ran the conversion.
    pub operator: String,
}

/// The original scan a document was converted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// SHA-256 of the scan bytes, lower-case hex.
    pub sha256: String,
    /// Pages in the scan.
    pub pages: u32,
    /// The scan's media type, e.g. `image/tiff`.
    pub media_type: String,
}

/// What an issued document asserts; signed as its RFC 8785 canonical bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format, `docseal-manifest/1`.
    pub format: String,
    /// The document id.
    pub document_id: String,
    /// The document type id.
    pub doc_type: String,
    /// The `$id` of the schema the record was validated against.
    pub schema_id: String,
    /// The record.
    pub record: Record,
    /// The original scan.
    pub source: SourceInfo,
    /// The pipeline version that produced the record.
    pub pipeline_version: String,
    /// Who issued it.
    pub issuer: Issuer,
    /// When, RFC 3339 in UTC (`2024-07-05T09:30:00Z`).
    pub issued_at: String,
    /// The id of the signing key.
    pub key_id: String,
}

/// The manifest format this version writes.
pub const MANIFEST_FORMAT: &str = "docseal-manifest/1";
/// The trust file format this version writes.
pub const TRUST_FORMAT: &str = "docseal-trust/1";
/// File name of the office's signing key inside the keys directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// File name of the trust file inside the keys directory.
pub const TRUST_FILE: &str = "trust.json";

/// Errors of sealing and key handling. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
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
    /// The manifest could not be serialized canonically.
    #[error("the manifest cannot be serialized: {0}")]
    Serialize(String),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness available for a new key: {0}")]
    Random(String),
}

/// The id of a public key: `ed25519:` and the first 16 hex digits of its SHA-256.
pub fn key_id(public: &VerifyingKey) -> String {
    let h = Sha256::digest(public.as_bytes());
    format!("ed25519:{}", &hex::encode(h)[..16])
}

/// The office's signing key.
pub struct Signer {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs bytes (Ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        self.key.sign(msg)
    }

    /// A signer from raw secret bytes (tests and known-answer vectors).
    pub fn from_secret(secret: &[u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(secret);
        let key_id = key_id(&key.verifying_key());
        Signer { key, key_id }
    }

    /// Loads the signing key from `dir`, or, when there is none, creates one
    /// (file mode 0600) and a trust file naming its public key for `office`.
    pub fn load_or_create(dir: &Path, office: &str) -> Result<Signer, SealError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        if key_path.exists() {
            return Signer::load(&key_path);
        }
        Signer::create(dir, office)
    }

    /// Creates a new signing key in `dir` (replacing the current one, which the
    /// caller has retired) and adds it to the trust file, valid from now.
    fn create(dir: &Path, office: &str) -> Result<Signer, SealError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| SealError::Random(e.to_string()))?;
        let signer = Signer::from_secret(&secret);
        secret.fill(0);
        let tmp = dir.join(format!("{SIGNING_KEY_FILE}.new"));
        signer.write_private(&tmp)?;
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = if trust_path.exists() {
            TrustList::load(&trust_path)?
        } else {
            TrustList::empty()
        };
        trust
            .keys
            .push(TrustedKey::for_signer(&signer, office, &now_rfc3339()));
        trust.save(&trust_path)?;
        std::fs::rename(&tmp, &key_path).map_err(|source| SealError::Io {
            path: key_path.clone(),
            source,
        })?;
        Ok(signer)
    }

    /// Writes the private key as PKCS#8 PEM to a new file readable by its owner only.
    fn write_private(&self, path: &Path) -> Result<(), SealError> {
        let io = |source| SealError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let pem = self
            .key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|_| SealError::BadKey {
                path: path.to_path_buf(),
            })?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(pem.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Retires the current signing key and creates a new one. The old key's
    /// validity ends now in the trust file, so documents it signed before stay
    /// valid; its private half moves to `retired/KEY.key`.
    pub fn rotate(dir: &Path, office: &str) -> Result<(String, Signer), SealError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        let old = Signer::load(&key_path)?;
        let retired = dir
            .join("retired")
            .join(format!("{}.key", old.key_id.replace(':', "_")));
        old.write_private(&retired)?;
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = TrustList::load(&trust_path)?;
        let now = now_rfc3339();
        for k in trust.keys.iter_mut().filter(|k| k.key_id == old.key_id) {
            k.not_after = Some(now.clone());
        }
        trust.save(&trust_path)?;
        let new = Signer::create(dir, office)?;
        Ok((old.key_id.clone(), new))
    }

    /// Loads a signing key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Signer, SealError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|source| SealError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(SealError::KeyPermissions {
                    path: path.to_path_buf(),
                });
            }
        }
        let pem = std::fs::read_to_string(path).map_err(|source| SealError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| SealError::BadKey {
            path: path.to_path_buf(),
        })?;
        let key_id = key_id(&key.verifying_key());
        Ok(Signer { key, key_id })
    }
}

/// File name of the office's root key inside the keys directory.
pub const ROOT_KEY_FILE: &str = "root.key";
/// File name of the office's root certificate (what agencies add to their
/// PDF validators' trust stores).
pub const ROOT_CERT_FILE: &str = "root.pem";
/// File name of the current signing key's certificate.
pub const SIGNING_CERT_FILE: &str = "signing.pem";

/// Years a root certificate is valid.
const ROOT_YEARS: i64 = 20;
/// Years a signing certificate is valid.
const SIGNING_YEARS: i64 = 5;
const YEAR: i64 = 365 * 24 * 3600;

/// The signing key with its certificate chain: what issuing needs.
#[derive(Debug)]
pub struct Credentials {
    /// The signing key.
    pub signer: Signer,
    /// Its certificate, issued by the root.
    pub cert: crate::pki::Certificate,
    /// The office's root certificate.
    pub root: crate::pki::Certificate,
}

impl Credentials {
    /// Loads the office's keys and certificates from `dir`, creating whatever
    /// is missing: the root key and certificate (`root.pem`), the signing key,
    /// its certificate, and the trust file listing both.
    pub fn load_or_create(dir: &Path, office: &str) -> Result<Credentials, SealError> {
        let signer = Signer::load_or_create(dir, office)?;
        let root_key_path = dir.join(ROOT_KEY_FILE);
        let root_key = if root_key_path.exists() {
            Signer::load(&root_key_path)?
        } else {
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret).map_err(|e| SealError::Random(e.to_string()))?;
            let k = Signer::from_secret(&secret);
            secret.fill(0);
            k.write_private(&root_key_path)?;
            k
        };
        let pki_err = |e: crate::pki::PkiError| SealError::Serialize(e.to_string());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let root_path = dir.join(ROOT_CERT_FILE);
        let root = match read_pem(&root_path)? {
            Some(c) if crate::pki::public_key(&c).ok() == Some(root_key.verifying_key()) => c,
            _ => {
                let c =
                    crate::pki::issue_root(office, &root_key, now - 60, now + ROOT_YEARS * YEAR)
                        .map_err(pki_err)?;
                write_pem(&root_path, &c)?;
                c
            }
        };
        let cert_path = dir.join(SIGNING_CERT_FILE);
        let cert = match read_pem(&cert_path)? {
            Some(c) if crate::pki::public_key(&c).ok() == Some(signer.verifying_key()) => c,
            _ => {
                let trust = TrustList::load(&dir.join(TRUST_FILE))?;
                let from = trust
                    .find(signer.key_id())
                    .and_then(|k| parse_rfc3339(&k.not_before))
                    .unwrap_or(now);
                let c = crate::pki::issue_signing_cert(
                    office,
                    &root_key,
                    &root,
                    &signer.verifying_key(),
                    from - 60,
                    from + SIGNING_YEARS * YEAR,
                )
                .map_err(pki_err)?;
                write_pem(&cert_path, &c)?;
                c
            }
        };
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = TrustList::load(&trust_path)?;
        let signed_by_root = trust.check_signature().is_ok_and(|c| c == root);
        if !signed_by_root {
            trust.sign(&root_key, &root)?;
            trust.save(&trust_path)?;
        }
        Ok(Credentials { signer, cert, root })
    }

    /// Signs `trust` with the office's root key (from `dir`) and writes it
    /// as `dir`'s trust file.
    pub fn save_trust(dir: &Path, trust: &mut TrustList) -> Result<(), SealError> {
        let root_key = Signer::load(&dir.join(ROOT_KEY_FILE))?;
        let root_path = dir.join(ROOT_CERT_FILE);
        let root = read_pem(&root_path)?.ok_or_else(|| SealError::BadTrust {
            path: root_path.clone(),
            detail: "no root certificate; run `docseal keys init`".into(),
        })?;
        trust.sign(&root_key, &root)?;
        trust.save(&dir.join(TRUST_FILE))
    }
}

fn read_pem(path: &Path) -> Result<Option<crate::pki::Certificate>, SealError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(crate::pki::from_pem(&text).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SealError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_pem(path: &Path, cert: &crate::pki::Certificate) -> Result<(), SealError> {
    let pem = crate::pki::to_pem(cert).map_err(|e| SealError::Serialize(e.to_string()))?;
    crate::store::write_durably(path, pem.as_bytes()).map_err(|e| SealError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// A public key the verifier trusts, with its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// The key's id.
    pub key_id: String,
    /// The office the key belongs to.
    pub office: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The raw 32-byte public key, base64.
    pub public_key: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// When the key was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

/// Why a trusted key could not be used at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUnusable {
    /// Before its validity began (`not_before`).
    NotYet,
    /// After it was retired (`not_after`).
    Retired,
    /// At or after its revocation.
    Revoked {
        /// When it was revoked, RFC 3339.
        at: String,
        /// Why.
        reason: String,
    },
}

impl TrustedKey {
    /// A current entry for `signer`'s public key, valid from `not_before`.
    pub fn for_signer(signer: &Signer, office: &str, not_before: &str) -> TrustedKey {
        TrustedKey {
            key_id: signer.key_id().to_string(),
            office: office.to_string(),
            algorithm: "Ed25519".to_string(),
            public_key: B64.encode(signer.verifying_key().as_bytes()),
            not_before: not_before.to_string(),
            not_after: None,
            revoked_at: None,
            revocation_reason: None,
        }
    }

    /// Why the key could not be used at `at` (Unix seconds), if it could not.
    pub fn unusable_at(&self, at: i64) -> Option<KeyUnusable> {
        let time = |s: &Option<String>| s.as_deref().and_then(parse_rfc3339);
        if parse_rfc3339(&self.not_before).is_some_and(|nb| at < nb) {
            return Some(KeyUnusable::NotYet);
        }
        if time(&self.not_after).is_some_and(|na| at > na) {
            return Some(KeyUnusable::Retired);
        }
        if time(&self.revoked_at).is_some_and(|rv| at >= rv) {
            return Some(KeyUnusable::Revoked {
                at: self.revoked_at.clone().unwrap_or_default(),
                reason: self
                    .revocation_reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            });
        }
        None
    }

    /// The public key, if the entry holds a valid one.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let bytes = B64.decode(&self.public_key).ok()?;
        let arr: [u8; 32] = bytes.try_into().ok()?;
        VerifyingKey::from_bytes(&arr).ok()
    }
}

/// The keys a verifier trusts, signed by the office's root key.
///
/// Unknown fields are refused, so that everything a verifier reads from the
/// file is covered by the root's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustList {
    /// `docseal-trust/1`.
    pub format: String,
    /// The keys.
    pub keys: Vec<TrustedKey>,
    /// Root certificates (PEM) of the offices, anchors for PDF signatures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    /// The root's signature over the rest of the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<TrustSignature>,
}

/// A root's signature over a trust list: Ed25519 over the RFC 8785 canonical
/// bytes of the list without its `signature` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSignature {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// Always `jcs` (RFC 8785).
    pub canonicalization: String,
    /// Which of the list's `roots` signed: the SHA-256 of its certificate's
    /// DER bytes, lower-case hex.
    pub root_sha256: String,
    /// The 64-byte signature, base64.
    pub value: String,
}

/// Why a trust list's signature does not check. Any of these means the list
/// must not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustProblem {
    /// The list carries no signature.
    #[error("the trust list is not signed by its root; ask the issuing office for a list exported with `docseal keys export-trust`")]
    Unsigned,
    /// The signature is not of a kind this version checks.
    #[error("the trust list's signature is {algorithm} over {canonicalization}, which this version does not check")]
    Unsupported {
        /// The algorithm named.
        algorithm: String,
        /// The canonicalization named.
        canonicalization: String,
    },
    /// The signing root is not among the list's root certificates.
    #[error("the trust list is signed by a root certificate it does not contain (SHA-256 {fingerprint})")]
    UnknownRoot {
        /// The fingerprint the signature names.
        fingerprint: String,
    },
    /// The signing certificate is not a self-signed certification authority.
    #[error("the certificate that signed the trust list is not a valid root: {0}")]
    NotARoot(String),
    /// The signature does not match the list.
    #[error("the trust list's signature by {root} does not match its content: the list was changed after the root signed it")]
    BadSignature {
        /// The signing root's subject.
        root: String,
    },
    /// The list could not be serialized for checking.
    #[error("the trust list cannot be serialized for checking: {0}")]
    Serialize(String),
}

impl TrustList {
    /// A list with no keys.
    pub fn empty() -> TrustList {
        TrustList {
            format: TRUST_FORMAT.to_string(),
            keys: Vec::new(),
            roots: Vec::new(),
            signature: None,
        }
    }

    /// The bytes the root signs: RFC 8785 canonical JSON of the list without
    /// its signature.
    fn signed_bytes(&self) -> Result<Vec<u8>, SealError> {
        let mut value =
            serde_json::to_value(self).map_err(|e| SealError::Serialize(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.remove("signature");
        }
        canonical_json(&value)
    }

    /// Signs the list with the office's root key; `root` must be that key's
    /// certificate and one of the list's `roots`.
    pub fn sign(
        &mut self,
        root_key: &Signer,
        root: &crate::pki::Certificate,
    ) -> Result<(), SealError> {
        let pki_err = |e: crate::pki::PkiError| SealError::Serialize(e.to_string());
        if crate::pki::public_key(root).ok() != Some(root_key.verifying_key()) {
            return Err(SealError::Serialize(
                "the root key does not belong to the root certificate".into(),
            ));
        }
        let pem = crate::pki::to_pem(root).map_err(pki_err)?;
        if !self.roots.contains(&pem) {
            self.roots.push(pem);
        }
        self.signature = None;
        let sig = root_key.sign(&self.signed_bytes()?);
        self.signature = Some(TrustSignature {
            algorithm: "Ed25519".to_string(),
            canonicalization: "jcs".to_string(),
            root_sha256: crate::pki::fingerprint(root).map_err(pki_err)?,
            value: B64.encode(sig.to_bytes()),
        });
        Ok(())
    }

    /// Checks the root's signature over the list; returns the root
    /// certificate that signed it. A list that fails this must not be used.
    pub fn check_signature(&self) -> Result<crate::pki::Certificate, TrustProblem> {
        let sig = self.signature.as_ref().ok_or(TrustProblem::Unsigned)?;
        if sig.algorithm != "Ed25519" || sig.canonicalization != "jcs" {
            return Err(TrustProblem::Unsupported {
                algorithm: sig.algorithm.clone(),
                canonicalization: sig.canonicalization.clone(),
            });
        }
        let root = self
            .root_certificates()
            .into_iter()
            .find(|c| crate::pki::fingerprint(c).ok().as_deref() == Some(&sig.root_sha256))
            .ok_or_else(|| TrustProblem::UnknownRoot {
                fingerprint: sig.root_sha256.clone(),
            })?;
        crate::pki::verify_issued_by(&root, &root)
            .map_err(|e| TrustProblem::NotARoot(e.to_string()))?;
        let public =
            crate::pki::public_key(&root).map_err(|e| TrustProblem::NotARoot(e.to_string()))?;
        let bad = || TrustProblem::BadSignature {
            root: crate::pki::subject(&root),
        };
        let sig_bytes: [u8; 64] = B64
            .decode(&sig.value)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let bytes = self
            .signed_bytes()
            .map_err(|e| TrustProblem::Serialize(e.to_string()))?;
        public
            .verify(&bytes, &Signature::from_bytes(&sig_bytes))
            .map_err(|_| bad())?;
        Ok(root)
    }

    /// Reads a trust file.
    pub fn load(path: &Path) -> Result<TrustList, SealError> {
        let bytes = std::fs::read(path).map_err(|source| SealError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let list: TrustList = serde_json::from_slice(&bytes).map_err(|e| SealError::BadTrust {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if list.format != TRUST_FORMAT {
            return Err(SealError::BadTrust {
                path: path.to_path_buf(),
                detail: format!("format `{}` is not `{TRUST_FORMAT}`", list.format),
            });
        }
        Ok(list)
    }

    /// Writes the trust file durably.
    pub fn save(&self, path: &Path) -> Result<(), SealError> {
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|e| SealError::Serialize(e.to_string()))?;
        bytes.push(b'\n');
        crate::store::write_durably(path, &bytes).map_err(|e| SealError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Marks a key revoked from `at` (RFC 3339) for `reason`.
    pub fn revoke(&mut self, key_id: &str, reason: &str, at: &str) -> Result<(), String> {
        if parse_rfc3339(at).is_none() {
            return Err(format!(
                "`{at}` is not an RFC 3339 time such as 2026-01-31T08:00:00Z"
            ));
        }
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| format!("no key {key_id} in the trust list"))?;
        key.revoked_at = Some(at.to_string());
        key.revocation_reason = Some(reason.to_string());
        Ok(())
    }

    /// The root certificates that parse.
    pub fn root_certificates(&self) -> Vec<crate::pki::Certificate> {
        self.roots
            .iter()
            .filter_map(|pem| crate::pki::from_pem(pem).ok())
            .collect()
    }

    /// The entry with this key id.
    pub fn find(&self, key_id: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }
}

/// The signature block of a signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The signing key's id.
    pub key_id: String,
    /// What was signed: `jcs` (RFC 8785 canonical JSON of `manifest`).
    pub canonicalization: String,
    /// The 64-byte signature, base64.
    pub value: String,
}

/// A manifest with its signature, as attached to result PDFs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// The manifest.
    pub manifest: Manifest,
    /// Its signature.
    pub signature: SignatureInfo,
}

/// RFC 8785 canonical bytes of any JSON value.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, SealError> {
    serde_jcs::to_vec(value).map_err(|e| SealError::Serialize(e.to_string()))
}

/// Signs the RFC 8785 canonical bytes of a JSON value with Ed25519.
pub fn sign_json(value: &Value, signer: &Signer) -> Result<SignatureInfo, SealError> {
    let sig = signer.sign(&canonical_json(value)?);
    Ok(SignatureInfo {
        algorithm: "Ed25519".to_string(),
        key_id: signer.key_id().to_string(),
        canonicalization: "jcs".to_string(),
        value: B64.encode(sig.to_bytes()),
    })
}

/// Whether `sig` is a valid [`sign_json`] signature of `value` by `public`.
pub fn json_signature_matches(value: &Value, sig: &SignatureInfo, public: &VerifyingKey) -> bool {
    if sig.algorithm != "Ed25519" || sig.canonicalization != "jcs" {
        return false;
    }
    let Some(sig_bytes) = B64
        .decode(&sig.value)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    canonical_json(value).is_ok_and(|bytes| {
        public
            .verify(&bytes, &Signature::from_bytes(&sig_bytes))
            .is_ok()
    })
}

/// Signs a manifest; returns the signed manifest and its attachment bytes.
pub fn seal(manifest: Manifest, signer: &Signer) -> Result<(SignedManifest, Vec<u8>), SealError> {
    let value = serde_json::to_value(&manifest).map_err(|e| SealError::Serialize(e.to_string()))?;
    let signature = sign_json(&value, signer)?;
    let signed = SignedManifest {
        manifest,
        signature,
    };
    let whole = serde_json::to_value(&signed).map_err(|e| SealError::Serialize(e.to_string()))?;
    let bytes = canonical_json(&whole)?;
    Ok((signed, bytes))
}

/// Why a signed manifest does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestProblem {
    /// The attachment is not a signed manifest.
    #[error("the attached manifest is not readable: {0}")]
    Malformed(String),
    /// The key id is not in the trust list.
    #[error("the signing key {0} is not in the trust list")]
    UnknownKey(String),
    /// The signature does not match the manifest.
    #[error("the manifest's signature does not match its content: it was altered after signing, or signed by another key")]
    BadSignature,
    /// The manifest's key id differs from the signature's.
    #[error("the manifest names key {manifest} but was signed with {signature}")]
    KeyMismatch {
        /// Key in the manifest.
        manifest: String,
        /// Key in the signature block.
        signature: String,
    },
}

/// Parses and checks a signed manifest against a trust list. Returns the
/// manifest and the trusted key that signed it.
pub fn check_signed_manifest(
    bytes: &[u8],
    trust: &TrustList,
) -> Result<(Manifest, TrustedKey), ManifestProblem> {
    let whole: Value =
        serde_json::from_slice(bytes).map_err(|e| ManifestProblem::Malformed(e.to_string()))?;
    let manifest_value = whole
        .get("manifest")
        .ok_or_else(|| ManifestProblem::Malformed("no `manifest`".into()))?;
    let sig: SignatureInfo = whole
        .get("signature")
        .cloned()
        .ok_or_else(|| ManifestProblem::Malformed("no `signature`".into()))
        .and_then(|v| {
            serde_json::from_value(v).map_err(|e| ManifestProblem::Malformed(e.to_string()))
        })?;
    let manifest: Manifest = serde_json::from_value(manifest_value.clone())
        .map_err(|e| ManifestProblem::Malformed(e.to_string()))?;
    if sig.algorithm != "Ed25519" || sig.canonicalization != "jcs" {
        return Err(ManifestProblem::Malformed(format!(
            "unsupported signature {} over {}",
            sig.algorithm, sig.canonicalization
        )));
    }
    if manifest.key_id != sig.key_id {
        return Err(ManifestProblem::KeyMismatch {
            manifest: manifest.key_id,
            signature: sig.key_id,
        });
    }
    let entry = trust
        .find(&sig.key_id)
        .ok_or_else(|| ManifestProblem::UnknownKey(sig.key_id.clone()))?;
    let public = entry
        .verifying_key()
        .ok_or_else(|| ManifestProblem::UnknownKey(sig.key_id.clone()))?;
    if !json_signature_matches(manifest_value, &sig, &public) {
        return Err(ManifestProblem::BadSignature);
    }
    Ok((manifest, entry.clone()))
}

/// The current time as RFC 3339 UTC with whole seconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    format_rfc3339(now.unix_timestamp())
}

/// A Unix time (seconds) as RFC 3339 UTC.
pub fn format_rfc3339(unix_seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Parses RFC 3339 into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Record;

    fn manifest(key_id: &str) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            document_id: "DS-TEST".into(),
            doc_type: "birth_certificate".into(),
            schema_id: "urn:docseal:schema:birth_certificate:1".into(),
            record: Record::unknown(0.5),
            source: SourceInfo {
                sha256: "00".repeat(32),
                pages: 1,
                media_type: "image/png".into(),
            },
            pipeline_version: crate::PIPELINE_VERSION.into(),
            issuer: Issuer {
                office: "UBND phường Bến Nghé".into(),
                operator: "Nguyễn Thị Hường".into(),
            },
            issued_at: "2024-07-05T09:30:00Z".into(),
            key_id: key_id.into(),
        }
    }

    /// RFC 8032, section 7.1, TEST 1 and TEST 2.
    #[test]
    fn rfc8032_known_answers() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ];
        for (sk, pk, msg, sig) in cases {
            let secret: [u8; 32] = hex::decode(sk).unwrap().try_into().unwrap();
            let signer = Signer::from_secret(&secret);
            assert_eq!(hex::encode(signer.verifying_key().as_bytes()), pk);
            let s = signer.sign(&hex::decode(msg).unwrap());
            assert_eq!(hex::encode(s.to_bytes()), sig);
        }
    }

    fn trust_for(signer: &Signer) -> TrustList {
        TrustList {
            format: TRUST_FORMAT.into(),
            keys: vec![TrustedKey {
                key_id: signer.key_id().into(),
                office: "x".into(),
                algorithm: "Ed25519".into(),
                public_key: B64.encode(signer.verifying_key().as_bytes()),
                not_before: "2020-01-01T00:00:00Z".into(),
                not_after: None,
                revoked_at: None,
                revocation_reason: None,
            }],
            roots: vec![],
            signature: None,
        }
    }

    #[test]
    fn sealed_manifest_verifies_and_any_changed_byte_is_caught() {
        let signer = Signer::from_secret(&[7u8; 32]);
        let trust = trust_for(&signer);
        let (_, bytes) = seal(manifest(signer.key_id()), &signer).unwrap();
        let (m, key) = check_signed_manifest(&bytes, &trust).unwrap();
        assert_eq!(m.document_id, "DS-TEST");
        assert_eq!(key.key_id, signer.key_id());
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                check_signed_manifest(&bad, &trust).is_err(),
                "flipping byte {i} went unnoticed"
            );
        }
    }

    #[test]
    fn a_foreign_key_is_unknown() {
        let signer = Signer::from_secret(&[7u8; 32]);
        let other = Signer::from_secret(&[8u8; 32]);
        let (_, bytes) = seal(manifest(signer.key_id()), &signer).unwrap();
        assert!(matches!(
            check_signed_manifest(&bytes, &trust_for(&other)),
            Err(ManifestProblem::UnknownKey(_))
        ));
    }

    #[test]
    fn the_trust_list_is_signed_by_its_root_and_any_change_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let creds = Credentials::load_or_create(dir.path(), "Office").unwrap();
        let path = dir.path().join(TRUST_FILE);
        let trust = TrustList::load(&path).unwrap();
        assert_eq!(trust.check_signature().unwrap(), creds.root);

        // Every change to what a verifier reads breaks the signature.
        let mut revoked = trust.clone();
        revoked
            .revoke(creds.signer.key_id(), "lost", "2030-01-01T00:00:00Z")
            .unwrap();
        assert!(matches!(
            revoked.check_signature(),
            Err(TrustProblem::BadSignature { .. })
        ));
        let mut added = trust.clone();
        added.keys.push(added.keys[0].clone());
        added.keys[1].key_id = "ed25519:0000000000000000".into();
        assert!(added.check_signature().is_err());
        let mut unsigned = trust.clone();
        unsigned.signature = None;
        assert_eq!(unsigned.check_signature(), Err(TrustProblem::Unsigned));

        // Re-signed by the office, the revocation checks again.
        Credentials::save_trust(dir.path(), &mut revoked).unwrap();
        let reloaded = TrustList::load(&path).unwrap();
        assert_eq!(reloaded.check_signature().unwrap(), creds.root);
        assert!(reloaded
            .find(creds.signer.key_id())
            .unwrap()
            .revoked_at
            .is_some());

        // A list signed by another root that it carries only checks out as
        // signed by that root: pinning decides whether that root is trusted.
        let other = tempfile::tempdir().unwrap();
        let foreign = Credentials::load_or_create(other.path(), "Elsewhere").unwrap();
        let foreign_list = TrustList::load(&other.path().join(TRUST_FILE)).unwrap();
        assert_eq!(foreign_list.check_signature().unwrap(), foreign.root);
        assert_ne!(foreign.root, creds.root);

        // Fields the signature does not cover are refused at load.
        let text = std::fs::read_to_string(&path).unwrap();
        let extra = text.replacen('{', "{\"note\": \"trust me\",", 1);
        std::fs::write(&path, extra).unwrap();
        assert!(TrustList::load(&path).is_err());
    }

    #[test]
    fn created_key_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let a = Signer::load_or_create(dir.path(), "Office").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNING_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = Signer::load_or_create(dir.path(), "Office").unwrap();
        assert_eq!(a.key_id(), b.key_id());
        let (old, c) = Signer::rotate(dir.path(), "Office").unwrap();
        assert_eq!(old, a.key_id());
        assert_ne!(c.key_id(), a.key_id());
        let mut trust = TrustList::load(&dir.path().join(TRUST_FILE)).unwrap();
        assert_eq!(trust.keys.len(), 2);
        assert!(trust.find(a.key_id()).unwrap().not_after.is_some());
        assert!(trust.revoke(c.key_id(), "lost", "yesterday").is_err());
        trust
            .revoke(c.key_id(), "lost", "2030-01-01T00:00:00Z")
            .unwrap();
        assert_eq!(
            Signer::load_or_create(dir.path(), "Office")
                .unwrap()
                .key_id(),
            c.key_id()
        );
        assert!(!format!("{a:?}").contains(&hex::encode(a.key.to_bytes())));
    }
}
