//! The registry's signed answer about a document's status (valid, revoked,
//! superseded, or unknown to it): made by `docseal serve`, checked by
//! `docseal verify --online`.
//!
//! The answer is a statement signed with the office's signing key (Ed25519
//! over its RFC 8785 canonical bytes, like the manifest). It names the
//! document and echoes the verifier's nonce, so an answer fetched over plain
//! HTTP can be trusted as far as the trust list trusts the key, and an old
//! answer cannot be replayed for a new question.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{format_rfc3339, parse_rfc3339};
use crate::office::{
    json_signature_matches, sign_json, KeyUnusable, OfficeError, SignatureInfo, Signer, TrustList,
};
use crate::queue::{DocumentRow, DocumentStatus};

/// The statement format this version writes and reads.
pub const STATUS_FORMAT: &str = "docseal-status/1";

/// The longest nonce a verifier may send: 64 hex digits.
pub const MAX_NONCE_LEN: usize = 64;

/// What the registry says about a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryStatus {
    /// Issued and standing.
    Valid,
    /// Withdrawn by the office.
    Revoked,
    /// Issued again from the same scan by a newer pipeline version.
    Superseded,
    /// The registry holds no document with this id.
    Unknown,
}

impl From<DocumentStatus> for RegistryStatus {
    fn from(s: DocumentStatus) -> RegistryStatus {
        match s {
            DocumentStatus::Valid => RegistryStatus::Valid,
            DocumentStatus::Revoked => RegistryStatus::Revoked,
            DocumentStatus::Superseded => RegistryStatus::Superseded,
        }
    }
}

/// The signed part of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusStatement {
    /// `docseal-status/1`.
    pub format: String,
    /// The document asked about.
    pub document_id: String,
    /// Its status.
    pub status: RegistryStatus,
    /// Why the status changed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the status changed, RFC 3339, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<String>,
    /// When the document was issued, RFC 3339, if the registry knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// When the registry answered, RFC 3339.
    pub answered_at: String,
    /// The verifier's nonce, echoed.
    pub nonce: String,
    /// The key that signs the answer.
    pub key_id: String,
}

/// A statement with its signature: the body of a status answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatus {
    /// What the registry says.
    pub statement: StatusStatement,
    /// The office's signature over the statement's canonical bytes.
    pub signature: SignatureInfo,
}

/// Why a status answer cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusProblem {
    /// The body is not a signed status statement.
    #[error("the answer is not a signed docseal status statement: {0}")]
    Malformed(String),
    /// The signing key is not in the trust list.
    #[error("the answer is signed with key {0}, which is not in the trust list")]
    UnknownKey(String),
    /// The signing key was not valid when the answer was made.
    #[error(
        "the answer is signed with key {key_id}, which was not valid at {answered_at}: {detail}"
    )]
    KeyNotValid {
        /// The key.
        key_id: String,
        /// When the answer was made.
        answered_at: String,
        /// Why not.
        detail: String,
    },
    /// The signature does not match the statement.
    #[error("the answer's signature does not match its content: it was altered on the way, or not made by the office")]
    BadSignature,
    /// The answer is about another document.
    #[error("the answer is about document {answered}, not {asked}")]
    OtherDocument {
        /// The document asked about.
        asked: String,
        /// The document answered about.
        answered: String,
    },
    /// The answer does not echo this question's nonce (a replayed answer).
    #[error("the answer does not echo this question's nonce: it may be an old answer replayed")]
    NonceMismatch,
}

/// Builds and signs the answer for `document_id` (with its registry row, if
/// any) to a question carrying `nonce`, made at `now` (Unix seconds).
pub fn answer(
    document_id: &str,
    row: Option<&DocumentRow>,
    nonce: &str,
    now: i64,
    signer: &Signer,
) -> Result<SignedStatus, OfficeError> {
    let statement = StatusStatement {
        format: STATUS_FORMAT.to_string(),
        document_id: document_id.to_string(),
        status: row.map_or(RegistryStatus::Unknown, |r| r.status.into()),
        reason: row.and_then(|r| r.status_reason.clone()),
        changed_at: row.and_then(|r| r.status_at).map(format_rfc3339),
        issued_at: row.map(|r| format_rfc3339(r.issued_at)),
        answered_at: format_rfc3339(now),
        nonce: nonce.to_string(),
        key_id: signer.key_id().to_string(),
    };
    let value =
        serde_json::to_value(&statement).map_err(|e| OfficeError::Serialize(e.to_string()))?;
    let signature = sign_json(&value, signer)?;
    Ok(SignedStatus {
        statement,
        signature,
    })
}

/// Checks an answer's body against the trust list and the question asked;
/// returns the statement when it can be trusted.
pub fn check_answer(
    body: &[u8],
    trust: &TrustList,
    document_id: &str,
    nonce: &str,
) -> Result<StatusStatement, StatusProblem> {
    let malformed = |e: &dyn std::fmt::Display| StatusProblem::Malformed(e.to_string());
    let whole: Value = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    let statement_value = whole
        .get("statement")
        .ok_or_else(|| malformed(&"no `statement`"))?;
    let signature: SignatureInfo = whole
        .get("signature")
        .cloned()
        .ok_or_else(|| malformed(&"no `signature`"))
        .and_then(|v| serde_json::from_value(v).map_err(|e| malformed(&e)))?;
    let statement: StatusStatement =
        serde_json::from_value(statement_value.clone()).map_err(|e| malformed(&e))?;
    if statement.format != STATUS_FORMAT {
        return Err(malformed(&format!(
            "format `{}` is not `{STATUS_FORMAT}`",
            statement.format
        )));
    }
    if statement.key_id != signature.key_id {
        return Err(malformed(&format!(
            "the statement names key {} but is signed with {}",
            statement.key_id, signature.key_id
        )));
    }
    let key = trust
        .find(&signature.key_id)
        .ok_or_else(|| StatusProblem::UnknownKey(signature.key_id.clone()))?;
    let public = key
        .verifying_key()
        .ok_or_else(|| StatusProblem::UnknownKey(signature.key_id.clone()))?;
    if !json_signature_matches(statement_value, &signature, &public) {
        return Err(StatusProblem::BadSignature);
    }
    let not_valid = |detail: String| StatusProblem::KeyNotValid {
        key_id: key.key_id.clone(),
        answered_at: statement.answered_at.clone(),
        detail,
    };
    let answered = parse_rfc3339(&statement.answered_at)
        .ok_or_else(|| not_valid("the answer's time is not a valid time".into()))?;
    match key.unusable_at(answered) {
        None => {}
        Some(KeyUnusable::NotYet) => {
            return Err(not_valid(format!(
                "the key is valid only from {}",
                key.not_before
            )))
        }
        Some(KeyUnusable::Retired) => return Err(not_valid("the key had been retired".into())),
        Some(KeyUnusable::Revoked { reason, .. }) => {
            return Err(not_valid(format!("the key had been revoked ({reason})")))
        }
    }
    if statement.document_id != document_id {
        return Err(StatusProblem::OtherDocument {
            asked: document_id.to_string(),
            answered: statement.document_id,
        });
    }
    if statement.nonce != nonce {
        return Err(StatusProblem::NonceMismatch);
    }
    Ok(statement)
}

/// A fresh random nonce for one question, 32 hex digits.
pub fn new_nonce() -> Result<String, OfficeError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| OfficeError::Random(e.to_string()))?;
    Ok(hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::TrustedKey;

    fn trust_for(signer: &Signer, revoked_at: Option<&str>) -> TrustList {
        let mut key = TrustedKey::for_signer(signer, "x", "2020-01-01T00:00:00Z");
        key.revoked_at = revoked_at.map(str::to_string);
        key.revocation_reason = revoked_at.map(|_| "lost".to_string());
        let mut list = TrustList::empty();
        list.keys.push(key);
        list
    }

    fn row() -> DocumentRow {
        DocumentRow {
            document_id: "DS-AAAA".into(),
            submission_id: "s".into(),
            doc_type: "birth_certificate".into(),
            issued_at: 1_700_000_000,
            key_id: "k".into(),
            pdf_key: "results/x".into(),
            pdf_sha256: "x".into(),
            status: DocumentStatus::Revoked,
            status_reason: Some("issued by mistake".into()),
            status_at: Some(1_750_000_000),
        }
    }

    const NOW: i64 = 1_760_000_000;

    #[test]
    fn a_signed_answer_checks_and_any_change_is_caught() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let trust = trust_for(&signer, None);
        let signed = answer("DS-AAAA", Some(&row()), "00ff", NOW, &signer).unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        let st = check_answer(&body, &trust, "DS-AAAA", "00ff").unwrap();
        assert_eq!(st.status, RegistryStatus::Revoked);
        assert_eq!(st.reason.as_deref(), Some("issued by mistake"));
        assert_eq!(st.changed_at.as_deref(), Some("2025-06-15T15:06:40Z"));

        assert_eq!(
            check_answer(&body, &trust, "DS-AAAA", "0000"),
            Err(StatusProblem::NonceMismatch)
        );
        assert!(matches!(
            check_answer(&body, &trust, "DS-BBBB", "00ff"),
            Err(StatusProblem::OtherDocument { .. })
        ));
        let forged = String::from_utf8(body.clone())
            .unwrap()
            .replace("\"revoked\"", "\"valid\"");
        assert_eq!(
            check_answer(forged.as_bytes(), &trust, "DS-AAAA", "00ff"),
            Err(StatusProblem::BadSignature)
        );
        let other = Signer::from_secret(&[4u8; 32]);
        assert!(matches!(
            check_answer(&body, &trust_for(&other, None), "DS-AAAA", "00ff"),
            Err(StatusProblem::UnknownKey(_))
        ));
        let revoked = trust_for(&signer, Some("2025-01-01T00:00:00Z"));
        assert!(matches!(
            check_answer(&body, &revoked, "DS-AAAA", "00ff"),
            Err(StatusProblem::KeyNotValid { .. })
        ));
        assert!(matches!(
            check_answer(b"<html>", &trust, "DS-AAAA", "00ff"),
            Err(StatusProblem::Malformed(_))
        ));
    }

    #[test]
    fn an_unknown_document_is_answered_as_unknown() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let signed = answer("DS-NONE", None, "01", NOW, &signer).unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        let st = check_answer(&body, &trust_for(&signer, None), "DS-NONE", "01").unwrap();
        assert_eq!(st.status, RegistryStatus::Unknown);
        assert_eq!((st.reason, st.issued_at), (None, None));
        assert_eq!(new_nonce().unwrap().len(), 32);
    }
}
