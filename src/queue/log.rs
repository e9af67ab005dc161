//! The transparency log's entries and signed checkpoints, written once as SQL
//! both databases run, beside the queue's tables and on its pools.
//!
//! `tlog_entries` gives each entry the next index (`MAX(idx) + 1`) inside a
//! transaction that holds the log's write lock from its start: SQLite's
//! single writer (the first statement writes), a transaction-scoped advisory
//! lock on PostgreSQL ([`Backend::LOG_LOCK`]). So indexes have no gaps and no
//! two appends share one. Its `UNIQUE (kind, subject)` makes an append
//! idempotent; the bytes read back are compared with the ones appended.

use super::sql::{count, fetch_one, Backend, Db, Fields, Stmt};
use super::{
    EntryKind, LogEntries, LoggedEntry, QueueError, StoredCheckpoint, MAX_LOG_ENTRY_BYTES,
};

const ENTRY_COLUMNS: &str = "idx, kind, subject, entry, created_at";

/// A count or index as the database's integer.
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// An index or size read back, refusing a negative one.
fn unsigned(v: i64, what: &str) -> Result<u64, QueueError> {
    u64::try_from(v).map_err(|_| QueueError::Corrupt(format!("negative log {what} {v}")))
}

fn logged_entry(row: &impl Fields) -> Result<LoggedEntry, QueueError> {
    Ok(LoggedEntry {
        idx: unsigned(row.int("idx")?, "index")?,
        kind: EntryKind::parse(&row.text("kind")?)?,
        subject: row.text("subject")?,
        entry: row.bytes("entry")?,
        created_at: row.int("created_at")?,
    })
}

fn stored_checkpoint(row: &impl Fields) -> Result<StoredCheckpoint, QueueError> {
    Ok(StoredCheckpoint {
        size: unsigned(row.int("size")?, "checkpoint size")?,
        note: row.bytes("note")?,
        signed_at: row.int("signed_at")?,
    })
}

impl<B: Backend> LogEntries for B {
    async fn append(
        &self,
        kind: EntryKind,
        subject: &str,
        entry: &[u8],
    ) -> Result<LoggedEntry, QueueError> {
        if entry.len() > MAX_LOG_ENTRY_BYTES {
            return Err(QueueError::LogRefused(format!(
                "the entry for {subject} is {} bytes; the log takes at most {MAX_LOG_ENTRY_BYTES}",
                entry.len()
            )));
        }
        let db = self.db();
        let mut tx = db.begin().await?;
        if !B::LOG_LOCK.is_empty() {
            db.execute(Some(&mut tx), Stmt::new(B::LOG_LOCK)).await?;
        }
        let insert = Stmt::new(format!(
            "INSERT INTO tlog_entries ({ENTRY_COLUMNS})
             SELECT COALESCE(MAX(idx) + 1, 0), $1, $2, $3, {} FROM tlog_entries WHERE true
             ON CONFLICT (kind, subject) DO NOTHING",
            B::NOW_SECS
        ))
        .text(kind.as_str())
        .text(subject)
        .bytes(entry);
        db.execute(Some(&mut tx), insert).await?;
        B::Db::commit(tx).await?;
        let found = self.find(kind, subject).await?.ok_or_else(|| {
            QueueError::Corrupt(format!("{subject} was logged but cannot be read back"))
        })?;
        if found.entry != entry {
            return Err(QueueError::LogRefused(format!(
                "{} {subject} is already logged (entry {}) with other bytes",
                kind.as_str(),
                found.idx
            )));
        }
        Ok(found)
    }

    async fn entries(&self, from: u64, to: u64) -> Result<Vec<LoggedEntry>, QueueError> {
        let select = Stmt::new(format!(
            "SELECT {ENTRY_COLUMNS} FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"
        ))
        .int(int(from))
        .int(int(to));
        self.db()
            .fetch_all(select)
            .await?
            .iter()
            .map(logged_entry)
            .collect()
    }

    async fn find(
        &self,
        kind: EntryKind,
        subject: &str,
    ) -> Result<Option<LoggedEntry>, QueueError> {
        let select = Stmt::new(format!(
            "SELECT {ENTRY_COLUMNS} FROM tlog_entries WHERE kind = $1 AND subject = $2"
        ))
        .text(kind.as_str())
        .text(subject);
        let row = self.db().fetch_optional(None, select).await?;
        row.as_ref().map(logged_entry).transpose()
    }

    async fn size(&self) -> Result<u64, QueueError> {
        let n = Stmt::new("SELECT COUNT(*) AS n FROM tlog_entries");
        Ok(count(fetch_one(self.db(), None, n).await?.int("n")?))
    }

    async fn add_checkpoint(&self, cp: &StoredCheckpoint) -> Result<bool, QueueError> {
        let insert = Stmt::new(
            "INSERT INTO tlog_checkpoints (size, note, signed_at) VALUES ($1, $2, $3)
             ON CONFLICT (size) DO NOTHING
             RETURNING size",
        )
        .int(int(cp.size))
        .bytes(&cp.note)
        .int(cp.signed_at);
        Ok(self.db().fetch_optional(None, insert).await?.is_some())
    }

    async fn checkpoint(&self, idx: Option<u64>) -> Result<Option<StoredCheckpoint>, QueueError> {
        let select = match idx {
            Some(idx) => Stmt::new(
                "SELECT size, note, signed_at FROM tlog_checkpoints WHERE size > $1
                 ORDER BY size LIMIT 1",
            )
            .int(int(idx)),
            None => Stmt::new(
                "SELECT size, note, signed_at FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
            ),
        };
        let row = self.db().fetch_optional(None, select).await?;
        row.as_ref().map(stored_checkpoint).transpose()
    }
}
