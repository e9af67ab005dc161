//! The job queue and registry in PostgreSQL, shared by worker processes on many
//! machines. Same tables and semantics as the SQLite queue; leases are taken
//! with `FOR UPDATE SKIP LOCKED`, and every time is the database server's
//! clock, so workers on machines with drifting clocks agree on lease expiry.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use super::{
    new_token, percentile, superseded_reason, Completion, DocumentRow, DocumentStatus, JobQueue,
    JobState, JobView, Lease, NewSubmission, QueueError, StatusReport, Submitted,
};

/// The server's clock in Unix milliseconds, as an SQL expression.
macro_rules! now_ms {
    () => {
        "(extract(epoch from clock_timestamp()) * 1000)::bigint"
    };
}

/// The server's clock in Unix seconds, as an SQL expression.
macro_rules! now_secs {
    () => {
        "(extract(epoch from clock_timestamp()))::bigint"
    };
}

/// Serializes schema creation between processes starting at once
/// (`CREATE TABLE IF NOT EXISTS` alone races on the catalog).
const SCHEMA_LOCK: i64 = 0x646f_6373_6561_6c00;

const PG_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS submissions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    media_type  TEXT NOT NULL,
    scan_key    TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    submission_id    TEXT NOT NULL REFERENCES submissions(id),
    pipeline_version TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires    BIGINT,
    available_at     BIGINT NOT NULL,
    enqueued_at      BIGINT NOT NULL,
    first_started_at BIGINT,
    started_at       BIGINT,
    finished_at      BIGINT,
    error            TEXT,
    record_json      TEXT,
    record_key       TEXT,
    text_key         TEXT,
    document_id      TEXT,
    PRIMARY KEY (submission_id, pipeline_version)
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, available_at);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (available_at)
    WHERE state IN ('queued', 'processing');
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS documents (
    document_id      TEXT PRIMARY KEY,
    submission_id    TEXT NOT NULL REFERENCES submissions(id),
    pipeline_version TEXT NOT NULL,
    doc_type         TEXT NOT NULL,
    issued_at        BIGINT NOT NULL,
    key_id           TEXT NOT NULL,
    pdf_key          TEXT NOT NULL,
    pdf_sha256       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'valid',
    status_reason    TEXT,
    status_at        BIGINT,
    UNIQUE (submission_id, pipeline_version)
);
"#;

/// The job queue and registry in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgQueue {
    pool: PgPool,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl PgQueue {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and
    /// creates the tables if they are missing.
    pub async fn connect(url: &str) -> Result<PgQueue, QueueError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        PgQueue::with_pool(pool).await
    }

    /// Uses an existing pool; creates the tables if they are missing.
    pub async fn with_pool(pool: PgPool) -> Result<PgQueue, QueueError> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *tx)
            .await?;
        for statement in PG_SCHEMA.split(';').filter(|s| !s.trim().is_empty()) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(PgQueue { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn job_view(row: &PgRow) -> Result<JobView, QueueError> {
        Ok(JobView {
            submission_id: row.try_get("submission_id")?,
            name: row.try_get("name")?,
            state: JobState::parse(&row.try_get::<String, _>("state")?)?,
            attempts: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX as i64) as u32,
            error: row.try_get("error")?,
            record_json: row.try_get("record_json")?,
            document_id: row.try_get("document_id")?,
            pdf_key: row.try_get("pdf_key")?,
        })
    }

    fn document_row(row: &PgRow) -> Result<DocumentRow, QueueError> {
        Ok(DocumentRow {
            document_id: row.try_get("document_id")?,
            submission_id: row.try_get("submission_id")?,
            doc_type: row.try_get("doc_type")?,
            issued_at: row.try_get("issued_at")?,
            key_id: row.try_get("key_id")?,
            pdf_key: row.try_get("pdf_key")?,
            pdf_sha256: row.try_get("pdf_sha256")?,
            status: DocumentStatus::parse(&row.try_get::<String, _>("status")?)?,
            status_reason: row.try_get("status_reason")?,
            status_at: row.try_get("status_at")?,
        })
    }
}

impl JobQueue for PgQueue {
    async fn submit(
        &self,
        sub: &NewSubmission,
        version: &str,
        force: bool,
    ) -> Result<Submitted, QueueError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(concat!(
            "INSERT INTO submissions (id, name, size, media_type, scan_key, received_at)
             VALUES ($1, $2, $3, $4, $5, ",
            now_ms!(),
            ") ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&sub.id)
        .bind(&sub.name)
        .bind(i64::try_from(sub.size).unwrap_or(i64::MAX))
        .bind(&sub.media_type)
        .bind(&sub.scan_key)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(concat!(
            "WITH clock AS (SELECT ",
            now_ms!(),
            " AS now)
             INSERT INTO jobs (submission_id, pipeline_version, state, available_at, enqueued_at)
             SELECT $1, $2, 'queued', clock.now, clock.now FROM clock
             ON CONFLICT (submission_id, pipeline_version) DO NOTHING"
        ))
        .bind(&sub.id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = if inserted == 1 {
            Submitted::Queued
        } else {
            let state: String = sqlx::query_scalar(
                "SELECT state FROM jobs WHERE submission_id = $1 AND pipeline_version = $2
                 FOR UPDATE",
            )
            .bind(&sub.id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            let state = JobState::parse(&state)?;
            let has_document: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM documents
                                WHERE submission_id = $1 AND pipeline_version = $2)",
            )
            .bind(&sub.id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            if force && state.is_final() && !has_document {
                sqlx::query(concat!(
                    "WITH clock AS (SELECT ",
                    now_ms!(),
                    " AS now)
                     UPDATE jobs SET state = 'queued', attempts = 0, error = NULL,
                         lease_token = NULL, available_at = clock.now, enqueued_at = clock.now
                     FROM clock
                     WHERE submission_id = $1 AND pipeline_version = $2"
                ))
                .bind(&sub.id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                Submitted::Requeued
            } else {
                Submitted::AlreadyKnown(state)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        max_attempts: u32,
    ) -> Result<Option<Lease>, QueueError> {
        loop {
            let token = new_token();
            let row = sqlx::query(concat!(
                "WITH clock AS (SELECT ",
                now_ms!(),
                " AS now),
                 next AS (
                     SELECT j.submission_id, j.pipeline_version FROM jobs j, clock
                     WHERE j.state IN ('queued', 'processing')
                       AND ((j.state = 'queued' AND j.available_at <= clock.now)
                         OR (j.state = 'processing' AND j.lease_expires < clock.now))
                     ORDER BY j.available_at
                     LIMIT 1
                     FOR UPDATE OF j SKIP LOCKED)
                 UPDATE jobs j SET state = 'processing', attempts = j.attempts + 1,
                     lease_token = $1, lease_owner = $2, lease_expires = clock.now + $3,
                     started_at = clock.now,
                     first_started_at = COALESCE(j.first_started_at, clock.now)
                 FROM next, clock, submissions s
                 WHERE j.submission_id = next.submission_id
                   AND j.pipeline_version = next.pipeline_version
                   AND s.id = j.submission_id
                 RETURNING j.submission_id, j.pipeline_version, j.attempts, j.first_started_at,
                     s.name, s.scan_key, s.media_type"
            ))
            .bind(&token)
            .bind(worker)
            .bind(millis(lease_for))
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let submission_id: String = row.try_get("submission_id")?;
            let pipeline_version: String = row.try_get("pipeline_version")?;
            let attempts: i64 = row.try_get("attempts")?;
            let attempt = attempts.clamp(0, u32::MAX as i64) as u32;
            let first_started_ms: i64 = row.try_get("first_started_at")?;
            if attempt > max_attempts {
                sqlx::query(concat!(
                    "UPDATE jobs SET state = 'failed', finished_at = ",
                    now_ms!(),
                    ", lease_token = NULL, error = COALESCE(error || '; ', '') || $1
                     WHERE submission_id = $2 AND pipeline_version = $3 AND lease_token = $4"
                ))
                .bind(format!(
                    "gave up after {max_attempts} attempts (the worker stopped or crashed each time)"
                ))
                .bind(&submission_id)
                .bind(&pipeline_version)
                .bind(&token)
                .execute(&self.pool)
                .await?;
                continue;
            }
            return Ok(Some(Lease {
                submission_id,
                pipeline_version,
                token,
                attempt,
                first_started_at: first_started_ms.div_euclid(1000),
                name: row.try_get("name")?,
                scan_key: row.try_get("scan_key")?,
                media_type: row.try_get("media_type")?,
            }));
        }
    }

    async fn heartbeat(&self, lease: &Lease, lease_for: Duration) -> Result<bool, QueueError> {
        let r = sqlx::query(concat!(
            "UPDATE jobs SET lease_expires = ",
            now_ms!(),
            " + $1
             WHERE submission_id = $2 AND pipeline_version = $3
               AND lease_token = $4 AND state = 'processing'"
        ))
        .bind(millis(lease_for))
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .bind(&lease.token)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn complete(&self, lease: &Lease, done: &Completion) -> Result<(), QueueError> {
        let mut tx = self.pool.begin().await?;
        let mut document_id = None;
        if let Some(d) = &done.document {
            let inserted = sqlx::query(
                "INSERT INTO documents (document_id, submission_id, pipeline_version, doc_type,
                     issued_at, key_id, pdf_key, pdf_sha256)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&d.document_id)
            .bind(&lease.submission_id)
            .bind(&lease.pipeline_version)
            .bind(&d.doc_type)
            .bind(d.issued_at)
            .bind(&d.key_id)
            .bind(&d.pdf_key)
            .bind(&d.pdf_sha256)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                sqlx::query(concat!(
                    "UPDATE documents SET status = 'superseded', status_reason = $1, status_at = ",
                    now_secs!(),
                    " WHERE submission_id = $2 AND document_id <> $3 AND status = 'valid'
                       AND issued_at <= $4"
                ))
                .bind(superseded_reason(&d.document_id, &lease.pipeline_version))
                .bind(&lease.submission_id)
                .bind(&d.document_id)
                .bind(d.issued_at)
                .execute(&mut *tx)
                .await?;
            }
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT document_id FROM documents
                 WHERE submission_id = $1 AND pipeline_version = $2",
            )
            .bind(&lease.submission_id)
            .bind(&lease.pipeline_version)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(stored) = stored else {
                return Err(QueueError::Corrupt(format!(
                    "document id `{}` is already taken by another submission",
                    d.document_id
                )));
            };
            document_id = Some(stored);
        }
        sqlx::query(concat!(
            "UPDATE jobs SET state = $1, finished_at = ",
            now_ms!(),
            ", lease_token = NULL, error = NULL,
                 record_json = $2, record_key = $3, text_key = $4, document_id = $5
             WHERE submission_id = $6 AND pipeline_version = $7"
        ))
        .bind(done.state.as_str())
        .bind(&done.record_json)
        .bind(&done.record_key)
        .bind(&done.text_key)
        .bind(&document_id)
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fail(&self, lease: &Lease, error: &str) -> Result<(), QueueError> {
        sqlx::query(concat!(
            "UPDATE jobs SET state = 'failed', finished_at = ",
            now_ms!(),
            ", lease_token = NULL, error = $1
             WHERE submission_id = $2 AND pipeline_version = $3 AND state = 'processing'
               AND lease_token = $4"
        ))
        .bind(error)
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .bind(&lease.token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release(&self, lease: &Lease, error: &str, delay: Duration) -> Result<(), QueueError> {
        sqlx::query(concat!(
            "UPDATE jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0),
                 lease_token = NULL, error = $1, available_at = ",
            now_ms!(),
            " + $2
             WHERE submission_id = $3 AND pipeline_version = $4 AND lease_token = $5"
        ))
        .bind(error)
        .bind(millis(delay))
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .bind(&lease.token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn job(&self, submission_id: &str, version: &str) -> Result<Option<JobView>, QueueError> {
        let row = sqlx::query(
            "SELECT j.submission_id, s.name, j.state, j.attempts, j.error, j.record_json,
                    j.document_id, d.pdf_key
             FROM jobs j JOIN submissions s ON s.id = j.submission_id
             LEFT JOIN documents d ON d.document_id = j.document_id
             WHERE j.submission_id = $1 AND j.pipeline_version = $2",
        )
        .bind(submission_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::job_view).transpose()
    }

    async fn document(&self, document_id: &str) -> Result<Option<DocumentRow>, QueueError> {
        let row = sqlx::query("SELECT * FROM documents WHERE document_id = $1")
            .bind(document_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::document_row).transpose()
    }

    async fn revoke_document(
        &self,
        document_id: &str,
        reason: &str,
    ) -> Result<Option<DocumentRow>, QueueError> {
        sqlx::query(concat!(
            "UPDATE documents SET status = 'revoked', status_reason = $1, status_at = ",
            now_secs!(),
            " WHERE document_id = $2 AND status <> 'revoked'"
        ))
        .bind(reason)
        .bind(document_id)
        .execute(&self.pool)
        .await?;
        self.document(document_id).await
    }

    async fn status(&self) -> Result<StatusReport, QueueError> {
        let now: i64 = sqlx::query_scalar(concat!("SELECT ", now_ms!()))
            .fetch_one(&self.pool)
            .await?;
        let count = |n: i64| n.max(0) as u64;
        let mut r = StatusReport {
            received: count(
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM submissions")
                    .fetch_one(&self.pool)
                    .await?,
            ),
            ..StatusReport::default()
        };
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let n = count(row.try_get::<i64, _>("n")?);
            match JobState::parse(&row.try_get::<String, _>("state")?)? {
                JobState::Queued => r.queued = n,
                JobState::Processing => r.processing = n,
                JobState::Issued => r.issued = n,
                JobState::NeedsReview => r.needs_review = n,
                JobState::Failed => r.failed = n,
            }
        }
        r.finished_last_10_min = count(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE finished_at >= $1")
                .bind(now - 600_000)
                .fetch_one(&self.pool)
                .await?,
        );
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(enqueued_at) FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.pool)
                .await?;
        r.oldest_waiting_secs = oldest.map(|t| (now - t).max(0) / 1000);
        let mut times: Vec<f64> = sqlx::query_scalar::<_, i64>(
            "SELECT finished_at - started_at FROM jobs
             WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
             ORDER BY finished_at DESC LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|ms| ms.max(0) as f64 / 1000.0)
        .collect();
        times.sort_by(f64::total_cmp);
        r.p50_secs = percentile(&times, 50.0);
        r.p95_secs = percentile(&times, 95.0);
        let errs = sqlx::query(
            "SELECT j.submission_id, s.name, j.error
             FROM jobs j JOIN submissions s ON s.id = j.submission_id
             WHERE j.error IS NOT NULL
             ORDER BY COALESCE(j.finished_at, j.available_at) DESC LIMIT 5",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in errs {
            r.last_errors.push((
                row.try_get("submission_id")?,
                row.try_get("name")?,
                row.try_get("error")?,
            ));
        }
        Ok(r)
    }
}
