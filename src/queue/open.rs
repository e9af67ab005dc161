//! Opening the queue a [`QueueUrl`] names, as one type the rest of the program
//! can be generic over.

use std::time::Duration;

use super::{
    Completion, DocumentRow, JobQueue, JobView, Lease, NewSubmission, PgQueue, QueueError,
    SqliteQueue, StatusReport, Submitted,
};
use crate::config::QueueUrl;

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

impl JobQueue for AnyQueue {
    async fn submit(
        &self,
        sub: &NewSubmission,
        version: &str,
        force: bool,
    ) -> Result<Submitted, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.submit(sub, version, force).await,
            AnyQueue::Postgres(q) => q.submit(sub, version, force).await,
        }
    }

    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        max_attempts: u32,
    ) -> Result<Option<Lease>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.lease(worker, lease_for, max_attempts).await,
            AnyQueue::Postgres(q) => q.lease(worker, lease_for, max_attempts).await,
        }
    }

    async fn heartbeat(&self, lease: &Lease, lease_for: Duration) -> Result<bool, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.heartbeat(lease, lease_for).await,
            AnyQueue::Postgres(q) => q.heartbeat(lease, lease_for).await,
        }
    }

    async fn complete(&self, lease: &Lease, done: &Completion) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.complete(lease, done).await,
            AnyQueue::Postgres(q) => q.complete(lease, done).await,
        }
    }

    async fn fail(&self, lease: &Lease, error: &str) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.fail(lease, error).await,
            AnyQueue::Postgres(q) => q.fail(lease, error).await,
        }
    }

    async fn release(&self, lease: &Lease, error: &str, delay: Duration) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.release(lease, error, delay).await,
            AnyQueue::Postgres(q) => q.release(lease, error, delay).await,
        }
    }

    async fn job(&self, submission_id: &str, version: &str) -> Result<Option<JobView>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.job(submission_id, version).await,
            AnyQueue::Postgres(q) => q.job(submission_id, version).await,
        }
    }

    async fn document(&self, document_id: &str) -> Result<Option<DocumentRow>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.document(document_id).await,
            AnyQueue::Postgres(q) => q.document(document_id).await,
        }
    }

    async fn revoke_document(
        &self,
        document_id: &str,
        reason: &str,
    ) -> Result<Option<DocumentRow>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.revoke_document(document_id, reason).await,
            AnyQueue::Postgres(q) => q.revoke_document(document_id, reason).await,
        }
    }

    async fn status(&self) -> Result<StatusReport, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.status().await,
            AnyQueue::Postgres(q) => q.status().await,
        }
    }
}
