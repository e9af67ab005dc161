//! The queue's state machine and registry, written once for every SQL
//! database: what a submission, a lease, a heartbeat, a completion, a failure
//! and a release do, and what the registry and the counts read.
//!
//! The rules live here as SQL both databases run as is (`$1`, `$2`, … are
//! bound in order by both drivers): which job is available, who owns a lease,
//! attempts against `max_attempts`, one document per submission and pipeline
//! version, what a retry keeps (`first_started_at`), and who supersedes whom.
//! A database contributes only what differs, through [`Backend`]: its clock as
//! an SQL expression, how a `SELECT` in a transaction locks the rows it reads,
//! and the one statement that claims the next job.
//!
//! Times are Unix milliseconds of the database's own clock (`status_at` is in
//! seconds), so every process sharing a database agrees on lease expiry.

use std::future::Future;
use std::time::Duration;

use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::{
    percentile, superseded_reason, Breakdown, Completion, DailyCount, DocumentRow, DocumentStatus,
    JobState, JobView, Jobs, Lease, NewSubmission, QueueError, Registry, Stats, StatusReport,
    Submitted,
};

/// The tables and the index both databases have; `{int}` is the database's
/// 64-bit integer type, `{blob}` its byte-string type and `{serial}` an
/// integer primary key the database numbers upwards. `UNIQUE
/// (submission_id, pipeline_version)` on documents is what keeps one document
/// per submission and version; `UNIQUE (kind, subject)` on the log's entries
/// what keeps one entry per document or revocation.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS submissions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    size        {int} NOT NULL,
    media_type  TEXT NOT NULL,
    scan_key    TEXT NOT NULL,
    received_at {int} NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    submission_id    TEXT NOT NULL REFERENCES submissions(id),
    pipeline_version TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         {int} NOT NULL DEFAULT 0,
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires    {int},
    available_at     {int} NOT NULL,
    enqueued_at      {int} NOT NULL,
    first_started_at {int},
    started_at       {int},
    finished_at      {int},
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
    issued_at        {int} NOT NULL,
    key_id           TEXT NOT NULL,
    pdf_key          TEXT NOT NULL,
    pdf_sha256       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'valid',
    status_reason    TEXT,
    status_at        {int},
    UNIQUE (submission_id, pipeline_version)
);
CREATE TABLE IF NOT EXISTS tlog_entries (
    idx        {int} PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    entry      {blob} NOT NULL,
    created_at {int} NOT NULL,
    UNIQUE (kind, subject)
);
CREATE TABLE IF NOT EXISTS tlog_checkpoints (
    size       {int} PRIMARY KEY,
    note       {blob} NOT NULL,
    signed_at  {int} NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    disabled     {int} NOT NULL DEFAULT 0,
    created_at   {int} NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256     TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL REFERENCES users(name),
    csrf_token    TEXT NOT NULL,
    created_at    {int} NOT NULL,
    expires_at_ms {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_name);
CREATE TABLE IF NOT EXISTS submission_meta (
    submission_id  TEXT PRIMARY KEY,
    dossier_code   TEXT,
    procedure_code TEXT,
    operator       TEXT
);
CREATE TABLE IF NOT EXISTS result_codes (
    document_id    TEXT PRIMARY KEY,
    dossier_code   TEXT NOT NULL,
    procedure_code TEXT,
    n              {int} NOT NULL,
    UNIQUE (dossier_code, n)
);
CREATE TABLE IF NOT EXISTS review_decisions (
    submission_id    TEXT NOT NULL,
    pipeline_version TEXT NOT NULL,
    decision         TEXT NOT NULL,
    actor            TEXT NOT NULL,
    decided_at       {int} NOT NULL,
    detail_json      TEXT NOT NULL,
    completed_at     {int},
    PRIMARY KEY (submission_id, pipeline_version)
);
CREATE INDEX IF NOT EXISTS documents_by_issue ON documents (issued_at, document_id);
CREATE TABLE IF NOT EXISTS audit_log (
    seq         {serial},
    at          {int} NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE TABLE IF NOT EXISTS reprocess_runs (
    run_id         TEXT PRIMARY KEY,
    target_version TEXT NOT NULL,
    selection_json TEXT NOT NULL,
    created_at     {int} NOT NULL,
    finished_at    {int}
);
CREATE TABLE IF NOT EXISTS reprocess_items (
    run_id        TEXT NOT NULL REFERENCES reprocess_runs(run_id),
    submission_id TEXT NOT NULL,
    outcome       TEXT,
    detail_json   TEXT,
    done_at       {int},
    PRIMARY KEY (run_id, submission_id)
);
CREATE TABLE IF NOT EXISTS archive_files (
    source        TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    taken_at      {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_files_by_submission
    ON archive_files (submission_id, taken_at, source);
CREATE TABLE IF NOT EXISTS submission_received (
    submission_id TEXT PRIMARY KEY,
    received_at   {int} NOT NULL
);
CREATE TABLE IF NOT EXISTS submission_parts (
    source_id  TEXT NOT NULL,
    first_page {int} NOT NULL,
    last_page  {int} NOT NULL,
    part_id    TEXT NOT NULL,
    PRIMARY KEY (source_id, first_page)
);
CREATE INDEX IF NOT EXISTS submission_parts_by_part ON submission_parts (part_id);
CREATE TABLE IF NOT EXISTS submission_channel (
    submission_id TEXT PRIMARY KEY,
    channel       TEXT NOT NULL
);
"#;

/// The shared schema with `integer` as the 64-bit integer type, `blob` as
/// the byte-string type and `serial` as the self-numbering primary key.
pub fn schema(integer: &str, blob: &str, serial: &str) -> String {
    SCHEMA
        .replace("{int}", integer)
        .replace("{blob}", blob)
        .replace("{serial}", serial)
}

/// Which jobs a worker may take, as a condition on `jobs j` and `clock`: a
/// queued job that is due, or a leased one whose lease expired (its worker
/// stopped heartbeating).
const AVAILABLE: &str = "j.state IN ('queued', 'processing')
        AND ((j.state = 'queued' AND j.available_at <= clock.now)
          OR (j.state = 'processing' AND j.lease_expires < clock.now))";

/// The next job to take, oldest first, as a `SELECT` of `columns` from
/// `jobs j` and `clock`.
pub fn next_job(columns: &str) -> String {
    format!("SELECT {columns} FROM jobs j, clock WHERE {AVAILABLE} ORDER BY j.available_at LIMIT 1")
}

/// What taking a job sets, as an `UPDATE jobs SET` list: `$1` is the new
/// lease's token, `$2` the worker, `$3` the lease's length in milliseconds.
/// The first start is kept on every retry: it is the document's issue time.
pub const TAKE: &str = "state = 'processing', attempts = attempts + 1,
        lease_token = $1, lease_owner = $2, lease_expires = clock.now + $3,
        started_at = clock.now, first_started_at = COALESCE(first_started_at, clock.now)";

/// What the claim returns of the job it took.
pub const CLAIMED: &str = "submission_id, pipeline_version, attempts, first_started_at";

/// The `WITH` clause that makes `clock.now` one reading of the database's
/// clock for a whole statement.
pub fn with_clock<B: Backend>() -> String {
    format!("WITH clock AS (SELECT {} AS now)", B::NOW_MS)
}

/// What one SQL database brings to the shared state machine.
pub trait Backend: Send + Sync + 'static {
    /// The connection pool statements run on.
    type Db: Db;

    /// The current time in Unix milliseconds, as an SQL expression of the
    /// database's clock.
    const NOW_MS: &'static str;

    /// The current time in Unix seconds, as an SQL expression.
    const NOW_SECS: &'static str;

    /// What a `SELECT` inside a transaction ends with to lock the rows it
    /// reads until the transaction ends (empty where the first write of a
    /// transaction locks the whole database).
    const FOR_UPDATE: &'static str;

    /// The statement that, first in a transaction, serialises appends to the
    /// transparency log until the transaction ends (empty where the
    /// transaction's first write takes the whole database's write lock).
    const LOG_LOCK: &'static str;

    /// The document type of a job's record (`j.record_json`), as an SQL
    /// expression that is `NULL` when there is no record.
    const RECORD_DOC_TYPE: &'static str;

    /// The single statement that takes the next available job ([`next_job`])
    /// for a worker: it sets [`TAKE`] and returns [`CLAIMED`], binding `$1`
    /// to `$3` as [`TAKE`] says, and two workers never take the same job.
    fn claim_sql() -> String;

    /// The pool.
    fn db(&self) -> &Self::Db;
}

/// A value bound to a statement's parameter.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Text.
    Text(&'a str),
    /// Text or `NULL`.
    MaybeText(Option<&'a str>),
    /// A 64-bit integer.
    Int(i64),
    /// Bytes.
    Bytes(&'a [u8]),
}

/// A statement and the values of its parameters `$1`, `$2`, …, in order.
#[derive(Debug, Clone)]
pub struct Stmt<'a> {
    sql: String,
    args: Vec<Arg<'a>>,
}

impl<'a> Stmt<'a> {
    /// A statement without arguments yet.
    pub fn new(sql: impl Into<String>) -> Stmt<'a> {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Binds the next parameter to text.
    pub fn text(mut self, value: &'a str) -> Stmt<'a> {
        self.args.push(Arg::Text(value));
        self
    }

    /// Binds the next parameter to text or `NULL`.
    pub fn maybe_text(mut self, value: Option<&'a str>) -> Stmt<'a> {
        self.args.push(Arg::MaybeText(value));
        self
    }

    /// Binds the next parameter to an integer.
    pub fn int(mut self, value: i64) -> Stmt<'a> {
        self.args.push(Arg::Int(value));
        self
    }

    /// Binds the next parameter to bytes.
    pub fn bytes(mut self, value: &'a [u8]) -> Stmt<'a> {
        self.args.push(Arg::Bytes(value));
        self
    }

    fn query<DB>(&self) -> sqlx::query::Query<'_, DB, <DB as Database>::Arguments<'_>>
    where
        DB: Database,
        for<'q> &'q str: Encode<'q, DB> + Type<DB>,
        for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
        for<'q> i64: Encode<'q, DB> + Type<DB>,
        for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    {
        self.args
            .iter()
            .fold(sqlx::query(&self.sql), |q, arg| match *arg {
                Arg::Text(s) => q.bind(s),
                Arg::MaybeText(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
                Arg::Bytes(b) => q.bind(b),
            })
    }
}

/// Reading a row's columns by name.
pub trait Fields {
    /// A text column.
    fn text(&self, column: &str) -> Result<String, QueueError>;
    /// A text column that may be `NULL`.
    fn maybe_text(&self, column: &str) -> Result<Option<String>, QueueError>;
    /// An integer column.
    fn int(&self, column: &str) -> Result<i64, QueueError>;
    /// An integer column that may be `NULL`.
    fn maybe_int(&self, column: &str) -> Result<Option<i64>, QueueError>;
    /// A byte-string column.
    fn bytes(&self, column: &str) -> Result<Vec<u8>, QueueError>;
}

impl<R> Fields for R
where
    R: sqlx::Row,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    fn text(&self, column: &str) -> Result<String, QueueError> {
        Ok(self.try_get(column)?)
    }

    fn maybe_text(&self, column: &str) -> Result<Option<String>, QueueError> {
        Ok(self.try_get(column)?)
    }

    fn int(&self, column: &str) -> Result<i64, QueueError> {
        Ok(self.try_get(column)?)
    }

    fn maybe_int(&self, column: &str) -> Result<Option<i64>, QueueError> {
        Ok(self.try_get(column)?)
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>, QueueError> {
        Ok(self.try_get(column)?)
    }
}

/// Running statements: on the pool, or inside a transaction.
pub trait Db: Send + Sync + 'static {
    /// An open transaction.
    type Tx: Send;
    /// A row read back.
    type Row: Fields + Send;

    /// Begins a transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, QueueError>> + Send;

    /// Commits a transaction.
    fn commit(tx: Self::Tx) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Runs a statement. (A statement that must say whether it changed a
    /// row returns it: `RETURNING`.)
    fn execute(
        &self,
        tx: Option<&mut Self::Tx>,
        stmt: Stmt<'_>,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Runs a statement; returns its first row, if any.
    fn fetch_optional(
        &self,
        tx: Option<&mut Self::Tx>,
        stmt: Stmt<'_>,
    ) -> impl Future<Output = Result<Option<Self::Row>, QueueError>> + Send;

    /// Runs a statement on the pool; returns all its rows.
    fn fetch_all(
        &self,
        stmt: Stmt<'_>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueueError>> + Send;
}

impl<DB> Db for Pool<DB>
where
    DB: Database,
    DB::Row: Fields,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
{
    type Tx = sqlx::Transaction<'static, DB>;
    type Row = DB::Row;

    async fn begin(&self) -> Result<Self::Tx, QueueError> {
        Ok(Pool::begin(self).await?)
    }

    async fn commit(tx: Self::Tx) -> Result<(), QueueError> {
        Ok(tx.commit().await?)
    }

    async fn execute(&self, tx: Option<&mut Self::Tx>, stmt: Stmt<'_>) -> Result<(), QueueError> {
        let query = stmt.query::<DB>();
        match tx {
            Some(tx) => query.execute(&mut **tx).await?,
            None => query.execute(self).await?,
        };
        Ok(())
    }

    async fn fetch_optional(
        &self,
        tx: Option<&mut Self::Tx>,
        stmt: Stmt<'_>,
    ) -> Result<Option<DB::Row>, QueueError> {
        let query = stmt.query::<DB>();
        Ok(match tx {
            Some(tx) => query.fetch_optional(&mut **tx).await?,
            None => query.fetch_optional(self).await?,
        })
    }

    async fn fetch_all(&self, stmt: Stmt<'_>) -> Result<Vec<DB::Row>, QueueError> {
        Ok(stmt.query::<DB>().fetch_all(self).await?)
    }
}

/// A duration in milliseconds, saturating far beyond any lease.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A count read back, as a `u64`.
pub fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// The one row a statement must return.
pub async fn fetch_one<D: Db>(
    db: &D,
    tx: Option<&mut D::Tx>,
    stmt: Stmt<'_>,
) -> Result<D::Row, QueueError> {
    db.fetch_optional(tx, stmt)
        .await?
        .ok_or(QueueError::Db(sqlx::Error::RowNotFound))
}

fn job_view(row: &impl Fields) -> Result<JobView, QueueError> {
    Ok(JobView {
        submission_id: row.text("submission_id")?,
        name: row.text("name")?,
        state: JobState::parse(&row.text("state")?)?,
        attempts: row.int("attempts")?.clamp(0, u32::MAX as i64) as u32,
        error: row.maybe_text("error")?,
        record_json: row.maybe_text("record_json")?,
        document_id: row.maybe_text("document_id")?,
        pdf_key: row.maybe_text("pdf_key")?,
    })
}

fn document_row(row: &impl Fields) -> Result<DocumentRow, QueueError> {
    Ok(DocumentRow {
        document_id: row.text("document_id")?,
        submission_id: row.text("submission_id")?,
        doc_type: row.text("doc_type")?,
        issued_at: row.int("issued_at")?,
        key_id: row.text("key_id")?,
        pdf_key: row.text("pdf_key")?,
        pdf_sha256: row.text("pdf_sha256")?,
        status: DocumentStatus::parse(&row.text("status")?)?,
        status_reason: row.maybe_text("status_reason")?,
        status_at: row.maybe_int("status_at")?,
    })
}

/// Inserts an issued document's row in a transaction, unless the submission
/// and version already have one, and supersedes older versions' documents;
/// returns the id of the document the pair holds (the first completion's, on
/// a retry).
pub async fn insert_document<B: Backend>(
    db: &B::Db,
    tx: &mut <B::Db as Db>::Tx,
    submission_id: &str,
    version: &str,
    d: &DocumentRow,
) -> Result<String, QueueError> {
    let insert = Stmt::new(
        "INSERT INTO documents (document_id, submission_id, pipeline_version, doc_type,
                 issued_at, key_id, pdf_key, pdf_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT DO NOTHING
             RETURNING document_id",
    )
    .text(&d.document_id)
    .text(submission_id)
    .text(version)
    .text(&d.doc_type)
    .int(d.issued_at)
    .text(&d.key_id)
    .text(&d.pdf_key)
    .text(&d.pdf_sha256);
    if db.fetch_optional(Some(&mut *tx), insert).await?.is_some() {
        let reason = superseded_reason(&d.document_id, version);
        let supersede = Stmt::new(format!(
            "UPDATE documents SET status = 'superseded', status_reason = $1,
                     status_at = {}
                 WHERE submission_id = $2 AND document_id <> $3 AND status = 'valid'
                   AND issued_at <= $4",
            B::NOW_SECS
        ))
        .text(&reason)
        .text(submission_id)
        .text(&d.document_id)
        .int(d.issued_at);
        db.execute(Some(&mut *tx), supersede).await?;
    }
    // A retry, or a stale worker finishing late, finds the document
    // the first completion stored and points the job at it.
    let stored = Stmt::new(
        "SELECT document_id FROM documents
             WHERE submission_id = $1 AND pipeline_version = $2",
    )
    .text(submission_id)
    .text(version);
    let Some(stored) = db.fetch_optional(Some(&mut *tx), stored).await? else {
        return Err(QueueError::Corrupt(format!(
            "document id `{}` is already taken by another submission",
            d.document_id
        )));
    };
    stored.text("document_id")
}

impl<B: Backend> Jobs for B {
    async fn submit(
        &self,
        sub: &NewSubmission,
        version: &str,
        force: bool,
    ) -> Result<Submitted, QueueError> {
        let db = self.db();
        // The first statement writes, so SQLite takes the write lock up front.
        let mut tx = db.begin().await?;
        let insert_submission = Stmt::new(format!(
            "INSERT INTO submissions (id, name, size, media_type, scan_key, received_at)
             VALUES ($1, $2, $3, $4, $5, {}) ON CONFLICT (id) DO NOTHING",
            B::NOW_MS
        ));
        let size = i64::try_from(sub.size).unwrap_or(i64::MAX);
        let insert_submission = insert_submission
            .text(&sub.id)
            .text(&sub.name)
            .int(size)
            .text(&sub.media_type)
            .text(&sub.scan_key);
        db.execute(Some(&mut tx), insert_submission).await?;
        let insert_job = Stmt::new(format!(
            "{} INSERT INTO jobs (submission_id, pipeline_version, state, available_at, enqueued_at)
             SELECT $1, $2, 'queued', clock.now, clock.now FROM clock WHERE true
             ON CONFLICT (submission_id, pipeline_version) DO NOTHING
             RETURNING state",
            with_clock::<B>()
        ));
        let inserted = db
            .fetch_optional(Some(&mut tx), insert_job.text(&sub.id).text(version))
            .await?;
        let outcome = if inserted.is_some() {
            Submitted::Queued
        } else {
            let state = Stmt::new(format!(
                "SELECT state FROM jobs WHERE submission_id = $1 AND pipeline_version = $2{}",
                B::FOR_UPDATE
            ));
            let state = fetch_one(db, Some(&mut tx), state.text(&sub.id).text(version)).await?;
            let state = JobState::parse(&state.text("state")?)?;
            let documents = Stmt::new(
                "SELECT COUNT(*) AS n FROM documents
                 WHERE submission_id = $1 AND pipeline_version = $2",
            );
            let documents =
                fetch_one(db, Some(&mut tx), documents.text(&sub.id).text(version)).await?;
            let has_document = documents.int("n")? > 0;
            // A person's decision (even an approval still being completed)
            // stands like a document: the job is not run again under it.
            let decisions = Stmt::new(
                "SELECT COUNT(*) AS n FROM review_decisions
                 WHERE submission_id = $1 AND pipeline_version = $2",
            );
            let decisions =
                fetch_one(db, Some(&mut tx), decisions.text(&sub.id).text(version)).await?;
            let decided = decisions.int("n")? > 0;
            // A finished job without a document may be run again when asked;
            // an issued document stays the only one for its version.
            if force && state.is_final() && !has_document && !decided {
                let requeue = Stmt::new(format!(
                    "{} UPDATE jobs SET state = 'queued', attempts = 0, error = NULL,
                         lease_token = NULL, available_at = clock.now, enqueued_at = clock.now
                     FROM clock
                     WHERE submission_id = $1 AND pipeline_version = $2",
                    with_clock::<B>()
                ));
                db.execute(Some(&mut tx), requeue.text(&sub.id).text(version))
                    .await?;
                Submitted::Requeued
            } else {
                Submitted::AlreadyKnown(state)
            }
        };
        B::Db::commit(tx).await?;
        Ok(outcome)
    }

    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        max_attempts: u32,
    ) -> Result<Option<Lease>, QueueError> {
        let db = self.db();
        loop {
            let token = super::new_token();
            let claim = Stmt::new(B::claim_sql())
                .text(&token)
                .text(worker)
                .int(millis(lease_for));
            let Some(row) = db.fetch_optional(None, claim).await? else {
                return Ok(None);
            };
            let submission_id = row.text("submission_id")?;
            let pipeline_version = row.text("pipeline_version")?;
            let attempt = row.int("attempts")?.clamp(0, u32::MAX as i64) as u32;
            let first_started_ms = row.int("first_started_at")?;
            if attempt > max_attempts {
                // Its workers kept dying: fail it rather than loop, and look
                // for another job.
                let give_up = Stmt::new(format!(
                    "UPDATE jobs SET state = 'failed', finished_at = {}, lease_token = NULL,
                         error = COALESCE(error || '; ', '') || $1
                     WHERE submission_id = $2 AND pipeline_version = $3 AND lease_token = $4",
                    B::NOW_MS
                ));
                let error = format!(
                    "gave up after {max_attempts} attempts (the worker stopped or crashed each time)"
                );
                let give_up = give_up
                    .text(&error)
                    .text(&submission_id)
                    .text(&pipeline_version)
                    .text(&token);
                db.execute(None, give_up).await?;
                continue;
            }
            let submission =
                Stmt::new("SELECT name, scan_key, media_type FROM submissions WHERE id = $1");
            let submission = fetch_one(db, None, submission.text(&submission_id)).await?;
            return Ok(Some(Lease {
                submission_id,
                pipeline_version,
                token,
                attempt,
                first_started_at: first_started_ms.div_euclid(1000),
                name: submission.text("name")?,
                scan_key: submission.text("scan_key")?,
                media_type: submission.text("media_type")?,
            }));
        }
    }

    async fn heartbeat(&self, lease: &Lease, lease_for: Duration) -> Result<bool, QueueError> {
        let extend = Stmt::new(format!(
            "UPDATE jobs SET lease_expires = {} + $1
             WHERE submission_id = $2 AND pipeline_version = $3
               AND lease_token = $4 AND state = 'processing'
             RETURNING lease_expires",
            B::NOW_MS
        ));
        let extend = extend
            .int(millis(lease_for))
            .text(&lease.submission_id)
            .text(&lease.pipeline_version)
            .text(&lease.token);
        Ok(self.db().fetch_optional(None, extend).await?.is_some())
    }

    async fn complete(&self, lease: &Lease, done: &Completion) -> Result<(), QueueError> {
        let db = self.db();
        let mut tx = db.begin().await?;
        let mut document_id = None;
        if let Some(d) = &done.document {
            document_id = Some(
                insert_document::<B>(
                    db,
                    &mut tx,
                    &lease.submission_id,
                    &lease.pipeline_version,
                    d,
                )
                .await?,
            );
        }
        let finish = Stmt::new(format!(
            "UPDATE jobs SET state = $1, finished_at = {}, lease_token = NULL, error = NULL,
                 record_json = $2, record_key = $3, text_key = $4, document_id = $5
             WHERE submission_id = $6 AND pipeline_version = $7",
            B::NOW_MS
        ))
        .text(done.state.as_str())
        .text(&done.record_json)
        .text(&done.record_key)
        .text(&done.text_key)
        .maybe_text(document_id.as_deref())
        .text(&lease.submission_id)
        .text(&lease.pipeline_version);
        db.execute(Some(&mut tx), finish).await?;
        B::Db::commit(tx).await
    }

    async fn fail(&self, lease: &Lease, error: &str) -> Result<(), QueueError> {
        let fail = Stmt::new(format!(
            "UPDATE jobs SET state = 'failed', finished_at = {}, lease_token = NULL, error = $1
             WHERE submission_id = $2 AND pipeline_version = $3 AND state = 'processing'
               AND lease_token = $4",
            B::NOW_MS
        ))
        .text(error)
        .text(&lease.submission_id)
        .text(&lease.pipeline_version)
        .text(&lease.token);
        self.db().execute(None, fail).await?;
        Ok(())
    }

    async fn release(&self, lease: &Lease, error: &str, delay: Duration) -> Result<(), QueueError> {
        // The attempt this lease counted is given back: the job did not fail.
        let release = Stmt::new(format!(
            "UPDATE jobs SET state = 'queued',
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                 lease_token = NULL, error = $1, available_at = {} + $2
             WHERE submission_id = $3 AND pipeline_version = $4 AND lease_token = $5",
            B::NOW_MS
        ))
        .text(error)
        .int(millis(delay))
        .text(&lease.submission_id)
        .text(&lease.pipeline_version)
        .text(&lease.token);
        self.db().execute(None, release).await?;
        Ok(())
    }

    async fn unfinished(&self) -> Result<u64, QueueError> {
        let unfinished =
            Stmt::new("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'processing')");
        Ok(count(
            fetch_one(self.db(), None, unfinished).await?.int("n")?,
        ))
    }
}

impl<B: Backend> Registry for B {
    async fn job(&self, submission_id: &str, version: &str) -> Result<Option<JobView>, QueueError> {
        let job = Stmt::new(
            "SELECT j.submission_id, s.name, j.state, j.attempts, j.error, j.record_json,
                    j.document_id, d.pdf_key
             FROM jobs j JOIN submissions s ON s.id = j.submission_id
             LEFT JOIN documents d ON d.document_id = j.document_id
             WHERE j.submission_id = $1 AND j.pipeline_version = $2",
        )
        .text(submission_id)
        .text(version);
        let row = self.db().fetch_optional(None, job).await?;
        row.as_ref().map(job_view).transpose()
    }

    async fn document(&self, document_id: &str) -> Result<Option<DocumentRow>, QueueError> {
        let document =
            Stmt::new("SELECT * FROM documents WHERE document_id = $1").text(document_id);
        let row = self.db().fetch_optional(None, document).await?;
        row.as_ref().map(document_row).transpose()
    }

    async fn revoke_document(
        &self,
        document_id: &str,
        reason: &str,
    ) -> Result<Option<DocumentRow>, QueueError> {
        // The first revocation's time and reason stand.
        let revoke = Stmt::new(format!(
            "UPDATE documents SET status = 'revoked', status_reason = $1, status_at = {}
             WHERE document_id = $2 AND status <> 'revoked'",
            B::NOW_SECS
        ))
        .text(reason)
        .text(document_id);
        self.db().execute(None, revoke).await?;
        self.document(document_id).await
    }
}

impl<B: Backend> Stats for B {
    async fn status(&self) -> Result<StatusReport, QueueError> {
        let db = self.db();
        let clock = Stmt::new(format!("SELECT {} AS now", B::NOW_MS));
        let now = fetch_one(db, None, clock).await?.int("now")?;
        let received = Stmt::new("SELECT COUNT(*) AS n FROM submissions");
        let mut r = StatusReport {
            received: count(fetch_one(db, None, received).await?.int("n")?),
            ..StatusReport::default()
        };
        let by_state = Stmt::new("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state");
        for row in db.fetch_all(by_state).await? {
            let n = count(row.int("n")?);
            match JobState::parse(&row.text("state")?)? {
                JobState::Queued => r.queued = n,
                JobState::Processing => r.processing = n,
                JobState::Issued => r.issued = n,
                JobState::NeedsReview => r.needs_review = n,
                JobState::Failed => r.failed = n,
                JobState::Rejected => r.rejected = n,
            }
        }
        let recent =
            Stmt::new("SELECT COUNT(*) AS n FROM jobs WHERE finished_at >= $1").int(now - 600_000);
        r.finished_last_10_min = count(fetch_one(db, None, recent).await?.int("n")?);
        let oldest =
            Stmt::new("SELECT MIN(enqueued_at) AS oldest FROM jobs WHERE state = 'queued'");
        let oldest = fetch_one(db, None, oldest).await?.maybe_int("oldest")?;
        r.oldest_waiting_secs = oldest.map(|t| (now - t).max(0) / 1000);
        let timings = Stmt::new(
            "SELECT finished_at - started_at AS ms FROM jobs
             WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
             ORDER BY finished_at DESC LIMIT 1000",
        );
        let mut times = Vec::new();
        for row in db.fetch_all(timings).await? {
            times.push(row.int("ms")?.max(0) as f64 / 1000.0);
        }
        times.sort_by(f64::total_cmp);
        r.p50_secs = percentile(&times, 50.0);
        r.p95_secs = percentile(&times, 95.0);
        let errors = Stmt::new(
            "SELECT j.submission_id, s.name, j.error
             FROM jobs j JOIN submissions s ON s.id = j.submission_id
             WHERE j.error IS NOT NULL
             ORDER BY COALESCE(j.finished_at, j.available_at) DESC LIMIT 5",
        );
        for row in db.fetch_all(errors).await? {
            r.last_errors.push((
                row.text("submission_id")?,
                row.text("name")?,
                row.text("error")?,
            ));
        }
        Ok(r)
    }

    async fn breakdown(&self, days: u32) -> Result<Breakdown, QueueError> {
        const DAY_MS: i64 = 86_400_000;
        let db = self.db();
        let clock = Stmt::new(format!("SELECT {} AS now", B::NOW_MS));
        let now = fetch_one(db, None, clock).await?.int("now")?;
        let since = (now / DAY_MS - i64::from(days.saturating_sub(1))) * DAY_MS;
        let daily = Stmt::new(format!(
            "SELECT j.finished_at / {DAY_MS} AS day, COALESCE({}, 'unknown') AS doc_type,
                    j.state AS state, COUNT(*) AS n
             FROM jobs j WHERE j.finished_at IS NOT NULL AND j.finished_at >= $1
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            B::RECORD_DOC_TYPE
        ))
        .int(since);
        let mut out = Breakdown::default();
        for row in db.fetch_all(daily).await? {
            let day = time::OffsetDateTime::from_unix_timestamp(row.int("day")? * 86_400)
                .map_err(|e| QueueError::Corrupt(format!("day: {e}")))?
                .date();
            out.daily.push(DailyCount {
                day: day.to_string(),
                doc_type: row.text("doc_type")?,
                state: row.text("state")?,
                count: count(row.int("n")?),
            });
        }
        let oldest = Stmt::new(
            "SELECT submission_id, finished_at FROM jobs
             WHERE state = 'needs_review' AND finished_at IS NOT NULL
             ORDER BY finished_at, submission_id LIMIT 1",
        );
        if let Some(row) = db.fetch_optional(None, oldest).await? {
            out.oldest_review = Some((row.text("submission_id")?, row.int("finished_at")?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        Completion, DocumentRow, DocumentStatus, JobState, Jobs, Lease, NewSubmission, Registry,
        SqliteQueue, Stats, Submitted,
    };
    use std::time::Duration;

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

    /// The lease `worker` takes for `ms` milliseconds, if any.
    async fn lease(q: &SqliteQueue, worker: &str, ms: u64, max_attempts: u32) -> Option<Lease> {
        q.lease(worker, Duration::from_millis(ms), max_attempts)
            .await
            .unwrap()
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
        let l1 = lease(&q, "w1", 60000, 3).await.unwrap();
        let l2 = lease(&q, "w2", 60000, 3).await.unwrap();
        assert_ne!(l1.submission_id, l2.submission_id);
        assert!(lease(&q, "w3", 60000, 3).await.is_none());
        let s = q.status().await.unwrap();
        assert_eq!((s.received, s.processing), (2, 2));
    }

    #[tokio::test]
    async fn an_expired_lease_is_taken_again_and_gives_up_after_max_attempts() {
        let (_d, q) = open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let first = lease(&q, "w1", 0, 2).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let second = lease(&q, "w2", 0, 2).await.unwrap();
        assert_eq!(second.attempt, 2);
        assert_eq!(second.first_started_at, first.first_started_at);
        assert!(!q.heartbeat(&first, Duration::from_secs(1)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(lease(&q, "w3", 60000, 2).await.is_none());
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert!(job.error.unwrap().contains("gave up"));
    }

    #[tokio::test]
    async fn completing_twice_keeps_one_document() {
        let (_d, q) = open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let lease = lease(&q, "w1", 60000, 3).await.unwrap();
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
            let l = lease(&q, "w", 60000, 2).await.unwrap();
            assert_eq!(l.attempt, 1);
            q.release(&l, "storage unreachable", Duration::ZERO)
                .await
                .unwrap();
        }
    }
}
