//! The job queue and registry in PostgreSQL, shared by worker processes on many
//! machines. Same tables and the same statements as the SQLite queue
//! (`queue/sql.rs`); what differs lives here: leases are taken with
//! `FOR UPDATE SKIP LOCKED`, rows read inside a transaction are locked, every
//! time is the database server's clock, so workers on machines with drifting
//! clocks agree on lease expiry, and the tables are created under an advisory
//! lock.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::sql::{self, Backend};
use super::QueueError;

/// Serializes schema creation between processes starting at once
/// (`CREATE TABLE IF NOT EXISTS` alone races on the catalog).
const SCHEMA_LOCK: i64 = 0x646f_6373_6561_6c00;

/// Indexes only PostgreSQL has, beside the shared schema.
const INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (available_at)
    WHERE state IN ('queued', 'processing');
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
"#;

/// The job queue and registry in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgQueue {
    pool: PgPool,
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
    ///
    /// One process at a time runs the schema (a session advisory lock), and
    /// each statement commits on its own: a `CREATE INDEX IF NOT EXISTS`
    /// takes a share lock on its table even when the index exists, and
    /// holding one table's lock while waiting for another's would deadlock
    /// with a worker already writing to both.
    pub async fn with_pool(pool: PgPool) -> Result<PgQueue, QueueError> {
        let mut conn = pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *conn)
            .await?;
        let ddl = sql::schema("BIGINT", "BYTEA", "BIGSERIAL PRIMARY KEY") + INDEXES;
        let mut created = Ok(());
        for statement in ddl.split(';').filter(|s| !s.trim().is_empty()) {
            if let Err(e) = sqlx::query(statement).execute(&mut *conn).await {
                created = Err(e);
                break;
            }
        }
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *conn)
            .await;
        if created.is_err() || unlocked.is_err() {
            // Never give the pool a connection that may still hold the lock.
            let _ = conn.close().await;
        }
        created?;
        unlocked?;
        Ok(PgQueue { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl Backend for PgQueue {
    type Db = PgPool;

    const NOW_MS: &'static str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    const NOW_SECS: &'static str = "(extract(epoch from clock_timestamp()))::bigint";

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    /// A transaction-scoped advisory lock (key `0x646f_6373_6561_6c01`,
    /// beside the schema's): appends from every connection take turns.
    const LOG_LOCK: &'static str = "SELECT pg_advisory_xact_lock(7237112473480948737)";

    const RECORD_DOC_TYPE: &'static str = "(j.record_json::jsonb ->> 'doc_type')";

    /// Concurrent workers skip the row another one is taking instead of
    /// waiting for it.
    fn claim_sql() -> String {
        format!(
            "{}, next AS ({} FOR UPDATE OF j SKIP LOCKED)
             UPDATE jobs SET {} FROM next, clock
             WHERE submission_id = next_id AND pipeline_version = next_version
             RETURNING {}",
            sql::with_clock::<Self>(),
            sql::next_job("j.submission_id AS next_id, j.pipeline_version AS next_version"),
            sql::TAKE,
            sql::CLAIMED
        )
    }

    fn db(&self) -> &PgPool {
        &self.pool
    }
}
