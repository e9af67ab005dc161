//! Sealing: a manifest signed with the office's key over its RFC 8785
//! canonical bytes, as attached to result PDFs, and the check of a signed
//! manifest against a trust list.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Manifest;
use crate::office::{
    canonical_json, json_signature_matches, sign_json, OfficeError, SignatureInfo, Signer,
    TrustList, TrustedKey,
};

/// Why a manifest could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The manifest could not be serialized canonically.
    #[error("the manifest cannot be serialized: {0}")]
    Serialize(String),
    /// Signing its bytes failed.
    #[error(transparent)]
    Sign(#[from] OfficeError),
}

/// A manifest with its signature, as attached to result PDFs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// The manifest.
    pub manifest: Manifest,
    /// Its signature.
    pub signature: SignatureInfo,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssuedAt, Issuer, Record, SourceInfo, MANIFEST_FORMAT};
    use crate::office::{TrustedKey, TRUST_FORMAT};
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;

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
            issued_at: IssuedAt::parse("2024-07-05T09:30:00Z").unwrap(),
            key_id: key_id.into(),
            review: None,
            dossier: None,
            layout: None,
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
                usage: Default::default(),
            }],
            roots: vec![],
            logs: vec![],
            signed_at: None,
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
}
