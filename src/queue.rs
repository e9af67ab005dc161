//! The job queue and the registry of submissions and issued documents. Only
//! this module knows SQL.
//!
//! A job is one submission through one pipeline version. A worker leases a job
//! for a while and heartbeats to keep it; a lease that expires (the worker
//! crashed) makes the job available again. A job is completed only after its
//! outputs are durably stored, and the registry allows one document per
//! submission and pipeline version, so a retry can never issue a second one.
//!
//! Each consumer gets the narrowest trait it needs: [`Jobs`] (submit, lease,
//! heartbeat, complete, fail, release) for `submit` and the worker,
//! [`Registry`] (jobs and documents as they stand, revocation) for the status
//! endpoint and `revoke`, [`Stats`] (counts and timings) for `status`, and
//! [`LogEntries`] (the transparency log's entries and signed checkpoints) for
//! the worker, `revoke`, `keys revoke` and `log`; [`Staff`] (users, their
//! sessions and the append-only audit log) for `users`, `audit` and the
//! server's access control; and [`Reviews`] (what clerks say of a
//! submission, the review queue, people's decisions) for `review` and the
//! server.
//!
//! - `sql.rs`: the state machine and the registry, written once as SQL both
//!   databases run, over a small `Backend` trait for what differs.
//! - `log.rs`: the log's sequencing, written once the same way.
//! - `staff.rs`: users, sessions and the audit log, written once the same way.
//! - `review.rs`: submission facts, the review queue and decisions, the same way.
//! - `reprocess.rs`: reprocessing runs ([`Reprocessing`]: what a stored
//!   submission holds, runs and their items, an item finished in one
//!   transaction), the same way.
//! - `records.rs`: held records read out ([`Records`]: export and reuse by
//!   other systems) and submissions' times ([`Timeline`]: deadlines), the
//!   same way.
//! - `sqlite.rs`: [`SqliteQueue`], the embedded default.
//! - `postgres.rs`: [`PgQueue`], shared by many machines.
//! - `open.rs`: [`QueueUrl`] and [`AnyQueue`], the queue a URL names.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod intake;
mod log;
mod open;
mod postgres;
mod records;
mod reprocess;
mod results;
mod review;
mod sql;
mod sqlite;
mod staff;

pub use intake::{Channel, Intake, SubmissionPart};
pub use open::{AnyQueue, DbUrl, QueueUrl, QueueUrlError};
pub use postgres::PgQueue;
pub use sqlite::SqliteQueue;

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
    /// The SQLite file could not be created or made private.
    #[error("job database {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The transparency log refused an entry: other bytes are already logged
    /// for its subject, or it is too large. Retrying cannot help.
    #[error("transparency log: {0}")]
    LogRefused(String),
    /// The change clashes with what the database holds (a user name already
    /// taken, a session for a user who cannot log in). Retrying cannot help.
    #[error("{0}")]
    Conflict(String),
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
    /// Done: a person looked at the record and refused it; nothing was issued.
    Rejected,
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
            JobState::Rejected => "rejected",
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
            "rejected" => JobState::Rejected,
            other => return Err(QueueError::Corrupt(format!("job state `{other}`"))),
        })
    }

    /// Whether the job is finished.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Issued | JobState::NeedsReview | JobState::Failed | JobState::Rejected
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Jobs a person rejected.
    pub rejected: u64,
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

/// The jobs: what submitting and working on submissions needs. A job moves
/// `queued` → `processing` (leased) → `issued`, `needs_review` or `failed`;
/// only the holder of the current lease changes a leased job.
pub trait Jobs: Send + Sync + 'static {
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

    /// How many jobs are queued or leased: 0 when there is nothing left to do.
    fn unfinished(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;
}

/// The registry: submissions' jobs and issued documents as they stand, and
/// the office's word on a document.
pub trait Registry: Send + Sync + 'static {
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
}

/// Counts and timings, for people watching the queue.
pub trait Stats: Send + Sync + 'static {
    /// Counts, timings and last errors.
    fn status(&self) -> impl Future<Output = Result<StatusReport, QueueError>> + Send;

    /// Finished jobs of the last `days` days by day, document type and
    /// state, and the oldest record waiting for review.
    fn breakdown(&self, days: u32) -> impl Future<Output = Result<Breakdown, QueueError>> + Send;
}

/// Finished jobs of one day (UTC), document type and final state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyCount {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The document type read, or `unknown`.
    pub doc_type: String,
    /// The job's state.
    pub state: String,
    /// How many.
    pub count: u64,
}

/// What [`Stats::breakdown`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Breakdown {
    /// Finished jobs by day, type and state, oldest day first.
    pub daily: Vec<DailyCount>,
    /// The submission waiting longest for review, and since when (Unix ms).
    pub oldest_review: Option<(String, i64)>,
}

/// The kinds of transparency-log entries, with the subject each is unique by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An issued document; the subject is its document id.
    Document,
    /// A document the office revoked; the subject is its document id.
    DocumentRevocation,
    /// A signing key the office revoked; the subject is its key id.
    KeyRevocation,
}

impl EntryKind {
    /// The kind's name in the database and in revocation statements.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Document => "document",
            EntryKind::DocumentRevocation => "document_revocation",
            EntryKind::KeyRevocation => "key_revocation",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Result<EntryKind, QueueError> {
        Ok(match s {
            "document" => EntryKind::Document,
            "document_revocation" => EntryKind::DocumentRevocation,
            "key_revocation" => EntryKind::KeyRevocation,
            other => return Err(QueueError::Corrupt(format!("log entry kind `{other}`"))),
        })
    }
}

/// One sequenced transparency-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEntry {
    /// Its index in the log (0-based, without gaps).
    pub idx: u64,
    /// Its kind.
    pub kind: EntryKind,
    /// The document or key id it is about.
    pub subject: String,
    /// The logged bytes.
    pub entry: Vec<u8>,
    /// When it was sequenced (Unix seconds of the database's clock).
    pub created_at: i64,
}

/// A signed checkpoint of the transparency log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Its tree size.
    pub size: u64,
    /// The signed note.
    pub note: Vec<u8>,
    /// When it was signed (Unix seconds).
    pub signed_at: i64,
}

/// The largest entry the log takes: C2SP entry bundles prefix each entry
/// with a 16-bit length.
pub const MAX_LOG_ENTRY_BYTES: usize = u16::MAX as usize;

/// The transparency log's entries and checkpoints. Each entry gets the next
/// index without gaps; appending is idempotent by `(kind, subject)` (a
/// retried job appends the same bytes again and gets the index it had), and
/// other bytes for a subject already logged are refused.
pub trait LogEntries: Send + Sync + 'static {
    /// Appends an entry, returning it with its index.
    fn append(
        &self,
        kind: EntryKind,
        subject: &str,
        entry: &[u8],
    ) -> impl Future<Output = Result<LoggedEntry, QueueError>> + Send;

    /// Entries with `from <= idx < to`, in order.
    fn entries(
        &self,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<LoggedEntry>, QueueError>> + Send;

    /// The entry of a subject.
    fn find(
        &self,
        kind: EntryKind,
        subject: &str,
    ) -> impl Future<Output = Result<Option<LoggedEntry>, QueueError>> + Send;

    /// The number of entries.
    fn size(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// Records a signed checkpoint, unless one of that size exists; says
    /// whether it was recorded.
    fn add_checkpoint(
        &self,
        cp: &StoredCheckpoint,
    ) -> impl Future<Output = Result<bool, QueueError>> + Send;

    /// The earliest checkpoint holding entry `idx` (`size > idx`), or the
    /// latest one when `idx` is `None`.
    fn checkpoint(
        &self,
        idx: Option<u64>,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, QueueError>> + Send;
}

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads scans and reads what became of them.
    Clerk,
    /// A clerk who also approves and rejects records.
    Reviewer,
    /// Everything: also revokes documents, manages users, reads the audit log.
    Admin,
    /// Another agency's system: reads held records by citizen (`/v1/records`,
    /// `/v1/prefill`) and nothing else. Not a person: it never reaches the
    /// desk, and no person's role includes it, so a leaked staff token does
    /// not open lookups by citizen.
    System,
}

impl Role {
    /// Every role: the staff's, least power first, then `system`.
    pub const ALL: [Role; 4] = [Role::Clerk, Role::Reviewer, Role::Admin, Role::System];

    /// The role's name in the database, on the command line and in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Result<Role, QueueError> {
        Ok(match s {
            "clerk" => Role::Clerk,
            "reviewer" => Role::Reviewer,
            "admin" => Role::Admin,
            "system" => Role::System,
            other => {
                return Err(QueueError::Corrupt(format!(
                    "role `{other}` (expected clerk, reviewer, admin or system)"
                )))
            }
        })
    }

    /// Whether this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        use Role::*;
        match action {
            Action::Read | Action::Upload => matches!(self, Clerk | Reviewer | Admin),
            Action::Review => matches!(self, Reviewer | Admin),
            Action::Revoke | Action::ManageUsers | Action::ReadAudit => self == Admin,
            Action::ReadRecords => self == System,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = QueueError;

    fn from_str(s: &str) -> Result<Role, QueueError> {
        Role::parse(s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request or command asks to do, checked with [`Role::may`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read submissions, records, documents and the review queue.
    Read,
    /// Submit scans.
    Upload,
    /// Approve or reject a record.
    Review,
    /// Revoke an issued document.
    Revoke,
    /// Add and disable users.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read held records by citizen, for reuse by another system (the
    /// `records:read` scope).
    ReadRecords,
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The login name, unique.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// A disabled user's token and sessions no longer work.
    pub disabled: bool,
    /// Unix seconds of the user's creation.
    pub created_at: i64,
}

/// A logged-in session of the desk, as looked up by its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session it is (enabled, or the session would not be found).
    pub user: User,
    /// The token every form of the session must carry.
    pub csrf_token: String,
    /// Unix seconds after which the session no longer works.
    pub expires_at: i64,
}

/// One audit-log line as stored. The log is append-only; `seq` is assigned
/// by the database and increases with every line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// The line's number.
    pub seq: i64,
    /// Unix milliseconds of the database's clock when it was written.
    pub at: i64,
    /// Who did it: a user name, or the operating-system user of a command.
    pub actor: String,
    /// What was done, e.g. `user.add`, `submission.approve`.
    pub action: String,
    /// What it was done to: a user name, a submission or document id.
    pub subject: String,
    /// The subject before, when it matters.
    pub before: Option<serde_json::Value>,
    /// The subject after, when it matters.
    pub after: Option<serde_json::Value>,
}

/// An audit line to append.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    /// Who did it.
    pub actor: &'a str,
    /// What was done.
    pub action: &'a str,
    /// What it was done to.
    pub subject: &'a str,
    /// The subject before, when it matters.
    pub before: Option<&'a serde_json::Value>,
    /// The subject after, when it matters.
    pub after: Option<&'a serde_json::Value>,
}

/// Staff and access: users with a role and a hashed API token, the desk's
/// sessions (looked up by the SHA-256 of their cookie), and the append-only
/// audit log of every state change. Only SHA-256 hashes of tokens and
/// session ids are stored.
pub trait Staff: Send + Sync + 'static {
    /// Adds an enabled user whose token hashes to `token_sha256` (hex);
    /// [`QueueError::Conflict`] when the name is taken.
    fn add_user(
        &self,
        name: &str,
        role: Role,
        token_sha256: &str,
    ) -> impl Future<Output = Result<User, QueueError>> + Send;

    /// Every user, by name.
    fn users(&self) -> impl Future<Output = Result<Vec<User>, QueueError>> + Send;

    /// Disables a user and ends the user's sessions; returns the user as it
    /// then stands, or `None` when there is no such user.
    fn disable_user(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<User>, QueueError>> + Send;

    /// The enabled user whose token hashes to `token_sha256`, if any.
    fn user_for_token(
        &self,
        token_sha256: &str,
    ) -> impl Future<Output = Result<Option<User>, QueueError>> + Send;

    /// Opens a session of an enabled user for `ttl`, keyed by the SHA-256 of
    /// its id; [`QueueError::Conflict`] when the user is unknown or disabled.
    /// Sessions that have expired are deleted on the way.
    fn open_session(
        &self,
        session_sha256: &str,
        user: &str,
        csrf_token: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// The unexpired session of an enabled user with this id hash, if any.
    fn session(
        &self,
        session_sha256: &str,
    ) -> impl Future<Output = Result<Option<Session>, QueueError>> + Send;

    /// Ends a session (nothing happens when there is none).
    fn close_session(
        &self,
        session_sha256: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Appends a line to the audit log.
    fn audit(&self, entry: &NewAudit<'_>) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Audit lines with `seq > after`, oldest first, at most `limit`.
    fn audit_log(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, QueueError>> + Send;
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

/// Optional facts a clerk gives with a submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionMeta {
    /// The dossier (hồ sơ) the scan belongs to.
    pub dossier_code: Option<String>,
    /// The administrative procedure it is for.
    pub procedure_code: Option<String>,
    /// The clerk who received it.
    pub operator: Option<String>,
}

/// A needs-review job, for the review queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem {
    /// The submission.
    pub submission_id: String,
    /// Its file name.
    pub name: String,
    /// The document type read (`unknown` when none).
    pub doc_type: String,
    /// The fields up for review.
    pub needs_review: Vec<String>,
    /// Unix milliseconds of the job's end: the queue's order, with the id.
    pub finished_at: i64,
    /// What the clerk said of it.
    pub meta: SubmissionMeta,
}

/// What a person decided about a submission in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Issue the document with the values the person gave.
    Approve,
    /// Issue nothing.
    Reject,
}

impl DecisionKind {
    /// The kind's name in the database and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Result<DecisionKind, QueueError> {
        match s {
            "approve" => Ok(DecisionKind::Approve),
            "reject" => Ok(DecisionKind::Reject),
            other => Err(QueueError::Corrupt(format!("review decision `{other}`"))),
        }
    }
}

/// A person's decision on a job in review, as recorded. An approval is
/// recorded first and completed later (the document built from it, then the
/// job moved to `issued`); a rejection is complete when recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The submission.
    pub submission_id: String,
    /// The pipeline version of its job.
    pub pipeline_version: String,
    /// Approve or reject.
    pub kind: DecisionKind,
    /// Who decided.
    pub actor: String,
    /// Unix milliseconds of the database's clock when it was recorded.
    pub decided_at: i64,
    /// What was decided: an approval's values and which fields were
    /// corrected or confirmed, a rejection's reason.
    pub detail: serde_json::Value,
    /// Unix milliseconds when the job reached its final state, once it has.
    pub completed_at: Option<i64>,
}

/// What recording a decision found.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// The decision was recorded now.
    Recorded(Decision),
    /// A decision was recorded before; it stands.
    Standing(Decision),
    /// The job is not in review: its state, or `None` when there is no such job.
    NotInReview(Option<JobState>),
}

/// Result codes: a document's place in its dossier (`<dossier code>-KQ<n>`).
pub trait ResultCodes: Send + Sync + 'static {
    /// The dossier, procedure and result code of a document: assigned the
    /// first time from its submission's facts (the dossier's next number), the
    /// same ever after; `None` when the submission has no dossier code.
    fn result_for(
        &self,
        document_id: &str,
        submission_id: &str,
    ) -> impl Future<Output = Result<Option<crate::dossier::DossierResult>, QueueError>> + Send;

    /// The codes assigned to a document, without assigning any.
    fn result_code(
        &self,
        document_id: &str,
    ) -> impl Future<Output = Result<Option<crate::dossier::DossierResult>, QueueError>> + Send;
}

/// Review: what clerks say of a submission, the queue of jobs waiting for a
/// person, and people's decisions. A decision is recorded once per job; a
/// job with a decision is never queued again (`submit --force` leaves it).
pub trait Reviews: Send + Sync + 'static {
    /// Records (or replaces) the facts a clerk gave with a submission.
    fn set_meta(
        &self,
        submission_id: &str,
        meta: &SubmissionMeta,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// The facts a clerk gave with a submission (empty when none).
    fn meta(
        &self,
        submission_id: &str,
    ) -> impl Future<Output = Result<SubmissionMeta, QueueError>> + Send;

    /// needs_review jobs of `version`, oldest first by (finished_at,
    /// submission_id), strictly after `after`, of one type when `doc_type`
    /// says, at most `limit`.
    fn review_queue(
        &self,
        version: &str,
        doc_type: Option<&str>,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<ReviewItem>, QueueError>> + Send;

    /// The decision recorded on a job, if any.
    fn decision(
        &self,
        submission_id: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<Decision>, QueueError>> + Send;

    /// Records an approval of a job in review, to be completed by
    /// [`Reviews::complete_approval`]; the job stays `needs_review` until then.
    fn record_approval(
        &self,
        submission_id: &str,
        version: &str,
        actor: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = Result<Decided, QueueError>> + Send;

    /// Completes a recorded approval in one transaction: the document row
    /// (one per submission and version, as for [`Jobs::complete`]), the job
    /// `needs_review` → `issued` with the approved record, the decision
    /// marked complete and the audit line. Returns `false`, changing
    /// nothing, when the job is no longer in review; completing twice is
    /// harmless.
    fn complete_approval(
        &self,
        decision: &Decision,
        document: &DocumentRow,
        record_json: &str,
        record_key: &str,
    ) -> impl Future<Output = Result<bool, QueueError>> + Send;

    /// Rejects a job in review in one transaction: the decision, the job
    /// `needs_review` → `rejected` and the audit line.
    fn reject(
        &self,
        submission_id: &str,
        version: &str,
        actor: &str,
        reason: &str,
    ) -> impl Future<Output = Result<Decided, QueueError>> + Send;
}

/// A held record: the record of an issued document that still stands
/// (`valid`), approved by a person or issued by the machine alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldRecord {
    /// The document issued from it.
    pub document_id: String,
    /// The submission it was read from.
    pub submission_id: String,
    /// The pipeline version that read it.
    pub pipeline_version: String,
    /// The document type.
    pub doc_type: String,
    /// Unix seconds of issue.
    pub issued_at: i64,
    /// Who approved it, when a person did (the record then holds the
    /// approved values).
    pub approved_by: Option<String>,
    /// The record as JSON.
    pub record_json: String,
}

/// Held records read out: in pages by keyset for export, and by a
/// citizen's personal id for other systems' reuse.
pub trait Records: Send + Sync + 'static {
    /// Held records issued at or after `since` (Unix seconds), of one type
    /// when `doc_type` says, in the order of (issue time, document id),
    /// strictly after `after`, at most `limit`.
    fn records_page(
        &self,
        doc_type: Option<&str>,
        since: i64,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<HeldRecord>, QueueError>> + Send;

    /// Held records whose JSON holds the string `personal_id` anywhere,
    /// newest first, at most `limit` (the caller checks which field
    /// carries it).
    fn records_mentioning(
        &self,
        personal_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<HeldRecord>, QueueError>> + Send;
}

/// When a submission came in and when it was resolved, for deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionTimes {
    /// The submission.
    pub submission_id: String,
    /// The procedure it is for, as the clerk gave it.
    pub procedure_code: Option<String>,
    /// Unix milliseconds of its reception.
    pub received_at: i64,
    /// Unix milliseconds of its first resolution (a job of it issued or
    /// rejected), if any.
    pub resolved_at: Option<i64>,
    /// Whether it was received online (else at the desk).
    pub online: bool,
}

/// Submissions' times, for deadlines and on-time reporting.
pub trait Timeline: Send + Sync + 'static {
    /// Submissions received before `until` (Unix ms) that were not resolved
    /// before `since` (Unix ms): those a report of `since..until` counts.
    fn submission_times(
        &self,
        since: i64,
        until: i64,
    ) -> impl Future<Output = Result<Vec<SubmissionTimes>, QueueError>> + Send;
}

/// One job of a stored submission, as reprocessing judges it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobFacts {
    /// The pipeline version of the job.
    pub pipeline_version: String,
    /// Its state.
    pub state: JobState,
    /// Its record, once there is one.
    pub record_json: Option<String>,
    /// Its document, when one was issued.
    pub document_id: Option<String>,
    /// That document's status.
    pub document_status: Option<DocumentStatus>,
    /// A person's decision on the job, if any.
    pub decision: Option<DecisionKind>,
    /// Whether that decision was completed.
    pub decision_completed: bool,
    /// Unix milliseconds of the job's end, once it ended.
    pub finished_at: Option<i64>,
}

/// A stored submission with every job it had.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionFacts {
    /// The submission.
    pub submission_id: String,
    /// Unix milliseconds of its reception.
    pub received_at: i64,
    /// Where its scan is stored.
    pub scan_key: String,
    /// Its jobs, one per pipeline version.
    pub jobs: Vec<JobFacts>,
}

/// A reprocessing run as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    /// The run's id (from its selection and target version).
    pub run_id: String,
    /// The pipeline version it reprocesses to.
    pub target_version: String,
    /// The selection, as JSON.
    pub selection_json: String,
    /// Unix milliseconds of its creation (the issue time of what it issues).
    pub created_at: i64,
    /// Unix milliseconds of its end, once every item is done.
    pub finished_at: Option<i64>,
}

/// One submission of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    /// The submission.
    pub submission_id: String,
    /// What was done (`None` while pending).
    pub outcome: Option<String>,
    /// What was found and done, as JSON (`None` while pending).
    pub detail_json: Option<String>,
}

/// What one finished item records.
#[derive(Debug, Clone, Copy)]
pub struct ItemDone<'a> {
    /// The run.
    pub run_id: &'a str,
    /// The submission.
    pub submission_id: &'a str,
    /// The run's target version (the new job's version).
    pub version: &'a str,
    /// Issue time of the run, Unix milliseconds (the new job's first start).
    pub started_at: i64,
    /// The new job's outputs, when the item issued or opened a review.
    pub completion: Option<&'a Completion>,
    /// The outcome's name.
    pub outcome: &'a str,
    /// What was found and done, as JSON.
    pub detail_json: &'a str,
    /// Who ran it, for the audit line.
    pub actor: &'a str,
}

/// Reprocessing stored submissions: what each holds, runs recorded with
/// their items, and an item finished exactly once (its new job, document,
/// supersession, audit line and outcome in one transaction).
pub trait Reprocessing: Send + Sync + 'static {
    /// Submissions with ids after `after`, by id, at most `limit`, with their jobs.
    fn submission_facts_page(
        &self,
        after: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<SubmissionFacts>, QueueError>> + Send;

    /// One submission with its jobs.
    fn submission_facts(
        &self,
        submission_id: &str,
    ) -> impl Future<Output = Result<Option<SubmissionFacts>, QueueError>> + Send;

    /// The run `run_id`, if recorded.
    fn reprocess_run(
        &self,
        run_id: &str,
    ) -> impl Future<Output = Result<Option<RunRow>, QueueError>> + Send;

    /// Records a run with its items in one transaction, unless it is
    /// recorded already; returns the run as it stands.
    fn start_run(
        &self,
        run_id: &str,
        target_version: &str,
        selection_json: &str,
        items: &[String],
    ) -> impl Future<Output = Result<RunRow, QueueError>> + Send;

    /// Every item of a run, by submission id.
    fn run_items(
        &self,
        run_id: &str,
    ) -> impl Future<Output = Result<Vec<ItemRow>, QueueError>> + Send;

    /// Finishes a pending item in one transaction: its outcome, and with a
    /// completion the new job (one per submission and version), its
    /// document (superseding older ones) and an audit line. Returns `false`,
    /// changing nothing, when the item was finished before.
    fn finish_item(
        &self,
        done: &ItemDone<'_>,
    ) -> impl Future<Output = Result<bool, QueueError>> + Send;

    /// Marks a run finished (once).
    fn finish_run(&self, run_id: &str) -> impl Future<Output = Result<(), QueueError>> + Send;
}
