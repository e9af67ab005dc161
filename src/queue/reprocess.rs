//! Reprocessing runs, written once as SQL both databases run: what a stored
//! submission holds (every job, its document's status, a person's
//! decision), runs (`reprocess_runs`) with their items
//! (`reprocess_items`), and an item finished exactly once.
//!
//! An item is finished in one transaction whose first statement marks it
//! done only if it was pending; the new job (final at once: `issued` or
//! `needs_review`), its document row with the supersession of older
//! documents (`insert_document`, as for a worker's completion) and the audit
//! line go in the same transaction. A run killed at any instant therefore
//! leaves each item either untouched or finished, never half.

use serde_json::json;

use super::sql::{fetch_one, insert_document, Backend, Db, Fields, Stmt};
use super::{
    DecisionKind, DocumentStatus, ItemDone, ItemRow, JobFacts, JobState, QueueError, Reprocessing,
    RunRow, SubmissionFacts,
};

/// A submission's columns with one job per row (none when it has no job).
const FACTS: &str = "SELECT s.id, s.received_at, s.scan_key, j.pipeline_version, j.state,
        j.record_json, j.document_id, j.finished_at, d.status AS document_status,
        r.decision, r.completed_at
     FROM submissions s
     LEFT JOIN jobs j ON j.submission_id = s.id
     LEFT JOIN documents d ON d.document_id = j.document_id
     LEFT JOIN review_decisions r ON r.submission_id = j.submission_id
                AND r.pipeline_version = j.pipeline_version";

/// Rows of [`FACTS`], ordered by submission, grouped into submissions.
fn group(rows: &[impl Fields]) -> Result<Vec<SubmissionFacts>, QueueError> {
    let mut out: Vec<SubmissionFacts> = Vec::new();
    for row in rows {
        let id = row.text("id")?;
        if out.last().is_none_or(|s| s.submission_id != id) {
            out.push(SubmissionFacts {
                submission_id: id,
                received_at: row.int("received_at")?,
                scan_key: row.text("scan_key")?,
                jobs: Vec::new(),
            });
        }
        let Some(version) = row.maybe_text("pipeline_version")? else {
            continue;
        };
        let job = JobFacts {
            pipeline_version: version,
            state: JobState::parse(&row.text("state")?)?,
            record_json: row.maybe_text("record_json")?,
            document_id: row.maybe_text("document_id")?,
            document_status: row
                .maybe_text("document_status")?
                .map(|s| DocumentStatus::parse(&s))
                .transpose()?,
            decision: row
                .maybe_text("decision")?
                .map(|s| DecisionKind::parse(&s))
                .transpose()?,
            decision_completed: row.maybe_int("completed_at")?.is_some(),
            finished_at: row.maybe_int("finished_at")?,
        };
        if let Some(last) = out.last_mut() {
            last.jobs.push(job);
        }
    }
    Ok(out)
}

fn run_row(row: &impl Fields) -> Result<RunRow, QueueError> {
    Ok(RunRow {
        run_id: row.text("run_id")?,
        target_version: row.text("target_version")?,
        selection_json: row.text("selection_json")?,
        created_at: row.int("created_at")?,
        finished_at: row.maybe_int("finished_at")?,
    })
}

impl<B: Backend> Reprocessing for B {
    async fn submission_facts_page(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<SubmissionFacts>, QueueError> {
        let page = Stmt::new(format!(
            "{FACTS} WHERE s.id IN (SELECT id FROM submissions WHERE id > $1 ORDER BY id LIMIT $2)
             ORDER BY s.id, j.pipeline_version"
        ))
        .text(after)
        .int(i64::from(limit.clamp(1, 10_000)));
        group(&self.db().fetch_all(page).await?)
    }

    async fn submission_facts(
        &self,
        submission_id: &str,
    ) -> Result<Option<SubmissionFacts>, QueueError> {
        let one = Stmt::new(format!(
            "{FACTS} WHERE s.id = $1 ORDER BY s.id, j.pipeline_version"
        ))
        .text(submission_id);
        Ok(group(&self.db().fetch_all(one).await?)?.pop())
    }

    async fn reprocess_run(&self, run_id: &str) -> Result<Option<RunRow>, QueueError> {
        let run = Stmt::new("SELECT * FROM reprocess_runs WHERE run_id = $1").text(run_id);
        let row = self.db().fetch_optional(None, run).await?;
        row.as_ref().map(run_row).transpose()
    }

    async fn start_run(
        &self,
        run_id: &str,
        target_version: &str,
        selection_json: &str,
        items: &[String],
    ) -> Result<RunRow, QueueError> {
        let db = self.db();
        let mut tx = db.begin().await?;
        // The first statement writes (SQLite takes the write lock up front).
        let insert = Stmt::new(format!(
            "INSERT INTO reprocess_runs (run_id, target_version, selection_json, created_at)
             VALUES ($1, $2, $3, {}) ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
            B::NOW_MS
        ))
        .text(run_id)
        .text(target_version)
        .text(selection_json);
        if db.fetch_optional(Some(&mut tx), insert).await?.is_some() {
            for id in items {
                let item = Stmt::new(
                    "INSERT INTO reprocess_items (run_id, submission_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                )
                .text(run_id)
                .text(id);
                db.execute(Some(&mut tx), item).await?;
            }
        }
        let run = Stmt::new("SELECT * FROM reprocess_runs WHERE run_id = $1").text(run_id);
        let row = fetch_one(db, Some(&mut tx), run).await?;
        let run = run_row(&row)?;
        B::Db::commit(tx).await?;
        Ok(run)
    }

    async fn run_items(&self, run_id: &str) -> Result<Vec<ItemRow>, QueueError> {
        let items = Stmt::new(
            "SELECT submission_id, outcome, detail_json FROM reprocess_items
             WHERE run_id = $1 ORDER BY submission_id",
        )
        .text(run_id);
        let rows = self.db().fetch_all(items).await?;
        rows.iter()
            .map(|row| {
                Ok(ItemRow {
                    submission_id: row.text("submission_id")?,
                    outcome: row.maybe_text("outcome")?,
                    detail_json: row.maybe_text("detail_json")?,
                })
            })
            .collect()
    }

    async fn finish_item(&self, done: &ItemDone<'_>) -> Result<bool, QueueError> {
        let db = self.db();
        let mut tx = db.begin().await?;
        // The first statement writes, and claims the item: a second
        // finishing of it changes nothing.
        let claim = Stmt::new(format!(
            "UPDATE reprocess_items SET outcome = $1, detail_json = $2, done_at = {}
             WHERE run_id = $3 AND submission_id = $4 AND outcome IS NULL
             RETURNING submission_id",
            B::NOW_MS
        ))
        .text(done.outcome)
        .text(done.detail_json)
        .text(done.run_id)
        .text(done.submission_id);
        if db.fetch_optional(Some(&mut tx), claim).await?.is_none() {
            B::Db::commit(tx).await?;
            return Ok(false);
        }
        if let Some(c) = done.completion {
            let job = Stmt::new(format!(
                "INSERT INTO jobs (submission_id, pipeline_version, state, attempts,
                     available_at, enqueued_at, first_started_at, started_at, finished_at,
                     record_json, record_key, text_key)
                 VALUES ($1, $2, $3, 1, {now}, {now}, $4, {now}, {now}, $5, $6, $7)
                 ON CONFLICT (submission_id, pipeline_version) DO NOTHING
                 RETURNING state",
                now = B::NOW_MS
            ))
            .text(done.submission_id)
            .text(done.version)
            .text(c.state.as_str())
            .int(done.started_at)
            .text(&c.record_json)
            .text(&c.record_key)
            .text(&c.text_key);
            if db.fetch_optional(Some(&mut tx), job).await?.is_none() {
                // Another process ran this submission under the version
                // meanwhile: its job stands, and this item did nothing.
                return Err(QueueError::Conflict(format!(
                    "{} already has a job of {}",
                    done.submission_id, done.version
                )));
            }
            let mut after = json!({
                "state": c.state.as_str(),
                "pipeline_version": done.version,
                "run_id": done.run_id,
            });
            if let Some(d) = &c.document {
                let id =
                    insert_document::<B>(db, &mut tx, done.submission_id, done.version, d).await?;
                let point = Stmt::new(
                    "UPDATE jobs SET document_id = $1
                     WHERE submission_id = $2 AND pipeline_version = $3",
                )
                .text(&id)
                .text(done.submission_id)
                .text(done.version);
                db.execute(Some(&mut tx), point).await?;
                after["document_id"] = json!(id);
            }
            let after = after.to_string();
            let line = Stmt::new(format!(
                "INSERT INTO audit_log (at, actor, action, subject, before_json, after_json)
                 VALUES ({}, $1, $2, $3, NULL, $4)",
                B::NOW_MS
            ))
            .text(done.actor)
            .text("submission.reprocess")
            .text(done.submission_id)
            .text(&after);
            db.execute(Some(&mut tx), line).await?;
        }
        B::Db::commit(tx).await?;
        Ok(true)
    }

    async fn finish_run(&self, run_id: &str) -> Result<(), QueueError> {
        let finish = Stmt::new(format!(
            "UPDATE reprocess_runs SET finished_at = {}
             WHERE run_id = $1 AND finished_at IS NULL",
            B::NOW_MS
        ))
        .text(run_id);
        self.db().execute(None, finish).await
    }
}
