//! What the log records. A document's entry is the canonical bytes of its
//! signed manifest exactly as attached to the result PDF; a revocation's entry
//! is a small RFC 8785 JSON statement. The entry kinds and the size limit are
//! the queue's, which sequences the entries.

pub use crate::queue::{EntryKind, LoggedEntry, MAX_LOG_ENTRY_BYTES as MAX_ENTRY_BYTES};

/// The format name of revocation statements.
pub const REVOCATION_FORMAT: &str = "docseal-revocation/1";

/// The entry for a revocation: RFC 8785 JSON of
/// `{format, kind, subject, reason, revoked_at}`.
pub fn revocation_statement(
    kind: EntryKind,
    subject: &str,
    reason: &str,
    revoked_at: &str,
) -> Result<Vec<u8>, super::LogError> {
    let value = serde_json::json!({
        "format": REVOCATION_FORMAT,
        "kind": kind.as_str(),
        "subject": subject,
        "reason": reason,
        "revoked_at": revoked_at,
    });
    crate::office::canonical_json(&value).map_err(|e| super::LogError::Format(e.to_string()))
}

/// Appends the revocation of `subject` (a document or a key), revoked at
/// `at` (RFC 3339) for `reason`, to the log; appending it again changes
/// nothing.
pub async fn log_revocation<L: crate::queue::LogEntries>(
    queue: &L,
    kind: EntryKind,
    subject: &str,
    reason: &str,
    at: &str,
) -> Result<(), super::LogError> {
    let entry = revocation_statement(kind, subject, reason, at)?;
    queue.append(kind, subject, &entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_statements_are_canonical() {
        for k in [
            EntryKind::Document,
            EntryKind::DocumentRevocation,
            EntryKind::KeyRevocation,
        ] {
            assert_eq!(EntryKind::parse(k.as_str()).unwrap(), k);
        }
        let s = revocation_statement(
            EntryKind::KeyRevocation,
            "k1",
            "lost",
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            r#"{"format":"docseal-revocation/1","kind":"key_revocation","reason":"lost","revoked_at":"2026-01-01T00:00:00Z","subject":"k1"}"#
        );
    }
}
