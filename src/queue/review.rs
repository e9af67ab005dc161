//! Review, written once as SQL both databases run: the facts a clerk gives
//! with a submission (`submission_meta`), the queue of jobs waiting for a
//! person, and people's decisions (`review_decisions`, one per job) with
//! their lines in the audit log (`audit_log`).
//!
//! An approval is two steps: [`Reviews::record_approval`] records the
//! decision (the values, who, when) before anything is built from it, and
//! [`Reviews::complete_approval`] moves the job to `issued` with its
//! document row and audit line in one transaction once the document is
//! stored and logged. Whatever fails between the two leaves the job
//! `needs_review` with its decision recorded, and completing it again builds
//! the same document from the same decision.

use serde_json::{json, Value};

use super::sql::{insert_document, Backend, Db, Fields, Stmt};
use super::{
    Decided, Decision, DecisionKind, DocumentRow, JobState, QueueError, ReviewItem, Reviews,
    SubmissionMeta,
};

const DECISION_COLUMNS: &str =
    "submission_id, pipeline_version, decision, actor, decided_at, detail_json, completed_at";

fn decision_row(row: &impl Fields) -> Result<Decision, QueueError> {
    let detail = row.text("detail_json")?;
    Ok(Decision {
        submission_id: row.text("submission_id")?,
        pipeline_version: row.text("pipeline_version")?,
        kind: DecisionKind::parse(&row.text("decision")?)?,
        actor: row.text("actor")?,
        decided_at: row.int("decided_at")?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| QueueError::Corrupt(format!("review decision detail: {e}")))?,
        completed_at: row.maybe_int("completed_at")?,
    })
}

/// The decision recorded on a job.
fn select_decision<'a>(submission_id: &'a str, version: &'a str) -> Stmt<'a> {
    Stmt::new(format!(
        "SELECT {DECISION_COLUMNS} FROM review_decisions
         WHERE submission_id = $1 AND pipeline_version = $2"
    ))
    .text(submission_id)
    .text(version)
}

fn meta_row(row: &impl Fields) -> Result<SubmissionMeta, QueueError> {
    Ok(SubmissionMeta {
        dossier_code: row.maybe_text("dossier_code")?,
        procedure_code: row.maybe_text("procedure_code")?,
        operator: row.maybe_text("operator")?,
    })
}

/// The audit line of a decision, appended in the decision's transaction.
async fn audit<B: Backend>(
    db: &B::Db,
    tx: &mut <B::Db as Db>::Tx,
    actor: &str,
    action: &str,
    subject: &str,
    before: &Value,
    after: &Value,
) -> Result<(), QueueError> {
    let (before, after) = (before.to_string(), after.to_string());
    let line = Stmt::new(format!(
        "INSERT INTO audit_log (at, actor, action, subject, before_json, after_json)
         VALUES ({}, $1, $2, $3, $4, $5)",
        B::NOW_MS
    ))
    .text(actor)
    .text(action)
    .text(subject)
    .text(&before)
    .text(&after);
    db.execute(Some(tx), line).await
}

/// A decision to record.
struct NewDecision<'a> {
    submission_id: &'a str,
    version: &'a str,
    kind: DecisionKind,
    actor: &'a str,
    detail: Value,
}

/// Records a decision on a job in review, unless one stands, and reads back
/// what stands. A rejection is complete at once: in the same transaction
/// the job becomes `rejected` and the audit line is written; an approval is
/// completed later ([`Reviews::complete_approval`]).
async fn decide<B: Backend>(backend: &B, d: NewDecision<'_>) -> Result<Decided, QueueError> {
    let db = backend.db();
    let (id, version) = (d.submission_id, d.version);
    let reject = d.kind == DecisionKind::Reject;
    let detail = d.detail.to_string();
    let completed = if reject { B::NOW_MS } else { "NULL" };
    let mut tx = db.begin().await?;
    // The first statement writes (SQLite takes the write lock up front).
    let insert = Stmt::new(format!(
        "INSERT INTO review_decisions ({DECISION_COLUMNS})
         SELECT submission_id, pipeline_version, $1, $2, {}, $3, {completed} FROM jobs
         WHERE submission_id = $4 AND pipeline_version = $5 AND state = 'needs_review'
         ON CONFLICT (submission_id, pipeline_version) DO NOTHING
         RETURNING decided_at",
        B::NOW_MS
    ))
    .text(d.kind.as_str())
    .text(d.actor)
    .text(&detail)
    .text(id)
    .text(version);
    let inserted = db.fetch_optional(Some(&mut tx), insert).await?.is_some();
    if inserted && reject {
        let rejected = Stmt::new(format!(
            "UPDATE jobs SET state = 'rejected', finished_at = {}
             WHERE submission_id = $1 AND pipeline_version = $2",
            B::NOW_MS
        ))
        .text(id)
        .text(version);
        db.execute(Some(&mut tx), rejected).await?;
        let before = json!({"state": JobState::NeedsReview.as_str()});
        let mut after = json!({"state": JobState::Rejected.as_str()});
        after["reason"] = d.detail["reason"].clone();
        let action = "submission.reject";
        audit::<B>(db, &mut tx, d.actor, action, id, &before, &after).await?;
    }
    let decided = match db
        .fetch_optional(Some(&mut tx), select_decision(id, version))
        .await?
    {
        Some(row) if inserted => Decided::Recorded(decision_row(&row)?),
        Some(row) => Decided::Standing(decision_row(&row)?),
        None => {
            let state = Stmt::new(
                "SELECT state FROM jobs WHERE submission_id = $1 AND pipeline_version = $2",
            )
            .text(id)
            .text(version);
            match db.fetch_optional(Some(&mut tx), state).await? {
                Some(row) => Decided::NotInReview(Some(JobState::parse(&row.text("state")?)?)),
                None => Decided::NotInReview(None),
            }
        }
    };
    B::Db::commit(tx).await?;
    Ok(decided)
}

impl<B: Backend> Reviews for B {
    async fn set_meta(&self, submission_id: &str, meta: &SubmissionMeta) -> Result<(), QueueError> {
        let upsert = Stmt::new(
            "INSERT INTO submission_meta (submission_id, dossier_code, procedure_code, operator)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (submission_id) DO UPDATE SET dossier_code = excluded.dossier_code,
                 procedure_code = excluded.procedure_code, operator = excluded.operator",
        )
        .text(submission_id)
        .maybe_text(meta.dossier_code.as_deref())
        .maybe_text(meta.procedure_code.as_deref())
        .maybe_text(meta.operator.as_deref());
        self.db().execute(None, upsert).await
    }

    async fn meta(&self, submission_id: &str) -> Result<SubmissionMeta, QueueError> {
        let meta = Stmt::new(
            "SELECT dossier_code, procedure_code, operator FROM submission_meta
             WHERE submission_id = $1",
        )
        .text(submission_id);
        match self.db().fetch_optional(None, meta).await? {
            Some(row) => meta_row(&row),
            None => Ok(SubmissionMeta::default()),
        }
    }

    async fn review_queue(
        &self,
        version: &str,
        doc_type: Option<&str>,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<ReviewItem>, QueueError> {
        // The type is inside the record's JSON: pages of the queue are read
        // and filtered until `limit` items are found or the queue ends.
        let (mut at, mut id) = after.map_or((i64::MIN, String::new()), |(t, s)| (t, s.into()));
        let page = i64::from(limit.clamp(1, 500));
        let mut items = Vec::new();
        while items.len() < limit as usize {
            let next = Stmt::new(
                "SELECT j.submission_id, s.name, j.record_json, j.finished_at,
                        m.dossier_code, m.procedure_code, m.operator
                 FROM jobs j JOIN submissions s ON s.id = j.submission_id
                 LEFT JOIN submission_meta m ON m.submission_id = j.submission_id
                 WHERE j.pipeline_version = $1 AND j.state = 'needs_review'
                   AND (j.finished_at > $2 OR (j.finished_at = $3 AND j.submission_id > $4))
                 ORDER BY j.finished_at, j.submission_id LIMIT $5",
            )
            .text(version)
            .int(at)
            .int(at)
            .text(&id)
            .int(page);
            let rows = self.db().fetch_all(next).await?;
            let ended = (rows.len() as i64) < page;
            for row in &rows {
                let record: Value =
                    serde_json::from_str(&row.maybe_text("record_json")?.unwrap_or_default())
                        .unwrap_or(Value::Null);
                let item = ReviewItem {
                    submission_id: row.text("submission_id")?,
                    name: row.text("name")?,
                    doc_type: record["doc_type"].as_str().unwrap_or("unknown").to_string(),
                    needs_review: record["needs_review"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    finished_at: row.maybe_int("finished_at")?.unwrap_or(0),
                    meta: meta_row(row)?,
                };
                (at, id) = (item.finished_at, item.submission_id.clone());
                if doc_type.is_none_or(|t| t == item.doc_type) && items.len() < limit as usize {
                    items.push(item);
                }
            }
            if ended {
                break;
            }
        }
        Ok(items)
    }

    async fn decision(
        &self,
        submission_id: &str,
        version: &str,
    ) -> Result<Option<Decision>, QueueError> {
        let decision = select_decision(submission_id, version);
        let row = self.db().fetch_optional(None, decision).await?;
        row.as_ref().map(decision_row).transpose()
    }

    async fn record_approval(
        &self,
        submission_id: &str,
        version: &str,
        actor: &str,
        detail: &Value,
    ) -> Result<Decided, QueueError> {
        let kind = DecisionKind::Approve;
        let detail = detail.clone();
        decide(
            self,
            NewDecision {
                submission_id,
                version,
                kind,
                actor,
                detail,
            },
        )
        .await
    }

    async fn complete_approval(
        &self,
        decision: &Decision,
        document: &DocumentRow,
        record_json: &str,
        record_key: &str,
    ) -> Result<bool, QueueError> {
        let db = self.db();
        let (id, version) = (&decision.submission_id, &decision.pipeline_version);
        let mut tx = db.begin().await?;
        // The first statement writes (SQLite takes the write lock up front).
        let issue = Stmt::new(format!(
            "UPDATE jobs SET state = 'issued', finished_at = {}, error = NULL,
                 record_json = $1, record_key = $2, document_id = $3
             WHERE submission_id = $4 AND pipeline_version = $5 AND state = 'needs_review'
             RETURNING state",
            B::NOW_MS
        ))
        .text(record_json)
        .text(record_key)
        .text(&document.document_id)
        .text(id)
        .text(version);
        if db.fetch_optional(Some(&mut tx), issue).await?.is_none() {
            // Completed before (a retry after the commit), or moved on.
            let job = Stmt::new(
                "SELECT state, document_id FROM jobs
                 WHERE submission_id = $1 AND pipeline_version = $2",
            )
            .text(id)
            .text(version);
            let done = match db.fetch_optional(Some(&mut tx), job).await? {
                Some(row) => {
                    row.text("state")? == JobState::Issued.as_str()
                        && row.maybe_text("document_id")?.as_deref()
                            == Some(document.document_id.as_str())
                }
                None => false,
            };
            return Ok(done);
        }
        let stored = insert_document::<B>(db, &mut tx, id, version, document).await?;
        if stored != document.document_id {
            return Err(QueueError::Corrupt(format!(
                "submission {id} already has document {stored}, not {}",
                document.document_id
            )));
        }
        let completed = Stmt::new(format!(
            "UPDATE review_decisions SET completed_at = {}
             WHERE submission_id = $1 AND pipeline_version = $2",
            B::NOW_MS
        ))
        .text(id)
        .text(version);
        db.execute(Some(&mut tx), completed).await?;
        let before = json!({"state": JobState::NeedsReview.as_str()});
        let after = json!({
            "state": JobState::Issued.as_str(),
            "document_id": document.document_id,
            "corrected": decision.detail["corrected"],
            "confirmed": decision.detail["confirmed"],
        });
        let action = "submission.approve";
        audit::<B>(db, &mut tx, &decision.actor, action, id, &before, &after).await?;
        B::Db::commit(tx).await?;
        Ok(true)
    }

    async fn reject(
        &self,
        submission_id: &str,
        version: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Decided, QueueError> {
        let kind = DecisionKind::Reject;
        let detail = json!({ "reason": reason });
        decide(
            self,
            NewDecision {
                submission_id,
                version,
                kind,
                actor,
                detail,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        Completion, Decided, DecisionKind, DocumentRow, DocumentStatus, JobState, Jobs,
        NewSubmission, Registry, Reviews, SqliteQueue, Stats, SubmissionMeta, Submitted,
    };
    use serde_json::json;
    use std::time::Duration;

    async fn in_review(q: &SqliteQueue, id: &str, doc_type: &str) {
        let sub = NewSubmission {
            id: id.into(),
            name: format!("{id}.png"),
            size: 3,
            media_type: "image/png".into(),
            scan_key: format!("scans/{id}"),
        };
        q.submit(&sub, "v1", false).await.unwrap();
        let lease = q
            .lease("w", Duration::from_secs(60), 3)
            .await
            .unwrap()
            .unwrap();
        let record = json!({"doc_type": doc_type, "needs_review": ["full_name"]});
        let done = Completion {
            state: JobState::NeedsReview,
            record_json: record.to_string(),
            record_key: "records/r".into(),
            text_key: "text/t".into(),
            document: None,
        };
        q.complete(&lease, &done).await.unwrap();
        // Distinct finishing times keep the order plain.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }

    fn document(id: &str) -> DocumentRow {
        DocumentRow {
            document_id: "DS-1".into(),
            submission_id: id.into(),
            doc_type: "birth_certificate".into(),
            issued_at: 1,
            key_id: "k".into(),
            pdf_key: "results/x".into(),
            pdf_sha256: "x".into(),
            status: DocumentStatus::Valid,
            status_reason: None,
            status_at: None,
        }
    }

    #[tokio::test]
    async fn the_queue_pages_by_cursor_and_filters_by_type() {
        let dir = tempfile::tempdir().unwrap();
        let q = SqliteQueue::open(&dir.path().join("db.sqlite"))
            .await
            .unwrap();
        for (id, t) in [
            ("a", "birth_certificate"),
            ("b", "death_extract"),
            ("c", "birth_certificate"),
        ] {
            in_review(&q, id, t).await;
        }
        let meta = SubmissionMeta {
            dossier_code: Some("HS-1".into()),
            ..SubmissionMeta::default()
        };
        q.set_meta("b", &meta).await.unwrap();
        assert_eq!(q.meta("b").await.unwrap(), meta);
        assert_eq!(q.meta("a").await.unwrap(), SubmissionMeta::default());
        let all = q.review_queue("v1", None, None, 10).await.unwrap();
        let ids: Vec<&str> = all.iter().map(|i| i.submission_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(all[1].meta, meta);
        assert_eq!(all[0].needs_review, ["full_name"]);
        let first = q.review_queue("v1", None, None, 1).await.unwrap();
        let cursor = (first[0].finished_at, first[0].submission_id.as_str());
        let rest = q.review_queue("v1", None, Some(cursor), 10).await.unwrap();
        let ids: Vec<&str> = rest.iter().map(|i| i.submission_id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        let births = q
            .review_queue("v1", Some("birth_certificate"), Some(cursor), 1)
            .await
            .unwrap();
        assert_eq!(births[0].submission_id, "c");
    }

    #[tokio::test]
    async fn a_decision_is_recorded_once_and_blocks_a_forced_resubmission() {
        let dir = tempfile::tempdir().unwrap();
        let q = SqliteQueue::open(&dir.path().join("db.sqlite"))
            .await
            .unwrap();
        in_review(&q, "a", "birth_certificate").await;
        in_review(&q, "b", "birth_certificate").await;
        let detail = json!({"corrected": ["full_name"], "confirmed": []});
        let Decided::Recorded(d) = q.record_approval("a", "v1", "lan", &detail).await.unwrap()
        else {
            panic!("not recorded");
        };
        assert_eq!(d.kind, DecisionKind::Approve);
        let again = q.record_approval("a", "v1", "minh", &detail).await.unwrap();
        assert_eq!(again, Decided::Standing(d.clone()));
        // A pending approval keeps the job out of a forced run.
        let sub = NewSubmission {
            id: "a".into(),
            name: "a.png".into(),
            size: 3,
            media_type: "image/png".into(),
            scan_key: "scans/a".into(),
        };
        assert_eq!(
            q.submit(&sub, "v1", true).await.unwrap(),
            Submitted::AlreadyKnown(JobState::NeedsReview)
        );
        assert!(matches!(
            q.reject("a", "v1", "minh", "blurred").await.unwrap(),
            Decided::Standing(_)
        ));
        assert!(q
            .complete_approval(&d, &document("a"), "{}", "records/r")
            .await
            .unwrap());
        // Completing again is harmless.
        assert!(q
            .complete_approval(&d, &document("a"), "{}", "records/r")
            .await
            .unwrap());
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Issued);
        assert_eq!(job.document_id.as_deref(), Some("DS-1"));
        assert!(q
            .decision("a", "v1")
            .await
            .unwrap()
            .unwrap()
            .completed_at
            .is_some());

        assert!(matches!(
            q.reject("b", "v1", "minh", "blurred").await.unwrap(),
            Decided::Recorded(_)
        ));
        assert_eq!(
            q.job("b", "v1").await.unwrap().unwrap().state,
            JobState::Rejected
        );
        assert_eq!(
            q.reject("zz", "v1", "minh", "x").await.unwrap(),
            Decided::NotInReview(None)
        );
        assert_eq!(
            q.record_approval("b", "v1", "minh", &detail).await.unwrap(),
            Decided::Standing(q.decision("b", "v1").await.unwrap().unwrap())
        );
        let s = q.status().await.unwrap();
        assert_eq!((s.issued, s.rejected), (1, 1));
        let lines = sqlx::query_as::<_, (i64, String, String)>(
            "SELECT seq, action, subject FROM audit_log ORDER BY seq",
        )
        .fetch_all(q.pool())
        .await
        .unwrap();
        let actions: Vec<&str> = lines.iter().map(|l| l.1.as_str()).collect();
        assert_eq!(actions, ["submission.approve", "submission.reject"]);
        assert!(lines[0].0 < lines[1].0);
    }
}
