//! The trust list: the keys a verifier trusts with their validity and
//! revocations, and the office root's signature over all of it.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::pki::{self, Certificate, PkiError};
use super::{canonical_json, OfficeError, Signer, TRUST_FORMAT};
use crate::model::parse_rfc3339;

/// The `algorithm` of a P-256 PDF-signing key in the trust list.
pub const P256_ALGORITHM: &str = "ECDSA-P256";

/// A public key the verifier trusts, with its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// The key's id.
    pub key_id: String,
    /// The office the key belongs to.
    pub office: String,
    /// `Ed25519`, or `ECDSA-P256` for a PDF key.
    pub algorithm: String,
    /// The raw 32-byte public key, or for `ECDSA-P256` the uncompressed
    /// 65-byte point, base64.
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
    /// What the key signs: documents (the default, and what a list without
    /// the field means) or the registry's status answers. Not written for a
    /// document key, so lists signed before the field existed still check.
    #[serde(default, skip_serializing_if = "KeyUsage::is_document")]
    pub usage: KeyUsage,
}

/// What a trusted key may sign. A key of one usage never verifies what the
/// other signs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsage {
    /// Manifests, QR seals and PDF signatures of result documents.
    #[default]
    Document,
    /// The registry's signed status answers (`docseal serve`).
    Status,
    /// The ECDSA P-256 signatures of result PDFs (`pdf_signature =
    /// "ecdsa-p256"`), whose certificates chain to the office's P-256 PDF
    /// root; never a manifest or a QR seal.
    Pdf,
}

impl KeyUsage {
    /// Whether this is [`KeyUsage::Document`].
    pub fn is_document(&self) -> bool {
        *self == KeyUsage::Document
    }

    /// The word `keys list` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUsage::Document => "document",
            KeyUsage::Status => "status",
            KeyUsage::Pdf => "pdf",
        }
    }
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
    /// A current document key entry for `signer`'s public key, valid from
    /// `not_before`.
    pub fn for_signer(signer: &Signer, office: &str, not_before: &str) -> TrustedKey {
        TrustedKey::with_usage(signer, office, not_before, KeyUsage::Document)
    }

    /// A current entry of `usage` for `signer`'s public key, valid from
    /// `not_before`.
    pub fn with_usage(
        signer: &Signer,
        office: &str,
        not_before: &str,
        usage: KeyUsage,
    ) -> TrustedKey {
        TrustedKey {
            key_id: signer.key_id().to_string(),
            office: office.to_string(),
            algorithm: "Ed25519".to_string(),
            public_key: B64.encode(signer.verifying_key().as_bytes()),
            not_before: not_before.to_string(),
            not_after: None,
            revoked_at: None,
            revocation_reason: None,
            usage,
        }
    }

    /// A current PDF-signing entry ([`KeyUsage::Pdf`]) for a P-256 key,
    /// valid from `not_before`.
    pub fn for_pdf_key(
        key_id: &str,
        public: &p256::ecdsa::VerifyingKey,
        office: &str,
        not_before: &str,
    ) -> TrustedKey {
        TrustedKey {
            key_id: key_id.to_string(),
            office: office.to_string(),
            algorithm: P256_ALGORITHM.to_string(),
            public_key: B64.encode(public.to_encoded_point(false).as_bytes()),
            not_before: not_before.to_string(),
            not_after: None,
            revoked_at: None,
            revocation_reason: None,
            usage: KeyUsage::Pdf,
        }
    }

    /// The P-256 public key of an `ECDSA-P256` entry, if it holds a valid one.
    pub fn p256_verifying_key(&self) -> Option<p256::ecdsa::VerifyingKey> {
        if self.algorithm != P256_ALGORITHM {
            return None;
        }
        let bytes = B64.decode(&self.public_key).ok()?;
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&bytes).ok()
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
    /// Root certificates (PEM) of the offices, anchors for PDF signatures:
    /// the Ed25519 root that signs the list and the office's ECDSA P-256
    /// PDF root, which that signature vouches for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    /// The office's transparency logs, as `signed-note` verifier keys
    /// (`name+id+base64`): their checkpoints prove when a document existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    /// When the root signed the list, RFC 3339: of two lists signed by the
    /// same root, the later one is the newer (it holds every later rotation
    /// and revocation). Absent from lists signed before the field existed,
    /// which count as older than any list that has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
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
            logs: Vec::new(),
            signed_at: None,
            signature: None,
        }
    }

    /// The bytes the root signs: RFC 8785 canonical JSON of the list without
    /// its signature.
    fn signed_bytes(&self) -> Result<Vec<u8>, OfficeError> {
        let mut value =
            serde_json::to_value(self).map_err(|e| OfficeError::Serialize(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.remove("signature");
        }
        canonical_json(&value)
    }

    /// Signs the list with the office's root key; `root` must be that key's
    /// certificate and one of the list's `roots`.
    pub fn sign(&mut self, root_key: &Signer, root: &Certificate) -> Result<(), OfficeError> {
        let pki_err = |e: PkiError| OfficeError::Serialize(e.to_string());
        if pki::public_key(root).ok() != Some(root_key.verifying_key()) {
            return Err(OfficeError::Serialize(
                "the root key does not belong to the root certificate".into(),
            ));
        }
        let pem = pki::to_pem(root).map_err(pki_err)?;
        if !self.roots.contains(&pem) {
            self.roots.push(pem);
        }
        self.signature = None;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // Never earlier than the list it replaces, whatever the clock says.
        let signed_at = match self.signed_at.as_deref().and_then(parse_rfc3339) {
            Some(before) if before > now => before,
            _ => now,
        };
        self.signed_at = Some(crate::model::format_rfc3339(signed_at));
        let sig = root_key.sign(&self.signed_bytes()?);
        self.signature = Some(TrustSignature {
            algorithm: "Ed25519".to_string(),
            canonicalization: "jcs".to_string(),
            root_sha256: pki::fingerprint(root).map_err(pki_err)?,
            value: B64.encode(sig.to_bytes()),
        });
        Ok(())
    }

    /// Checks the root's signature over the list; returns the root
    /// certificate that signed it. A list that fails this must not be used.
    pub fn check_signature(&self) -> Result<Certificate, TrustProblem> {
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
            .find(|c| pki::fingerprint(c).ok().as_deref() == Some(&sig.root_sha256))
            .ok_or_else(|| TrustProblem::UnknownRoot {
                fingerprint: sig.root_sha256.clone(),
            })?;
        pki::verify_issued_by(&root, &root).map_err(|e| TrustProblem::NotARoot(e.to_string()))?;
        let public = pki::public_key(&root).map_err(|e| TrustProblem::NotARoot(e.to_string()))?;
        let bad = || TrustProblem::BadSignature {
            root: pki::subject(&root),
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
    pub fn load(path: &Path) -> Result<TrustList, OfficeError> {
        let bytes = std::fs::read(path).map_err(|source| OfficeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        TrustList::from_json(&bytes, path)
    }

    /// Writes the trust file durably.
    pub fn save(&self, path: &Path) -> Result<(), OfficeError> {
        let bytes = self.to_json()?;
        crate::fsutil::write_durably(path, &bytes).map_err(|e| OfficeError::Io {
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

    /// When the root signed the list (Unix seconds), if the list says.
    pub fn signed_at_unix(&self) -> Option<i64> {
        self.signed_at.as_deref().and_then(parse_rfc3339)
    }

    /// The office the list's document keys belong to (the first one named),
    /// for a report that must say whose document it is.
    pub fn office(&self) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.usage == KeyUsage::Document)
            .map(|k| k.office.as_str())
    }

    /// The list's JSON as written to a trust file.
    pub fn to_json(&self) -> Result<Vec<u8>, OfficeError> {
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|e| OfficeError::Serialize(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Reads a trust list from JSON bytes (a file's or a document's
    /// snapshot); `path` names where they came from in an error.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<TrustList, OfficeError> {
        let list: TrustList = serde_json::from_slice(bytes).map_err(|e| OfficeError::BadTrust {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if list.format != TRUST_FORMAT {
            return Err(OfficeError::BadTrust {
                path: path.to_path_buf(),
                detail: format!("format `{}` is not `{TRUST_FORMAT}`", list.format),
            });
        }
        Ok(list)
    }

    /// The root certificates that parse.
    pub fn root_certificates(&self) -> Vec<Certificate> {
        self.roots
            .iter()
            .filter_map(|pem| pki::from_pem(pem).ok())
            .collect()
    }

    /// The document key with this id (a status key is never one).
    pub fn find(&self, key_id: &str) -> Option<&TrustedKey> {
        self.find_for(key_id, KeyUsage::Document)
    }

    /// The key with this id, if it is listed for `usage`.
    pub fn find_for(&self, key_id: &str, usage: KeyUsage) -> Option<&TrustedKey> {
        self.keys
            .iter()
            .find(|k| k.key_id == key_id && k.usage == usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::{Credentials, TRUST_FILE};

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
}
