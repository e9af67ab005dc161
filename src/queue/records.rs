//! Held records read out and submissions' times, written once as SQL both
//! databases run: export pages by keyset on (issue time, document id), the
//! records that mention a citizen's personal id, and each submission's
//! reception (an archive's `submission_received` before the queue's own)
//! and first resolution for deadlines.
//!
//! A held record is the record of a document whose status is `valid`: a
//! revoked document's record is withdrawn, and a superseded one has a newer
//! reading. An approved record is held like any other; its approver is
//! named.

use super::sql::{Backend, Db, Fields, Stmt};
use super::{HeldRecord, QueueError, Records, SubmissionTimes, Timeline};

/// The columns and joins of a held record; the conditions follow.
const HELD: &str = "SELECT d.document_id, d.submission_id, d.pipeline_version, d.doc_type,
        d.issued_at, j.record_json, r.actor AS approved_by
     FROM documents d
     JOIN jobs j ON j.submission_id = d.submission_id
                AND j.pipeline_version = d.pipeline_version
     LEFT JOIN review_decisions r ON r.submission_id = d.submission_id
                AND r.pipeline_version = d.pipeline_version AND r.decision = 'approve'
     WHERE d.status = 'valid' AND j.record_json IS NOT NULL";

fn held_record(row: &impl Fields) -> Result<HeldRecord, QueueError> {
    Ok(HeldRecord {
        document_id: row.text("document_id")?,
        submission_id: row.text("submission_id")?,
        pipeline_version: row.text("pipeline_version")?,
        doc_type: row.text("doc_type")?,
        issued_at: row.int("issued_at")?,
        approved_by: row.maybe_text("approved_by")?,
        record_json: row.text("record_json")?,
    })
}

impl<B: Backend> Records for B {
    async fn records_page(
        &self,
        doc_type: Option<&str>,
        since: i64,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<HeldRecord>, QueueError> {
        let (at, id) = after.unwrap_or((i64::MIN, ""));
        let page = Stmt::new(format!(
            "{HELD} AND ($1 = '' OR d.doc_type = $2) AND d.issued_at >= $3
               AND (d.issued_at > $4 OR (d.issued_at = $5 AND d.document_id > $6))
             ORDER BY d.issued_at, d.document_id LIMIT $7"
        ))
        .text(doc_type.unwrap_or(""))
        .text(doc_type.unwrap_or(""))
        .int(since)
        .int(at)
        .int(at)
        .text(id)
        .int(i64::from(limit.clamp(1, 10_000)));
        let rows = self.db().fetch_all(page).await?;
        rows.iter().map(held_record).collect()
    }

    async fn records_mentioning(
        &self,
        personal_id: &str,
        limit: u32,
    ) -> Result<Vec<HeldRecord>, QueueError> {
        // A quoted 12-digit id cannot hold `%` or `_`; anything else is
        // matched as the literal string it is.
        let pattern = format!("%\"{personal_id}\"%");
        let find = Stmt::new(format!(
            "{HELD} AND j.record_json LIKE $1
             ORDER BY d.issued_at DESC, d.document_id LIMIT $2"
        ))
        .text(&pattern)
        .int(i64::from(limit.clamp(1, 10_000)));
        let rows = self.db().fetch_all(find).await?;
        rows.iter().map(held_record).collect()
    }
}

impl<B: Backend> Timeline for B {
    async fn submission_times(
        &self,
        since: i64,
        until: i64,
    ) -> Result<Vec<SubmissionTimes>, QueueError> {
        let times = Stmt::new(
            "SELECT t.id, t.received_at, t.procedure_code, t.resolved_at, t.channel FROM (
                 SELECT s.id, COALESCE(r.received_at, s.received_at) AS received_at,
                        m.procedure_code, c.channel,
                        (SELECT MIN(j.finished_at) FROM jobs j
                          WHERE j.submission_id = s.id
                            AND j.state IN ('issued', 'rejected')) AS resolved_at
                 FROM submissions s
                 LEFT JOIN submission_meta m ON m.submission_id = s.id
                 LEFT JOIN submission_received r ON r.submission_id = s.id
                 LEFT JOIN submission_channel c ON c.submission_id = s.id
                 WHERE COALESCE(r.received_at, s.received_at) < $1) t
             WHERE t.resolved_at IS NULL OR t.resolved_at >= $2
             ORDER BY t.received_at, t.id",
        )
        .int(until)
        .int(since);
        let rows = self.db().fetch_all(times).await?;
        rows.iter()
            .map(|row| {
                Ok(SubmissionTimes {
                    submission_id: row.text("id")?,
                    procedure_code: row.maybe_text("procedure_code")?,
                    received_at: row.int("received_at")?,
                    resolved_at: row.maybe_int("resolved_at")?,
                    online: row.maybe_text("channel")?.as_deref() == Some("online"),
                })
            })
            .collect()
    }
}
