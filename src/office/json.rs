//! Signatures over JSON values: Ed25519 over their RFC 8785 canonical bytes,
//! as manifests, trust lists and status statements are signed.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{OfficeError, Signer};

/// The signature block of a signed JSON value (a manifest, a status statement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The signing key's id.
    pub key_id: String,
    /// What was signed: `jcs` (RFC 8785 canonical JSON of the value).
    pub canonicalization: String,
    /// The 64-byte signature, base64.
    pub value: String,
}

/// RFC 8785 canonical bytes of any JSON value.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, OfficeError> {
    serde_jcs::to_vec(value).map_err(|e| OfficeError::Serialize(e.to_string()))
}

/// Signs the RFC 8785 canonical bytes of a JSON value with Ed25519.
pub fn sign_json(value: &Value, signer: &Signer) -> Result<SignatureInfo, OfficeError> {
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
