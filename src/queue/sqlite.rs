//! The embedded default: the queue and registry in one SQLite file, shared
//! safely by several processes on one machine.
//!
//! Only what SQLite does differently lives here: opening (write-ahead
//! logging, `synchronous=FULL`, a busy timeout, and retrying while another
//! process switches a new file to WAL), its clock, and the claim of the next
//! job as one `UPDATE … WHERE rowid = (SELECT …) RETURNING`. SQLite has no row
//! locks: a transaction whose first statement writes holds the database's
//! write lock until it ends, so the shared statements need no `FOR UPDATE`.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::{self, Backend};
use super::QueueError;

/// The job queue and registry in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    pool: SqlitePool,
}

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
    pub async fn open(path: &Path) -> Result<SqliteQueue, QueueError> {
        // The database holds personal data: owner-only, whatever the umask
        // (SQLite gives its journal and WAL files the database's mode).
        let mut journals = [path.as_os_str().to_owned(), path.as_os_str().to_owned()];
        journals[0].push("-wal");
        journals[1].push("-shm");
        crate::fsutil::make_private_file(path).map_err(|source| QueueError::File {
            path: path.to_path_buf(),
            source,
        })?;
        for journal in journals.iter().map(Path::new).filter(|p| p.exists()) {
            crate::fsutil::make_private_file(journal).map_err(|source| QueueError::File {
                path: journal.to_path_buf(),
                source,
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let give_up = Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match Self::open_with(opts.clone()).await {
                Err(QueueError::Db(e)) if is_busy(&e) && Instant::now() < give_up => {
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
        // AUTOINCREMENT: a number is never given twice, even after the
        // highest row is gone.
        let schema = sql::schema("INTEGER", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT");
        sqlx::raw_sql(&schema).execute(&pool).await?;
        Ok(SqliteQueue { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl Backend for SqliteQueue {
    type Db = SqlitePool;

    /// SQLite reads the clock once per statement step, so every use in one
    /// statement sees the same instant.
    const NOW_MS: &'static str =
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

    const NOW_SECS: &'static str =
        "(CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) / 1000)";

    const FOR_UPDATE: &'static str = "";

    const LOG_LOCK: &'static str = "";

    const RECORD_DOC_TYPE: &'static str = "json_extract(j.record_json, '$.doc_type')";

    /// One statement, so SQLite takes the write lock before it picks the job.
    fn claim_sql() -> String {
        format!(
            "{} UPDATE jobs SET {} FROM clock WHERE jobs.rowid = ({}) RETURNING {}",
            sql::with_clock::<Self>(),
            sql::TAKE,
            sql::next_job("j.rowid"),
            sql::CLAIMED
        )
    }

    fn db(&self) -> &SqlitePool {
        &self.pool
    }
}
