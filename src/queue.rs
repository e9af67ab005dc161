//! The job queue and the registry of submissions and issued documents: the
//! [`JobQueue`] trait and its implementations. Only this module knows SQL.
//!
//! A job is one submission through one pipeline version. A worker leases a job
//! for a while and heartbeats to keep it; a lease that expires (the worker
//! crashed) makes the job available again. A job is completed only after its
//! outputs are durably stored, and the registry allows one document per
//! submission and pipeline version, so a retry can never issue a second one.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

mod open;
mod postgres;

pub use open::AnyQueue;
pub use postgres::PgQueue;

/// Errors of the queue and registry. All of them concern the database, not
/// the job: the caller retries later rather than failing the job.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database could not be opened or answered with an error.
    #[error("job database: {0}")]
    Db(#[from] sqlx::Error),
    /// A row held a value this version cannot read.
    #[error("job database holds an unreadable value: {0}")]
    Corrupt(String),
}

/// States a job goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Leased by a worker.
    Processing,
    /// Done: a document was issued.
    Issued,
    /// Done: a person must check the record; nothing was issued.
    NeedsReview,
    /// Done: the input could not be processed.
    Failed,
}

impl JobState {
    /// The state's name in the database and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Processing => "processing",
            JobState::Issued => "issued",
            JobState::NeedsReview => "needs_review",
            JobState::Failed => "failed",
        }
    }

    /// Parses a state name.
    pub fn parse(s: &str) -> Result<JobState, QueueError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "processing" => JobState::Processing,
            "issued" => JobState::Issued,
            "needs_review" => JobState::NeedsReview,
            "failed" => JobState::Failed,
            other => return Err(QueueError::Corrupt(format!("job state `{other}`"))),
        })
    }

    /// Whether the job is finished.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Issued | JobState::NeedsReview | JobState::Failed
        )
    }
}

/// A submission to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    /// SHA-256 of the scan bytes (the submission id).
    pub id: String,
    /// The file name it came with.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type as sniffed, or `application/octet-stream`.
    pub media_type: String,
    /// Where its bytes are stored.
    pub scan_key: String,
}

/// What `submit` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// A new job was queued.
    Queued,
    /// The same bytes were already submitted; the existing job stands.
    AlreadyKnown(JobState),
    /// The same bytes were known and their job was queued again (forced).
    Requeued,
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The submission.
    pub submission_id: String,
    /// The pipeline version the job is for.
    pub pipeline_version: String,
    /// Proof of holding the lease, checked by every later update.
    pub token: String,
    /// Which lease this is (1 for the first).
    pub attempt: u32,
    /// Unix seconds of the job's first start: the issue time of its document,
    /// the same on every retry.
    pub first_started_at: i64,
    /// The submission's file name.
    pub name: String,
    /// Where the scan bytes are.
    pub scan_key: String,
    /// The scan's media type.
    pub media_type: String,
}

/// An issued document, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    /// The document id.
    pub document_id: String,
    /// The submission it came from.
    pub submission_id: String,
    /// The document type.
    pub doc_type: String,
    /// Unix seconds of issue.
    pub issued_at: i64,
    /// The signing key's id.
    pub key_id: String,
    /// Where the result PDF is.
    pub pdf_key: String,
    /// SHA-256 of the result PDF.
    pub pdf_sha256: String,
    /// Whether the office still stands by it.
    pub status: DocumentStatus,
    /// Why its status changed, if it did.
    pub status_reason: Option<String>,
    /// Unix seconds of the status change, if it changed.
    pub status_at: Option<i64>,
}

/// What the issuing office says about a document it issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Issued and standing.
    Valid,
    /// Withdrawn by the office (`docseal revoke`); it must not be relied on.
    Revoked,
    /// The same submission was issued again by a newer pipeline version; the
    /// older document stays genuine, the newer one is the current copy.
    Superseded,
}

impl DocumentStatus {
    /// The status's name in the database and in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Valid => "valid",
            DocumentStatus::Revoked => "revoked",
            DocumentStatus::Superseded => "superseded",
        }
    }

    /// Parses a status name.
    pub fn parse(s: &str) -> Result<DocumentStatus, QueueError> {
        Ok(match s {
            "valid" => DocumentStatus::Valid,
            "revoked" => DocumentStatus::Revoked,
            "superseded" => DocumentStatus::Superseded,
            other => return Err(QueueError::Corrupt(format!("document status `{other}`"))),
        })
    }
}

/// The reason recorded on documents a newer one supersedes.
fn superseded_reason(document_id: &str, version: &str) -> String {
    format!("superseded by {document_id}, issued from the same scan by {version}")
}

/// What a finished job produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// `Issued` or `NeedsReview`.
    pub state: JobState,
    /// The record as JSON.
    pub record_json: String,
    /// Where the record JSON is stored.
    pub record_key: String,
    /// Where the OCR text is stored.
    pub text_key: String,
    /// The issued document, when one was issued.
    pub document: Option<DocumentRow>,
}

/// A job as reported to people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    /// The submission.
    pub submission_id: String,
    /// Its file name.
    pub name: String,
    /// The job's state.
    pub state: JobState,
    /// Leases so far.
    pub attempts: u32,
    /// The last error, if any.
    pub error: Option<String>,
    /// The record JSON, once there is one.
    pub record_json: Option<String>,
    /// The issued document's id.
    pub document_id: Option<String>,
    /// Where the result PDF is.
    pub pdf_key: Option<String>,
}

/// Counts and timings for `docseal status`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatusReport {
    /// Every submission ever accepted.
    pub received: u64,
    /// Jobs by state.
    pub queued: u64,
    /// Jobs being worked on.
    pub processing: u64,
    /// Jobs that issued a document.
    pub issued: u64,
    /// Jobs waiting for a person.
    pub needs_review: u64,
    /// Jobs that failed.
    pub failed: u64,
    /// Jobs finished in the last 10 minutes.
    pub finished_last_10_min: u64,
    /// Age in seconds of the oldest waiting job.
    pub oldest_waiting_secs: Option<i64>,
    /// Median processing time of the last 1,000 finished jobs, seconds.
    pub p50_secs: Option<f64>,
    /// 95th percentile of the same.
    pub p95_secs: Option<f64>,
    /// The last errors: (submission id, file name, error).
    pub last_errors: Vec<(String, String, String)>,
}

/// The job queue and registry.
pub trait JobQueue: Send + Sync + 'static {
    /// Registers a submission and queues its job for `version`, unless it is
    /// already known (then nothing changes, unless `force`).
    fn submit(
        &self,
        sub: &NewSubmission,
        version: &str,
        force: bool,
    ) -> impl Future<Output = Result<Submitted, QueueError>> + Send;

    /// Leases the oldest available job: a queued one, or one whose lease expired.
    fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        max_attempts: u32,
    ) -> impl Future<Output = Result<Option<Lease>, QueueError>> + Send;

    /// Extends a lease; `false` when the lease was lost (expired and taken).
    fn heartbeat(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> impl Future<Output = Result<bool, QueueError>> + Send;

    /// Records the outputs of a job and finishes it, in one transaction. The
    /// document row is inserted only if none exists for the submission and version.
    fn complete(
        &self,
        lease: &Lease,
        done: &Completion,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Fails a job for good (bad input), recording the error. Only the
    /// current lease holder can: a worker whose lease expired changes nothing.
    fn fail(
        &self,
        lease: &Lease,
        error: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Gives a job back without using up an attempt (the infrastructure failed,
    /// not the job); it becomes available after `delay`.
    fn release(
        &self,
        lease: &Lease,
        error: &str,
        delay: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// The job of a submission for a version.
    fn job(
        &self,
        submission_id: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<JobView>, QueueError>> + Send;

    /// A document by id.
    fn document(
        &self,
        document_id: &str,
    ) -> impl Future<Output = Result<Option<DocumentRow>, QueueError>> + Send;

    /// Marks a document revoked for `reason`, from now. Returns the document
    /// as it then stands, or `None` when there is no such document. A document
    /// revoked before keeps its first revocation time and reason.
    fn revoke_document(
        &self,
        document_id: &str,
        reason: &str,
    ) -> impl Future<Output = Result<Option<DocumentRow>, QueueError>> + Send;

    /// Counts, timings and last errors.
    fn status(&self) -> impl Future<Output = Result<StatusReport, QueueError>> + Send;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn new_token() -> String {
    let mut b = [0u8; 16];
    // A token only needs to differ between leases; fall back to the clock.
    if getrandom::getrandom(&mut b).is_err() {
        b[..8].copy_from_slice(&now_ms().to_le_bytes());
    }
    hex::encode(b)
}

/// Percentile of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The embedded default: one SQLite file, shared safely by several processes.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    pool: SqlitePool,
}

const SQLITE_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS submissions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL,
    scan_key    TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    submission_id    TEXT NOT NULL REFERENCES submissions(id),
    pipeline_version TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires    INTEGER,
    available_at     INTEGER NOT NULL,
    enqueued_at      INTEGER NOT NULL,
    first_started_at INTEGER,
    started_at       INTEGER,
    finished_at      INTEGER,
    error            TEXT,
    record_json      TEXT,
    record_key       TEXT,
    text_key         TEXT,
    document_id      TEXT,
    PRIMARY KEY (submission_id, pipeline_version)
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, available_at);
CREATE TABLE IF NOT EXISTS documents (
    document_id      TEXT PRIMARY KEY,
    submission_id    TEXT NOT NULL REFERENCES submissions(id),
    pipeline_version TEXT NOT NULL,
    doc_type         TEXT NOT NULL,
    issued_at        INTEGER NOT NULL,
    key_id           TEXT NOT NULL,
    pdf_key          TEXT NOT NULL,
    pdf_sha256       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'valid',
    status_reason    TEXT,
    status_at        INTEGER,
    UNIQUE (submission_id, pipeline_version)
);
"#;

/// How long a statement waits for another connection's lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether SQLite refused because another connection held a lock
/// (`SQLITE_BUSY` or one of its extended codes).
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 5)
}

impl SqliteQueue {
    /// Opens (creating if needed) the database file.
    ///
    /// Workers started together may all find a new file. Switching it to
    /// write-ahead logging takes a write lock while a read lock is held, and
    /// SQLite answers `SQLITE_BUSY` to all but one of them at once instead of
    /// waiting, so opening is retried while the database is busy, for as long
    /// as any statement would wait.
    pub async fn open(path: &std::path::Path) -> Result<SqliteQueue, QueueError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let give_up = std::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match Self::open_with(opts.clone()).await {
                Err(QueueError::Db(e)) if is_busy(&e) && std::time::Instant::now() < give_up => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                opened => return opened,
            }
        }
    }

    async fn open_with(opts: SqliteConnectOptions) -> Result<SqliteQueue, QueueError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::raw_sql(SQLITE_SCHEMA).execute(&pool).await?;
        Ok(SqliteQueue { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn job_view(row: &sqlx::sqlite::SqliteRow) -> Result<JobView, QueueError> {
        Ok(JobView {
            submission_id: row.try_get("submission_id")?,
            name: row.try_get("name")?,
            state: JobState::parse(&row.try_get::<String, _>("state")?)?,
            attempts: row.try_get::<i64, _>("attempts")?.max(0) as u32,
            error: row.try_get("error")?,
            record_json: row.try_get("record_json")?,
            document_id: row.try_get("document_id")?,
            pdf_key: row.try_get("pdf_key")?,
        })
    }

    fn document_row(row: &sqlx::sqlite::SqliteRow) -> Result<DocumentRow, QueueError> {
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

impl JobQueue for SqliteQueue {
    async fn submit(
        &self,
        sub: &NewSubmission,
        version: &str,
        force: bool,
    ) -> Result<Submitted, QueueError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO submissions (id, name, size, media_type, scan_key, received_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&sub.id)
        .bind(&sub.name)
        .bind(sub.size as i64)
        .bind(&sub.media_type)
        .bind(&sub.scan_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT state FROM jobs WHERE submission_id = ? AND pipeline_version = ?",
        )
        .bind(&sub.id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match existing {
            None => {
                sqlx::query(
                    "INSERT INTO jobs (submission_id, pipeline_version, state, available_at, enqueued_at)
                     VALUES (?, ?, 'queued', ?, ?)",
                )
                .bind(&sub.id)
                .bind(version)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Submitted::Queued
            }
            Some(state) => {
                let state = JobState::parse(&state)?;
                let has_document: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM documents WHERE submission_id = ? AND pipeline_version = ?)",
                )
                .bind(&sub.id)
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
                if force && state.is_final() && !has_document {
                    sqlx::query(
                        "UPDATE jobs SET state = 'queued', attempts = 0, error = NULL,
                         lease_token = NULL, available_at = ?, enqueued_at = ?
                         WHERE submission_id = ? AND pipeline_version = ?",
                    )
                    .bind(now)
                    .bind(now)
                    .bind(&sub.id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                    Submitted::Requeued
                } else {
                    Submitted::AlreadyKnown(state)
                }
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
            let now = now_ms();
            let token = new_token();
            let row = sqlx::query(
                "UPDATE jobs SET state = 'processing', attempts = attempts + 1,
                     lease_token = ?1, lease_owner = ?2, lease_expires = ?3,
                     started_at = ?4, first_started_at = COALESCE(first_started_at, ?4)
                 WHERE rowid = (
                     SELECT rowid FROM jobs
                     WHERE (state = 'queued' AND available_at <= ?4)
                        OR (state = 'processing' AND lease_expires < ?4)
                     ORDER BY available_at LIMIT 1)
                 RETURNING submission_id, pipeline_version, attempts, first_started_at",
            )
            .bind(&token)
            .bind(worker)
            .bind(now + lease_for.as_millis() as i64)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let submission_id: String = row.try_get("submission_id")?;
            let pipeline_version: String = row.try_get("pipeline_version")?;
            let attempt = row.try_get::<i64, _>("attempts")?.max(0) as u32;
            let first_started_ms: i64 = row.try_get("first_started_at")?;
            if attempt > max_attempts {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', finished_at = ?, lease_token = NULL,
                     error = COALESCE(error || '; ', '') || ?
                     WHERE submission_id = ? AND pipeline_version = ? AND lease_token = ?",
                )
                .bind(now)
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
            let sub =
                sqlx::query("SELECT name, scan_key, media_type FROM submissions WHERE id = ?")
                    .bind(&submission_id)
                    .fetch_one(&self.pool)
                    .await?;
            return Ok(Some(Lease {
                submission_id,
                pipeline_version,
                token,
                attempt,
                first_started_at: first_started_ms.div_euclid(1000),
                name: sub.try_get("name")?,
                scan_key: sub.try_get("scan_key")?,
                media_type: sub.try_get("media_type")?,
            }));
        }
    }

    async fn heartbeat(&self, lease: &Lease, lease_for: Duration) -> Result<bool, QueueError> {
        let r = sqlx::query(
            "UPDATE jobs SET lease_expires = ? WHERE submission_id = ? AND pipeline_version = ?
             AND lease_token = ? AND state = 'processing'",
        )
        .bind(now_ms() + lease_for.as_millis() as i64)
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .bind(&lease.token)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn complete(&self, lease: &Lease, done: &Completion) -> Result<(), QueueError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let mut document_id = None;
        if let Some(d) = &done.document {
            let inserted = sqlx::query(
                "INSERT INTO documents (document_id, submission_id, pipeline_version, doc_type,
                     issued_at, key_id, pdf_key, pdf_sha256)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
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
                sqlx::query(
                    "UPDATE documents SET status = 'superseded', status_reason = ?, status_at = ?
                     WHERE submission_id = ? AND document_id != ? AND status = 'valid'
                       AND issued_at <= ?",
                )
                .bind(superseded_reason(&d.document_id, &lease.pipeline_version))
                .bind(now.div_euclid(1000))
                .bind(&lease.submission_id)
                .bind(&d.document_id)
                .bind(d.issued_at)
                .execute(&mut *tx)
                .await?;
            }
            let stored: String = sqlx::query_scalar(
                "SELECT document_id FROM documents WHERE submission_id = ? AND pipeline_version = ?",
            )
            .bind(&lease.submission_id)
            .bind(&lease.pipeline_version)
            .fetch_one(&mut *tx)
            .await?;
            document_id = Some(stored);
        }
        sqlx::query(
            "UPDATE jobs SET state = ?, finished_at = ?, lease_token = NULL, error = NULL,
                 record_json = ?, record_key = ?, text_key = ?, document_id = ?
             WHERE submission_id = ? AND pipeline_version = ?",
        )
        .bind(done.state.as_str())
        .bind(now)
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
        sqlx::query(
            "UPDATE jobs SET state = 'failed', finished_at = ?, lease_token = NULL, error = ?
             WHERE submission_id = ? AND pipeline_version = ? AND state = 'processing'
               AND lease_token = ?",
        )
        .bind(now_ms())
        .bind(error)
        .bind(&lease.submission_id)
        .bind(&lease.pipeline_version)
        .bind(&lease.token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release(&self, lease: &Lease, error: &str, delay: Duration) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_token = NULL,
                 error = ?, available_at = ?
             WHERE submission_id = ? AND pipeline_version = ? AND lease_token = ?",
        )
        .bind(error)
        .bind(now_ms() + delay.as_millis() as i64)
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
             WHERE j.submission_id = ? AND j.pipeline_version = ?",
        )
        .bind(submission_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::job_view).transpose()
    }

    async fn document(&self, document_id: &str) -> Result<Option<DocumentRow>, QueueError> {
        let row = sqlx::query("SELECT * FROM documents WHERE document_id = ?")
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
        sqlx::query(
            "UPDATE documents SET status = 'revoked', status_reason = ?, status_at = ?
             WHERE document_id = ? AND status != 'revoked'",
        )
        .bind(reason)
        .bind(now_ms().div_euclid(1000))
        .bind(document_id)
        .execute(&self.pool)
        .await?;
        self.document(document_id).await
    }

    async fn status(&self) -> Result<StatusReport, QueueError> {
        let now = now_ms();
        let mut r = StatusReport {
            received: sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM submissions")
                .fetch_one(&self.pool)
                .await?
                .max(0) as u64,
            ..StatusReport::default()
        };
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let n = row.try_get::<i64, _>("n")?.max(0) as u64;
            match JobState::parse(&row.try_get::<String, _>("state")?)? {
                JobState::Queued => r.queued = n,
                JobState::Processing => r.processing = n,
                JobState::Issued => r.issued = n,
                JobState::NeedsReview => r.needs_review = n,
                JobState::Failed => r.failed = n,
            }
        }
        r.finished_last_10_min =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE finished_at >= ?")
                .bind(now - 600_000)
                .fetch_one(&self.pool)
                .await?
                .max(0) as u64;
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
            "SELECT j.submission_id, s.name, j.error FROM jobs j JOIN submissions s ON s.id = j.submission_id
             WHERE j.error IS NOT NULL ORDER BY COALESCE(j.finished_at, j.available_at) DESC LIMIT 5",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str) -> NewSubmission {
        NewSubmission {
            id: id.to_string(),
            name: format!("{id}.png"),
            size: 3,
            media_type: "image/png".into(),
            scan_key: format!("scans/{id}"),
        }
    }

    async fn open() -> (tempfile::TempDir, SqliteQueue) {
        let dir = tempfile::tempdir().unwrap();
        let q = SqliteQueue::open(&dir.path().join("db.sqlite"))
            .await
            .unwrap();
        (dir, q)
    }

    #[tokio::test]
    async fn submit_is_idempotent_and_lease_takes_each_job_once() {
        let (_d, q) = open().await;
        assert_eq!(
            q.submit(&sub("a"), "v1", false).await.unwrap(),
            Submitted::Queued
        );
        assert_eq!(
            q.submit(&sub("a"), "v1", false).await.unwrap(),
            Submitted::AlreadyKnown(JobState::Queued)
        );
        q.submit(&sub("b"), "v1", false).await.unwrap();
        let l1 = q
            .lease("w1", Duration::from_secs(60), 3)
            .await
            .unwrap()
            .unwrap();
        let l2 = q
            .lease("w2", Duration::from_secs(60), 3)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(l1.submission_id, l2.submission_id);
        assert!(q
            .lease("w3", Duration::from_secs(60), 3)
            .await
            .unwrap()
            .is_none());
        let s = q.status().await.unwrap();
        assert_eq!((s.received, s.processing), (2, 2));
    }

    #[tokio::test]
    async fn an_expired_lease_is_taken_again_and_gives_up_after_max_attempts() {
        let (_d, q) = open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let first = q
            .lease("w1", Duration::from_millis(0), 2)
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let second = q
            .lease("w2", Duration::from_millis(0), 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.attempt, 2);
        assert_eq!(second.first_started_at, first.first_started_at);
        assert!(!q.heartbeat(&first, Duration::from_secs(1)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(q
            .lease("w3", Duration::from_secs(60), 2)
            .await
            .unwrap()
            .is_none());
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert!(job.error.unwrap().contains("gave up"));
    }

    #[tokio::test]
    async fn completing_twice_keeps_one_document() {
        let (_d, q) = open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let lease = q
            .lease("w1", Duration::from_secs(60), 3)
            .await
            .unwrap()
            .unwrap();
        let doc = |id: &str| DocumentRow {
            document_id: id.into(),
            submission_id: "a".into(),
            doc_type: "birth_certificate".into(),
            issued_at: 1,
            key_id: "k".into(),
            pdf_key: "results/x".into(),
            pdf_sha256: "x".into(),
            status: DocumentStatus::Valid,
            status_reason: None,
            status_at: None,
        };
        let done = |id: &str| Completion {
            state: JobState::Issued,
            record_json: "{}".into(),
            record_key: "records/r".into(),
            text_key: "text/t".into(),
            document: Some(doc(id)),
        };
        q.complete(&lease, &done("DOC-1")).await.unwrap();
        q.complete(&lease, &done("DOC-2")).await.unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.document_id.as_deref(), Some("DOC-1"));
        assert!(q.document("DOC-2").await.unwrap().is_none());
        assert_eq!(q.status().await.unwrap().issued, 1);
    }

    #[tokio::test]
    async fn release_does_not_use_up_an_attempt() {
        let (_d, q) = open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        for _ in 0..5 {
            let l = q
                .lease("w", Duration::from_secs(60), 2)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(l.attempt, 1);
            q.release(&l, "storage unreachable", Duration::ZERO)
                .await
                .unwrap();
        }
    }
}
