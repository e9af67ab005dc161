//! What archive intake and multi-document splitting remember, written once
//! as SQL both databases run: which archive file was taken in as which
//! submission (`archive_files`, so a re-run is idempotent and a duplicate
//! names the file it repeats), a submission's reception as the archive's
//! CSV gives it (`submission_received`, read by [`super::Timeline`] before
//! the queue's own `received_at`), and the documents a multi-document scan
//! was split into (`submission_parts`), and the submissions received online
//! (`submission_channel`; a submission without a row was taken in at the desk).

use std::future::Future;

use serde::Serialize;

use super::sql::{Backend, Db, Fields, Stmt};
use super::QueueError;

/// One document split out of a multi-document scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionPart {
    /// The scan the document came from (the SHA-256 of its bytes).
    pub source_id: String,
    /// Its first page in the scan, counted from 1.
    pub first_page: u32,
    /// Its last page in the scan.
    pub last_page: u32,
    /// The submission made of those pages (the SHA-256 of its bytes).
    pub part_id: String,
}

/// How a submission reached the office, for the on-time report's received
/// online / at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Scanned from paper at the desk (or from an archive): the default.
    #[default]
    Desk,
    /// Received online (e.g. from the public service portal).
    Online,
}

impl Channel {
    /// Its name as stored and accepted: `desk` or `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Desk => "desk",
            Channel::Online => "online",
        }
    }

    /// Reads `desk` or `online`.
    pub fn parse(text: &str) -> Result<Channel, String> {
        match text.trim() {
            "desk" => Ok(Channel::Desk),
            "online" => Ok(Channel::Online),
            other => Err(format!(
                "unknown channel {other:?}: expected desk or online"
            )),
        }
    }
}

/// Archive files, receptions given by an archive's CSV, and split parts.
pub trait Intake: Send + Sync + 'static {
    /// Whether a submission with this id exists.
    fn submission_exists(&self, id: &str) -> impl Future<Output = Result<bool, QueueError>> + Send;

    /// The submission an archive file (`source`: the path or key as the
    /// archive names it) was taken in as, if it was.
    fn archive_file(
        &self,
        source: &str,
    ) -> impl Future<Output = Result<Option<String>, QueueError>> + Send;

    /// Records that `source` was taken in as `submission_id` at `at_ms`
    /// (Unix ms); a file taken in again with other bytes is recorded anew.
    fn record_archive_file(
        &self,
        source: &str,
        submission_id: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// The first archive file (by time taken in, then name) recorded as
    /// `submission_id`: the file later copies duplicate.
    fn first_archive_file(
        &self,
        submission_id: &str,
    ) -> impl Future<Output = Result<Option<String>, QueueError>> + Send;

    /// Sets a submission's reception (Unix ms) as its archive records it.
    fn set_received(
        &self,
        submission_id: &str,
        received_at_ms: i64,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Records how a submission reached the office (recorded again: the
    /// last word stands).
    fn set_channel(
        &self,
        submission_id: &str,
        channel: Channel,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Records the parts of a split scan in one statement, so a scan has
    /// all its parts recorded or none; parts recorded already stay as they are.
    fn add_parts(
        &self,
        parts: &[SubmissionPart],
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// The parts a scan was split into, by first page.
    fn parts_of(
        &self,
        source_id: &str,
    ) -> impl Future<Output = Result<Vec<SubmissionPart>, QueueError>> + Send;

    /// Where a part came from, if the submission is one.
    fn part_source(
        &self,
        part_id: &str,
    ) -> impl Future<Output = Result<Option<SubmissionPart>, QueueError>> + Send;
}

fn part_row(row: &impl Fields) -> Result<SubmissionPart, QueueError> {
    let page = |name: &str| -> Result<u32, QueueError> {
        let n = row.int(name)?;
        u32::try_from(n).map_err(|_| QueueError::Corrupt(format!("{name} {n} out of range")))
    };
    Ok(SubmissionPart {
        source_id: row.text("source_id")?,
        first_page: page("first_page")?,
        last_page: page("last_page")?,
        part_id: row.text("part_id")?,
    })
}

impl<B: Backend> Intake for B {
    async fn submission_exists(&self, id: &str) -> Result<bool, QueueError> {
        let find = Stmt::new("SELECT id FROM submissions WHERE id = $1").text(id);
        Ok(self.db().fetch_optional(None, find).await?.is_some())
    }

    async fn archive_file(&self, source: &str) -> Result<Option<String>, QueueError> {
        let find =
            Stmt::new("SELECT submission_id FROM archive_files WHERE source = $1").text(source);
        match self.db().fetch_optional(None, find).await? {
            Some(row) => Ok(Some(row.text("submission_id")?)),
            None => Ok(None),
        }
    }

    async fn record_archive_file(
        &self,
        source: &str,
        submission_id: &str,
        at_ms: i64,
    ) -> Result<(), QueueError> {
        let upsert = Stmt::new(
            "INSERT INTO archive_files (source, submission_id, taken_at) VALUES ($1, $2, $3)
             ON CONFLICT (source) DO UPDATE SET submission_id = excluded.submission_id,
                 taken_at = excluded.taken_at
             WHERE archive_files.submission_id <> excluded.submission_id",
        )
        .text(source)
        .text(submission_id)
        .int(at_ms);
        self.db().execute(None, upsert).await
    }

    async fn first_archive_file(&self, submission_id: &str) -> Result<Option<String>, QueueError> {
        let find = Stmt::new(
            "SELECT source FROM archive_files WHERE submission_id = $1
             ORDER BY taken_at, source LIMIT 1",
        )
        .text(submission_id);
        match self.db().fetch_optional(None, find).await? {
            Some(row) => Ok(Some(row.text("source")?)),
            None => Ok(None),
        }
    }

    async fn set_received(
        &self,
        submission_id: &str,
        received_at_ms: i64,
    ) -> Result<(), QueueError> {
        let upsert = Stmt::new(
            "INSERT INTO submission_received (submission_id, received_at) VALUES ($1, $2)
             ON CONFLICT (submission_id) DO UPDATE SET received_at = excluded.received_at",
        )
        .text(submission_id)
        .int(received_at_ms);
        self.db().execute(None, upsert).await
    }

    async fn set_channel(&self, submission_id: &str, channel: Channel) -> Result<(), QueueError> {
        let upsert = Stmt::new(
            "INSERT INTO submission_channel (submission_id, channel) VALUES ($1, $2)
             ON CONFLICT (submission_id) DO UPDATE SET channel = excluded.channel",
        )
        .text(submission_id)
        .text(channel.as_str());
        self.db().execute(None, upsert).await
    }

    async fn add_parts(&self, parts: &[SubmissionPart]) -> Result<(), QueueError> {
        if parts.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = (0..parts.len())
            .map(|i| {
                let n = i * 4;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let mut insert = Stmt::new(format!(
            "INSERT INTO submission_parts (source_id, first_page, last_page, part_id)
             VALUES {} ON CONFLICT (source_id, first_page) DO NOTHING",
            values.join(", ")
        ));
        for part in parts {
            insert = insert
                .text(&part.source_id)
                .int(i64::from(part.first_page))
                .int(i64::from(part.last_page))
                .text(&part.part_id);
        }
        self.db().execute(None, insert).await
    }

    async fn parts_of(&self, source_id: &str) -> Result<Vec<SubmissionPart>, QueueError> {
        let find = Stmt::new(
            "SELECT source_id, first_page, last_page, part_id FROM submission_parts
             WHERE source_id = $1 ORDER BY first_page",
        )
        .text(source_id);
        let rows = self.db().fetch_all(find).await?;
        rows.iter().map(part_row).collect()
    }

    async fn part_source(&self, part_id: &str) -> Result<Option<SubmissionPart>, QueueError> {
        let find = Stmt::new(
            "SELECT source_id, first_page, last_page, part_id FROM submission_parts
             WHERE part_id = $1 ORDER BY source_id, first_page LIMIT 1",
        )
        .text(part_id);
        match self.db().fetch_optional(None, find).await? {
            Some(row) => Ok(Some(part_row(&row)?)),
            None => Ok(None),
        }
    }
}
