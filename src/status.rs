//! The registry's signed answer about a document's status (valid, revoked,
//! superseded, or unknown to it): made by `docseal serve`, checked by
//! `docseal verify --online`.
//!
//! The answer is a statement signed with the office's status key (Ed25519
//! over its RFC 8785 canonical bytes, like the manifest), a key the trust
//! list names for status answers only: a document key never verifies an
//! answer, nor a status key a document, and the server never holds the
//! document-signing key. It names the document, the key that signed it, the
//! result PDF's SHA-256 and its issue time as the registry recorded them, and
//! echoes the verifier's nonce; the verifier refuses an answer made more than
//! a few minutes ago ([`DEFAULT_MAX_AGE`]). So an answer fetched over plain
//! HTTP can be trusted as far as the trust list trusts the status key, an old
//! answer cannot be replayed for a new question, and an answer about another
//! document of the same id does not vouch for this one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{format_rfc3339, parse_rfc3339};
use crate::office::{
    json_signature_matches, sign_json, KeyUnusable, KeyUsage, OfficeError, SignatureInfo, Signer,
    TrustList,
};
use crate::queue::{DocumentRow, DocumentStatus};

/// The statement format this version writes and reads.
pub const STATUS_FORMAT: &str = "docseal-status/2";

/// How old an answer the verifier accepts by default, and how far ahead of
/// its own clock.
pub const DEFAULT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(300);

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
    /// `docseal-status/2`.
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
    /// The key that signed the document, if the registry knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_key_id: Option<String>,
    /// SHA-256 of the result PDF the office issued, if the registry knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
    /// SHA-256 of the signed manifest exactly as attached to the document
    /// (its transparency-log entry), if the registry holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    /// When the registry answered, RFC 3339.
    pub answered_at: String,
    /// The verifier's nonce, echoed.
    pub nonce: String,
    /// The status key that signs the answer.
    pub key_id: String,
}

/// What the verifier asks about, as its document shows it.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The document's id.
    pub document_id: &'a str,
    /// The nonce sent with the question.
    pub nonce: &'a str,
    /// The key the document is signed with.
    pub key_id: &'a str,
    /// The document's issue time, Unix seconds.
    pub issued_at: i64,
    /// SHA-256 of the result PDF, when the verifier has the file (not for a
    /// printed copy's QR seal).
    pub document_sha256: Option<&'a str>,
    /// SHA-256 of the manifest attached to the file, when the verifier has it.
    pub manifest_sha256: Option<&'a str>,
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
    /// The signing key is not a status key of the trust list.
    #[error("the answer is signed with key {0}, which is not a status key in the trust list")]
    UnknownKey(String),
    /// The answer was made too long ago, or ahead of the verifier's clock.
    #[error("the answer was made at {answered_at}, {age}; only answers made within {max_age_secs} s of this computer's clock are accepted")]
    Stale {
        /// When the answer says it was made.
        answered_at: String,
        /// How far from now, in words.
        age: String,
        /// The most accepted, in seconds.
        max_age_secs: u64,
    },
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
    /// The registry's record of the document id is not this document.
    #[error("the registry's record of {document_id} is another document: {detail}")]
    DifferentDocument {
        /// The document id.
        document_id: String,
        /// What differs.
        detail: String,
    },
}

/// Builds and signs, with the status key, the answer for `document_id` (with
/// its registry row, if any) to a question carrying `nonce`, made at `now`
/// (Unix seconds).
pub fn answer(
    document_id: &str,
    row: Option<&DocumentRow>,
    manifest_sha256: Option<String>,
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
        document_key_id: row.map(|r| r.key_id.clone()),
        document_sha256: row.map(|r| r.pdf_sha256.clone()),
        manifest_sha256: row.and(manifest_sha256),
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

/// Checks an answer's body against the trust list and the question asked, at
/// `now` (Unix seconds), accepting answers made at most `max_age` from it;
/// returns the statement when it can be trusted.
pub fn check_answer(
    body: &[u8],
    trust: &TrustList,
    question: &Question,
    now: i64,
    max_age: std::time::Duration,
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
        .find_for(&signature.key_id, KeyUsage::Status)
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
    if let Some(KeyUnusable::Revoked { at, reason }) = key.unusable_at(now) {
        return Err(not_valid(format!(
            "the key has since been revoked, at {at} ({reason}), so its answers prove nothing"
        )));
    }
    let max_age_secs = max_age.as_secs();
    let age = now - answered;
    if age.unsigned_abs() > max_age_secs {
        return Err(StatusProblem::Stale {
            answered_at: statement.answered_at.clone(),
            age: if age > 0 {
                format!("{age} s ago")
            } else {
                format!("{} s ahead of this computer's clock", -age)
            },
            max_age_secs,
        });
    }
    if statement.document_id != question.document_id {
        return Err(StatusProblem::OtherDocument {
            asked: question.document_id.to_string(),
            answered: statement.document_id,
        });
    }
    if statement.nonce != question.nonce {
        return Err(StatusProblem::NonceMismatch);
    }
    if statement.status != RegistryStatus::Unknown {
        let differs = |detail: String| StatusProblem::DifferentDocument {
            document_id: statement.document_id.clone(),
            detail,
        };
        match statement.document_key_id.as_deref() {
            Some(k) if k == question.key_id => {}
            other => {
                return Err(differs(format!(
                    "signed with key {}, this one with {}",
                    other.unwrap_or("(none recorded)"),
                    question.key_id
                )))
            }
        }
        match statement.issued_at.as_deref().and_then(parse_rfc3339) {
            Some(t) if t == question.issued_at => {}
            _ => {
                return Err(differs(format!(
                    "issued at {}, this one at {}",
                    statement.issued_at.as_deref().unwrap_or("(none recorded)"),
                    format_rfc3339(question.issued_at)
                )))
            }
        }
        if let Some(sha) = question.document_sha256 {
            if statement.document_sha256.as_deref() != Some(sha) {
                return Err(differs(format!(
                    "its result PDF has SHA-256 {}, this file {sha}",
                    statement
                        .document_sha256
                        .as_deref()
                        .unwrap_or("(none recorded)")
                )));
            }
        }
        // A registry without the log entry says nothing here; one with it
        // must name this manifest.
        if let (Some(asked), Some(answered)) = (
            question.manifest_sha256,
            statement.manifest_sha256.as_deref(),
        ) {
            if asked != answered {
                return Err(differs(format!(
                    "its signed manifest has SHA-256 {answered}, this one {asked}"
                )));
            }
        }
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

    const NOW: i64 = 1_760_000_000;
    const AGE: std::time::Duration = DEFAULT_MAX_AGE;

    fn status_key() -> Signer {
        Signer::from_secret(&[3u8; 32])
    }

    fn document_key() -> Signer {
        Signer::from_secret(&[5u8; 32])
    }

    /// A list with the document key and `status` as the status key.
    fn trust_for(status: &Signer, revoked_at: Option<&str>) -> TrustList {
        let mut key = TrustedKey::with_usage(status, "x", "2020-01-01T00:00:00Z", KeyUsage::Status);
        key.revoked_at = revoked_at.map(str::to_string);
        key.revocation_reason = revoked_at.map(|_| "lost".to_string());
        let mut list = TrustList::empty();
        list.keys.push(TrustedKey::for_signer(
            &document_key(),
            "x",
            "2020-01-01T00:00:00Z",
        ));
        list.keys.push(key);
        list
    }

    fn row() -> DocumentRow {
        DocumentRow {
            document_id: "DS-AAAA".into(),
            submission_id: "s".into(),
            doc_type: "birth_certificate".into(),
            issued_at: 1_700_000_000,
            key_id: document_key().key_id().to_string(),
            pdf_key: "results/x".into(),
            pdf_sha256: "ab".repeat(32),
            status: DocumentStatus::Revoked,
            status_reason: Some("issued by mistake".into()),
            status_at: Some(1_750_000_000),
        }
    }

    static DOCUMENT_KEY_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();

    fn question<'a>(document_id: &'a str, nonce: &'a str, sha: &'a str) -> Question<'a> {
        Question {
            document_id,
            nonce,
            key_id: DOCUMENT_KEY_ID.get_or_init(|| document_key().key_id().to_string()),
            issued_at: 1_700_000_000,
            document_sha256: Some(sha),
            manifest_sha256: None,
        }
    }

    #[test]
    fn a_signed_answer_checks_and_any_change_is_caught() {
        let signer = status_key();
        let trust = trust_for(&signer, None);
        let sha = "ab".repeat(32);
        let q = question("DS-AAAA", "00ff", &sha);
        let signed = answer("DS-AAAA", Some(&row()), None, "00ff", NOW, &signer).unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        let st = check_answer(&body, &trust, &q, NOW, AGE).unwrap();
        assert_eq!(st.status, RegistryStatus::Revoked);
        assert_eq!(st.reason.as_deref(), Some("issued by mistake"));
        assert_eq!(st.changed_at.as_deref(), Some("2025-06-15T15:06:40Z"));
        assert_eq!(st.document_sha256, Some(sha.clone()));

        let other_nonce = question("DS-AAAA", "0000", &sha);
        assert_eq!(
            check_answer(&body, &trust, &other_nonce, NOW, AGE),
            Err(StatusProblem::NonceMismatch)
        );
        assert!(matches!(
            check_answer(&body, &trust, &question("DS-BBBB", "00ff", &sha), NOW, AGE),
            Err(StatusProblem::OtherDocument { .. })
        ));
        let forged = String::from_utf8(body.clone())
            .unwrap()
            .replace("\"revoked\"", "\"valid\"");
        assert_eq!(
            check_answer(forged.as_bytes(), &trust, &q, NOW, AGE),
            Err(StatusProblem::BadSignature)
        );
        let other = Signer::from_secret(&[4u8; 32]);
        assert!(matches!(
            check_answer(&body, &trust_for(&other, None), &q, NOW, AGE),
            Err(StatusProblem::UnknownKey(_))
        ));
        let revoked = trust_for(&signer, Some("2025-01-01T00:00:00Z"));
        assert!(matches!(
            check_answer(&body, &revoked, &q, NOW, AGE),
            Err(StatusProblem::KeyNotValid { .. })
        ));
        assert!(matches!(
            check_answer(b"<html>", &trust, &q, NOW, AGE),
            Err(StatusProblem::Malformed(_))
        ));

        // With the manifest's hash: the same manifest checks, another one is
        // another document, and a verifier without the manifest (a printed
        // QR seal) is not refused for it.
        let manifest = "cd".repeat(32);
        let signed = answer(
            "DS-AAAA",
            Some(&row()),
            Some(manifest.clone()),
            "00ff",
            NOW,
            &signer,
        )
        .unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        let same = Question {
            manifest_sha256: Some(&manifest),
            ..q
        };
        let st = check_answer(&body, &trust, &same, NOW, AGE).unwrap();
        assert_eq!(st.manifest_sha256.as_deref(), Some(manifest.as_str()));
        let elsewhere = "ef".repeat(32);
        let other_manifest = Question {
            manifest_sha256: Some(&elsewhere),
            ..q
        };
        assert!(matches!(
            check_answer(&body, &trust, &other_manifest, NOW, AGE),
            Err(StatusProblem::DifferentDocument { .. })
        ));
        assert!(check_answer(&body, &trust, &q, NOW, AGE).is_ok());
    }

    /// The registry answering with an old time and an echoed nonce, or with
    /// a key revoked since, or about another document of the same id, does
    /// not make a revoked document valid.
    #[test]
    fn old_answers_answers_by_a_since_revoked_key_and_other_documents_are_refused() {
        let signer = status_key();
        let trust = trust_for(&signer, None);
        let sha = "ab".repeat(32);
        let q = question("DS-AAAA", "00ff", &sha);
        let mut valid = row();
        valid.status = DocumentStatus::Valid;
        let old = answer("DS-AAAA", Some(&valid), None, "00ff", NOW - 3600, &signer).unwrap();
        let body = serde_json::to_vec(&old).unwrap();
        let e = check_answer(&body, &trust, &q, NOW, AGE).unwrap_err();
        assert!(matches!(e, StatusProblem::Stale { .. }), "{e}");
        assert!(e.to_string().contains("3600 s ago"), "{e}");
        assert!(check_answer(&body, &trust, &q, NOW - 3500, AGE).is_ok());
        let ahead = answer("DS-AAAA", Some(&valid), None, "00ff", NOW + 3600, &signer).unwrap();
        let body = serde_json::to_vec(&ahead).unwrap();
        assert!(matches!(
            check_answer(&body, &trust, &q, NOW, AGE),
            Err(StatusProblem::Stale { .. })
        ));

        let fresh = answer("DS-AAAA", Some(&valid), None, "00ff", NOW, &signer).unwrap();
        let body = serde_json::to_vec(&fresh).unwrap();
        let later = trust_for(&signer, Some("2025-12-01T00:00:00Z"));
        assert!(check_answer(&body, &later, &q, NOW, AGE).is_ok());
        assert!(matches!(
            check_answer(&body, &later, &q, 1_770_000_000, std::time::Duration::MAX),
            Err(StatusProblem::KeyNotValid { .. })
        ));

        let other_file = "cd".repeat(32);
        for q in [
            question("DS-AAAA", "00ff", &other_file),
            Question {
                issued_at: 1_700_000_001,
                ..q
            },
            Question {
                key_id: "ed25519:0000000000000000",
                ..q
            },
        ] {
            assert!(matches!(
                check_answer(&body, &trust, &q, NOW, AGE),
                Err(StatusProblem::DifferentDocument { .. })
            ));
        }
        // A printed copy has no file hash: the key and time still bind it.
        let printed = Question {
            document_sha256: None,
            manifest_sha256: None,
            ..q
        };
        assert!(check_answer(&body, &trust, &printed, NOW, AGE).is_ok());
    }

    /// A document key never verifies a status answer.
    #[test]
    fn an_answer_signed_with_a_document_key_is_refused() {
        let trust = trust_for(&status_key(), None);
        let sha = "ab".repeat(32);
        let signed = answer("DS-AAAA", Some(&row()), None, "00ff", NOW, &document_key()).unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        assert!(matches!(
            check_answer(&body, &trust, &question("DS-AAAA", "00ff", &sha), NOW, AGE),
            Err(StatusProblem::UnknownKey(_))
        ));
        // And a status key is no document key.
        assert!(trust.find(status_key().key_id()).is_none());
    }

    #[test]
    fn an_unknown_document_is_answered_as_unknown() {
        let signer = status_key();
        let signed = answer("DS-NONE", None, None, "01", NOW, &signer).unwrap();
        let body = serde_json::to_vec(&signed).unwrap();
        let q = question("DS-NONE", "01", "x");
        let st = check_answer(&body, &trust_for(&signer, None), &q, NOW, AGE).unwrap();
        assert_eq!(st.status, RegistryStatus::Unknown);
        assert_eq!((st.reason, st.issued_at), (None, None));
        assert_eq!(new_nonce().unwrap().len(), 32);
    }
}
