//! The queue a [`QueueUrl`] names, opened as one type the rest of the program
//! can be generic over.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{AuditEntry, NewAudit, Role, Session, Staff, User};
use super::{
    Breakdown, Completion, DocumentRow, EntryKind, JobView, Jobs, Lease, LogEntries, LoggedEntry,
    NewSubmission, PgQueue, QueueError, Registry, SqliteQueue, Stats, StatusReport,
    StoredCheckpoint, Submitted,
};
use super::{Decided, Decision, ReviewItem, Reviews, SubmissionMeta};
use super::{HeldRecord, Records, SubmissionTimes, Timeline};
use super::{ItemDone, ItemRow, Reprocessing, RunRow, SubmissionFacts};
use super::{Intake, SubmissionPart};
use crate::dispatch::dispatch;

/// A queue URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("queue `{url}`: {reason}")]
pub struct QueueUrlError {
    /// The URL, with any password hidden.
    pub url: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

/// A PostgreSQL connection URL. `Display` and `Debug` hide its password
/// (in the user information or a `password` parameter).
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl(String);

impl DbUrl {
    /// The URL with its password, to connect with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::url(&self.0))
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self})")
    }
}

/// Where the job queue and registry live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueUrl {
    /// `sqlite://PATH` (`sqlite:///abs/path` or `sqlite://relative/path`).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, as libpq and sqlx read it.
    Postgres(DbUrl),
}

impl QueueUrl {
    /// Parses a queue URL.
    pub fn parse(url: &str) -> Result<QueueUrl, QueueUrlError> {
        let bad = |reason: &str| QueueUrlError {
            url: crate::redact::url(url),
            reason: reason.to_string(),
        };
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("the SQLite file path is missing"));
            }
            Ok(QueueUrl::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(QueueUrl::Postgres(DbUrl(url.to_string())))
        } else {
            Err(bad(
                "expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ))
        }
    }
}

impl std::str::FromStr for QueueUrl {
    type Err = QueueUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QueueUrl::parse(s)
    }
}

impl fmt::Display for QueueUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            QueueUrl::Postgres(url) => url.fmt(f),
        }
    }
}

/// The queue chosen by configuration: a SQLite file or a PostgreSQL database.
#[derive(Debug, Clone)]
pub enum AnyQueue {
    /// The embedded default.
    Sqlite(SqliteQueue),
    /// A shared PostgreSQL database.
    Postgres(PgQueue),
}

impl AnyQueue {
    /// Opens the queue `url` names, creating its tables if they are missing.
    /// A SQLite file's directory must exist.
    pub async fn open(url: &QueueUrl) -> Result<AnyQueue, QueueError> {
        Ok(match url {
            QueueUrl::Sqlite(path) => AnyQueue::Sqlite(SqliteQueue::open(path).await?),
            QueueUrl::Postgres(url) => AnyQueue::Postgres(PgQueue::connect(url.expose()).await?),
        })
    }
}

dispatch! {
    AnyQueue { Sqlite, Postgres }
    impl Jobs {
        async fn submit(&self, sub: &NewSubmission, version: &str, force: bool) -> Result<Submitted, QueueError>;
        async fn lease(&self, worker: &str, lease_for: Duration, max_attempts: u32) -> Result<Option<Lease>, QueueError>;
        async fn heartbeat(&self, lease: &Lease, lease_for: Duration) -> Result<bool, QueueError>;
        async fn complete(&self, lease: &Lease, done: &Completion) -> Result<(), QueueError>;
        async fn fail(&self, lease: &Lease, error: &str) -> Result<(), QueueError>;
        async fn release(&self, lease: &Lease, error: &str, delay: Duration) -> Result<(), QueueError>;
        async fn unfinished(&self) -> Result<u64, QueueError>;
    }
    impl Registry {
        async fn job(&self, submission_id: &str, version: &str) -> Result<Option<JobView>, QueueError>;
        async fn document(&self, document_id: &str) -> Result<Option<DocumentRow>, QueueError>;
        async fn revoke_document(&self, document_id: &str, reason: &str) -> Result<Option<DocumentRow>, QueueError>;
    }
    impl Stats {
        async fn status(&self) -> Result<StatusReport, QueueError>;
        async fn breakdown(&self, days: u32) -> Result<Breakdown, QueueError>;
    }
    impl LogEntries {
        async fn append(&self, kind: EntryKind, subject: &str, entry: &[u8]) -> Result<LoggedEntry, QueueError>;
        async fn entries(&self, from: u64, to: u64) -> Result<Vec<LoggedEntry>, QueueError>;
        async fn find(&self, kind: EntryKind, subject: &str) -> Result<Option<LoggedEntry>, QueueError>;
        async fn size(&self) -> Result<u64, QueueError>;
        async fn add_checkpoint(&self, cp: &StoredCheckpoint) -> Result<bool, QueueError>;
        async fn checkpoint(&self, idx: Option<u64>) -> Result<Option<StoredCheckpoint>, QueueError>;
    }
    impl Staff {
        async fn add_user(&self, name: &str, role: Role, token_sha256: &str) -> Result<User, QueueError>;
        async fn users(&self) -> Result<Vec<User>, QueueError>;
        async fn disable_user(&self, name: &str) -> Result<Option<User>, QueueError>;
        async fn user_for_token(&self, token_sha256: &str) -> Result<Option<User>, QueueError>;
        async fn open_session(&self, session_sha256: &str, user: &str, csrf_token: &str, ttl: Duration) -> Result<(), QueueError>;
        async fn session(&self, session_sha256: &str) -> Result<Option<Session>, QueueError>;
        async fn close_session(&self, session_sha256: &str) -> Result<(), QueueError>;
        async fn audit(&self, entry: &NewAudit<'_>) -> Result<(), QueueError>;
        async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, QueueError>;
    }
    impl Reviews {
        async fn set_meta(&self, submission_id: &str, meta: &SubmissionMeta) -> Result<(), QueueError>;
        async fn meta(&self, submission_id: &str) -> Result<SubmissionMeta, QueueError>;
        async fn review_queue(&self, version: &str, doc_type: Option<&str>, after: Option<(i64, &str)>, limit: u32) -> Result<Vec<ReviewItem>, QueueError>;
        async fn decision(&self, submission_id: &str, version: &str) -> Result<Option<Decision>, QueueError>;
        async fn record_approval(&self, submission_id: &str, version: &str, actor: &str, detail: &serde_json::Value) -> Result<Decided, QueueError>;
        async fn complete_approval(&self, decision: &Decision, document: &DocumentRow, record_json: &str, record_key: &str) -> Result<bool, QueueError>;
        async fn reject(&self, submission_id: &str, version: &str, actor: &str, reason: &str) -> Result<Decided, QueueError>;
    }
    impl Records {
        async fn records_page(&self, doc_type: Option<&str>, since: i64, after: Option<(i64, &str)>, limit: u32) -> Result<Vec<HeldRecord>, QueueError>;
        async fn records_mentioning(&self, personal_id: &str, limit: u32) -> Result<Vec<HeldRecord>, QueueError>;
    }
    impl Timeline {
        async fn submission_times(&self, since: i64, until: i64) -> Result<Vec<SubmissionTimes>, QueueError>;
    }
    impl Reprocessing {
        async fn submission_facts_page(&self, after: &str, limit: u32) -> Result<Vec<SubmissionFacts>, QueueError>;
        async fn submission_facts(&self, submission_id: &str) -> Result<Option<SubmissionFacts>, QueueError>;
        async fn reprocess_run(&self, run_id: &str) -> Result<Option<RunRow>, QueueError>;
        async fn start_run(&self, run_id: &str, target_version: &str, selection_json: &str, items: &[String]) -> Result<RunRow, QueueError>;
        async fn run_items(&self, run_id: &str) -> Result<Vec<ItemRow>, QueueError>;
        async fn finish_item(&self, done: &ItemDone<'_>) -> Result<bool, QueueError>;
        async fn finish_run(&self, run_id: &str) -> Result<(), QueueError>;
    }
    impl Intake {
        async fn submission_exists(&self, id: &str) -> Result<bool, QueueError>;
        async fn archive_file(&self, source: &str) -> Result<Option<String>, QueueError>;
        async fn record_archive_file(&self, source: &str, submission_id: &str, at_ms: i64) -> Result<(), QueueError>;
        async fn first_archive_file(&self, submission_id: &str) -> Result<Option<String>, QueueError>;
        async fn set_received(&self, submission_id: &str, received_at_ms: i64) -> Result<(), QueueError>;
        async fn add_parts(&self, parts: &[SubmissionPart]) -> Result<(), QueueError>;
        async fn parts_of(&self, source_id: &str) -> Result<Vec<SubmissionPart>, QueueError>;
        async fn part_source(&self, part_id: &str) -> Result<Option<SubmissionPart>, QueueError>;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_parse_and_hide_passwords() {
        assert_eq!(
            QueueUrl::parse("sqlite:///var/lib/docseal/db.sqlite").unwrap(),
            QueueUrl::Sqlite(PathBuf::from("/var/lib/docseal/db.sqlite"))
        );
        assert_eq!(
            QueueUrl::parse("sqlite://data/db.sqlite").unwrap(),
            QueueUrl::Sqlite(PathBuf::from("data/db.sqlite"))
        );
        let pg = QueueUrl::parse("postgres://docseal:hunter2@db:5432/docseal").unwrap();
        assert_eq!(pg.to_string(), "postgres://docseal:***@db:5432/docseal");
        assert!(!format!("{pg:?}").contains("hunter2"));
        match &pg {
            QueueUrl::Postgres(url) => assert!(url.expose().contains("hunter2")),
            other => panic!("parsed as {other:?}"),
        }
        let pg = QueueUrl::parse("postgres://docseal@db/docseal?password=hunter2").unwrap();
        assert!(!pg.to_string().contains("hunter2"), "{pg}");
        assert!(!format!("{pg:?}").contains("hunter2"));
        let err = QueueUrl::parse("mysql://u:hunter2@db/x?password=hunter2").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(QueueUrl::parse("sqlite://").is_err());
    }
}
