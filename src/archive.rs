//! Archive intake: a folder tree or a bucket prefix of scans taken in file by
//! file (`docseal archive`), in flat memory.
//!
//! The files are walked lazily (a directory walk in name order, holding one
//! directory's names at a time, or one listing page of at most 1,000 keys
//! at a time, which S3 gives in key order), each read in pieces and hashed as it is read,
//! then stored and queued once through [`crate::intake`]. What each file
//! became is remembered in `archive_files` ([`crate::queue::Intake`]), so:
//! - a file whose bytes an earlier archive file already brought is a
//!   **duplicate** of that file: reported, not stored again;
//! - running the same archive again finds every file **unchanged** and
//!   changes nothing;
//! - bytes already submitted another way are **known**: queued once only.
//!
//! A file that cannot be read is an **error** and one that is not a scan
//! is **skipped**; both are reported and the walk goes on. An optional CSV
//! ([`read_csv`]: file, dossier code, procedure code, received date) gives
//! each file's dossier and procedure (`submission_meta`) and its reception
//! (`submission_received`, which deadlines count from). Its rows are held
//! in memory while the archive is walked: a few dozen bytes a row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::dossier;
use crate::intake::{self, Known, SplitTakenIn};
use crate::pipeline::PipelineOptions;
use crate::queue::{Intake, Jobs, QueueError, Reviews, SubmissionPart, Submitted};
use crate::store::{ObjectStore, S3Store};

/// Why an archive cannot be read at all (one file's trouble is reported
/// in its [`FileOutcome`] instead).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The CSV cannot be read or has a bad row.
    #[error("CSV {path}: {reason}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// What is wrong, with the line.
        reason: String,
    },
    /// The bucket cannot be listed.
    #[error("cannot list the archive {source_url}: {error}")]
    List {
        /// `s3://bucket/prefix`.
        source_url: String,
        /// The store's error.
        error: Box<crate::store::StoreError>,
    },
    /// The queue failed (not one file's fault).
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Where the archive is.
#[derive(Debug, Clone)]
pub enum ArchiveSource {
    /// A folder tree.
    Dir(PathBuf),
    /// The keys under a bucket's prefix (the store's own prefix).
    S3(S3Store),
}

impl ArchiveSource {
    /// The source as the user names it.
    pub fn describe(&self) -> String {
        match self {
            ArchiveSource::Dir(p) => p.display().to_string(),
            ArchiveSource::S3(s) => format!("s3://{}/{}", s.bucket(), s.prefix()),
        }
    }
}

/// One file of an archive: its name relative to the archive (`/`-separated),
/// as the CSV and the report name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The name relative to the archive's root or prefix.
    pub name: String,
    location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    File(PathBuf),
    Key(String),
}

/// The files of an archive, one at a time.
pub struct Walker {
    inner: Inner,
}

enum Inner {
    Dir {
        root: PathBuf,
        walk: walkdir::IntoIter,
    },
    S3 {
        store: S3Store,
        prefix: String,
        page: std::vec::IntoIter<(String, u64)>,
        next: Option<String>,
        started: bool,
    },
}

impl Walker {
    /// A walk of `source` from its start.
    pub fn new(source: &ArchiveSource) -> Walker {
        let inner = match source {
            ArchiveSource::Dir(root) => Inner::Dir {
                root: root.clone(),
                walk: walkdir::WalkDir::new(root)
                    .follow_links(false)
                    .sort_by_file_name()
                    .into_iter(),
            },
            ArchiveSource::S3(store) => Inner::S3 {
                prefix: if store.prefix().is_empty() {
                    String::new()
                } else {
                    format!("{}/", store.prefix())
                },
                store: store.clone(),
                page: Vec::new().into_iter(),
                next: None,
                started: false,
            },
        };
        Walker { inner }
    }

    /// The next file, or the report of one that cannot be walked to;
    /// `Ok(None)` at the end. A bucket that cannot be listed ends the walk
    /// with an error.
    pub async fn next(
        &mut self,
    ) -> Result<Option<Result<ArchiveEntry, FileOutcome>>, ArchiveError> {
        match &mut self.inner {
            Inner::Dir { root, walk } => loop {
                let Some(item) = walk.next() else {
                    return Ok(None);
                };
                let entry = match item {
                    Ok(e) => e,
                    Err(e) => {
                        let name = e
                            .path()
                            .map(|p| relative(root, p))
                            .unwrap_or_else(|| root.display().to_string());
                        return Ok(Some(Err(FileOutcome::error(
                            &name,
                            format!("cannot read: {e}"),
                        ))));
                    }
                };
                if entry.file_type().is_dir() {
                    continue;
                }
                let name = relative(root, entry.path());
                return Ok(Some(Ok(ArchiveEntry {
                    name,
                    location: Location::File(entry.into_path()),
                })));
            },
            Inner::S3 {
                store,
                prefix,
                page,
                next,
                started,
            } => loop {
                if let Some((key, _size)) = page.next() {
                    if key.ends_with('/') {
                        continue;
                    }
                    let name = key
                        .strip_prefix(prefix.as_str())
                        .unwrap_or(&key)
                        .to_string();
                    return Ok(Some(Ok(ArchiveEntry {
                        name,
                        location: Location::Key(key),
                    })));
                }
                if *started && next.is_none() {
                    return Ok(None);
                }
                *started = true;
                let listed = store
                    .list_keys(prefix, next.take())
                    .await
                    .map_err(|error| ArchiveError::List {
                        source_url: format!("s3://{}/{}", store.bucket(), prefix),
                        error: Box::new(error),
                    })?;
                *page = listed.keys.into_iter();
                *next = listed.next;
            },
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        path.display().to_string()
    } else {
        parts.join("/")
    }
}

/// Reads an archive's CSV: `file,dossier_code,procedure_code,received_date`
/// (a first row naming the columns is optional; a column left empty says
/// nothing), keyed by the file's name relative to the archive. The date is
/// `YYYY-MM-DD` (the start of that day in Vietnam, UTC+7) or RFC 3339. Codes
/// are validated as [`crate::dossier`] says; an error names the line.
pub fn read_csv(path: &Path) -> Result<HashMap<String, Known>, ArchiveError> {
    let bad = |reason: String| ArchiveError::Csv {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| bad(e.to_string()))?;
    let mut rows = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let cell = |i: usize| record.get(i).filter(|v| !v.is_empty()).map(str::to_string);
        let Some(file) = cell(0) else {
            continue;
        };
        if line == 1 && matches!(file.to_ascii_lowercase().as_str(), "file" | "path" | "key") {
            continue;
        }
        let received_at_ms = match cell(3) {
            Some(date) => Some(parse_date(&date).ok_or_else(|| {
                bad(format!(
                    "line {line}: received date `{date}` is neither YYYY-MM-DD nor RFC 3339"
                ))
            })?),
            None => None,
        };
        let dossier_code = cell(1)
            .map(|c| dossier::dossier_code(&c))
            .transpose()
            .map_err(|e| bad(format!("line {line}: {e}")))?;
        let procedure_code = cell(2)
            .map(|c| dossier::procedure_code(&c))
            .transpose()
            .map_err(|e| bad(format!("line {line}: {e}")))?;
        rows.insert(
            file.trim_start_matches("./").to_string(),
            Known {
                dossier_code,
                procedure_code,
                received_at_ms,
            },
        );
    }
    Ok(rows)
}

/// Unix ms of a `YYYY-MM-DD` day's start in Vietnam (UTC+7), or of an RFC 3339 instant.
fn parse_date(text: &str) -> Option<i64> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, &day) {
        let offset = time::UtcOffset::from_hms(7, 0, 0).ok()?;
        let at = date.midnight().assume_offset(offset);
        return Some((at.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Stored and queued now.
    New,
    /// Its bytes were already submitted (not from an archive file): nothing stored again.
    Known,
    /// Taken in by an earlier run as it is now.
    Unchanged,
    /// The same bytes as an earlier archive file: not stored again.
    Duplicate,
    /// Not a scan.
    Skipped,
    /// Cannot be read or taken in.
    Error,
}

/// One line of the per-file report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileOutcome {
    /// The file, relative to the archive.
    pub file: String,
    /// What happened.
    pub status: Status,
    /// The submission (the SHA-256 of the bytes; for a split scan, the scan's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    /// The archive file this one duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The documents a split scan became.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<SubmissionPart>,
    /// Why the file was skipped or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileOutcome {
    fn error(file: &str, error: String) -> FileOutcome {
        FileOutcome {
            file: file.to_string(),
            status: Status::Error,
            submission_id: None,
            duplicate_of: None,
            parts: Vec::new(),
            error: Some(error),
        }
    }

    fn with(file: &str, status: Status, id: &str) -> FileOutcome {
        FileOutcome {
            file: file.to_string(),
            status,
            submission_id: Some(id.to_string()),
            duplicate_of: None,
            parts: Vec::new(),
            error: None,
        }
    }
}

/// How to take an archive in.
#[derive(Debug, Clone, Default)]
pub struct ArchiveOptions {
    /// Split multi-document scans into their documents.
    pub split: bool,
    /// The pipeline's settings (limits; for splitting, preparation and OCR).
    pub pipeline: PipelineOptions,
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files seen.
    pub files: u64,
    /// Stored and queued now.
    pub new: u64,
    /// Bytes already submitted another way.
    pub known: u64,
    /// Taken in by an earlier run.
    pub unchanged: u64,
    /// Duplicates of earlier archive files.
    pub duplicate: u64,
    /// Not scans.
    pub skipped: u64,
    /// Unreadable or failed.
    pub error: u64,
}

impl Summary {
    /// Counts one outcome.
    pub fn add(&mut self, status: Status) {
        self.files += 1;
        match status {
            Status::New => self.new += 1,
            Status::Known => self.known += 1,
            Status::Unchanged => self.unchanged += 1,
            Status::Duplicate => self.duplicate += 1,
            Status::Skipped => self.skipped += 1,
            Status::Error => self.error += 1,
        }
    }
}

/// Reads a file in pieces, hashing each as it comes, within `limit` bytes.
async fn read_hashing(
    source: &ArchiveSource,
    entry: &ArchiveEntry,
    limit: u64,
) -> Result<(Vec<u8>, String), String> {
    let too_large = |size: u64| {
        format!("the file has {size} bytes, more than the limit of {limit}; split or rescan it")
    };
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    match (&entry.location, source) {
        (Location::File(path), _) => {
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|e| format!("cannot read: {e}"))?;
            let meta = file
                .metadata()
                .await
                .map_err(|e| format!("cannot read: {e}"))?;
            if !meta.is_file() {
                return Err("not a regular file".into());
            }
            if meta.len() > limit {
                return Err(too_large(meta.len()));
            }
            bytes.reserve_exact(usize::try_from(meta.len()).unwrap_or(0));
            let mut piece = vec![0u8; 64 * 1024];
            loop {
                let n = file
                    .read(&mut piece)
                    .await
                    .map_err(|e| format!("cannot read: {e}"))?;
                if n == 0 {
                    break;
                }
                if (bytes.len() + n) as u64 > limit {
                    return Err(too_large((bytes.len() + n) as u64));
                }
                hasher.update(&piece[..n]);
                bytes.extend_from_slice(&piece[..n]);
            }
        }
        (Location::Key(key), ArchiveSource::S3(store)) => {
            let read = store
                .read_key(key, |piece| {
                    if (bytes.len() + piece.len()) as u64 > limit {
                        return Err(too_large((bytes.len() + piece.len()) as u64));
                    }
                    hasher.update(piece);
                    bytes.extend_from_slice(piece);
                    Ok(())
                })
                .await
                .map_err(|e| e.to_string())?;
            match read {
                None => return Err("the object is gone".into()),
                Some(Err(e)) => return Err(e),
                Some(Ok(())) => {}
            }
        }
        (Location::Key(_), ArchiveSource::Dir(_)) => return Err("not a file".into()),
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Takes one archive file in (see the module documentation). Only a
/// failure of the queue itself is an `Err`; everything about the file is
/// in the outcome.
pub async fn take_in_entry<Q: Jobs + Intake + Reviews, S: ObjectStore>(
    queue: &Q,
    store: &S,
    source: &ArchiveSource,
    entry: &ArchiveEntry,
    csv: &HashMap<String, Known>,
    options: &ArchiveOptions,
) -> Result<FileOutcome, ArchiveError> {
    let name = entry.name.as_str();
    let (bytes, id) = match read_hashing(source, entry, options.pipeline.limits.max_bytes).await {
        Ok(read) => read,
        Err(e) => return Ok(FileOutcome::error(name, e)),
    };
    if bytes.is_empty() || crate::decode::sniff(&bytes).is_none() {
        return Ok(FileOutcome {
            status: Status::Skipped,
            error: Some("not a scan (PNG, JPEG, TIFF or PDF)".into()),
            ..FileOutcome::with(name, Status::Skipped, &id)
        });
    }
    let row = csv.get(name);
    let first = queue.first_archive_file(&id).await?;
    if let Some(first) = first.filter(|f| f != name) {
        queue.record_archive_file(name, &id, now_ms()).await?;
        return Ok(FileOutcome {
            duplicate_of: Some(first),
            ..FileOutcome::with(name, Status::Duplicate, &id)
        });
    }
    let seen_before = queue.archive_file(name).await?.as_deref() == Some(id.as_str());
    let file_name = name.rsplit('/').next().unwrap_or(name);
    let mut outcome = FileOutcome::with(name, Status::New, &id);
    // The CSV's codes and date are recorded on each submission before its
    // job is queued, so no worker issues it without them.
    let known = row.cloned().unwrap_or_default();
    let result = if options.split {
        intake::take_in_split(
            queue,
            store,
            file_name,
            bytes,
            &options.pipeline,
            &known,
            false,
        )
        .await
        .map(|split| match split {
            SplitTakenIn::Whole(t) => {
                if t.submitted != Submitted::Queued {
                    outcome.status = Status::Known;
                }
            }
            SplitTakenIn::Parts { parts, .. } => outcome.parts = parts,
        })
    } else {
        match known.record(queue, &id, None).await {
            Ok(()) => intake::take_in_hashed(queue, store, file_name, bytes, id.clone(), false)
                .await
                .map(|t| {
                    if t.submitted != Submitted::Queued {
                        outcome.status = Status::Known;
                    }
                }),
            Err(e) => Err(e.into()),
        }
    };
    if let Err(e) = result {
        return Ok(FileOutcome::error(name, e.to_string()));
    }
    if seen_before {
        outcome.status = Status::Unchanged;
    }
    if !seen_before {
        queue.record_archive_file(name, &id, now_ms()).await?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_in_vietnam_or_instants() {
        // 2025-07-01 00:00 UTC+7 is 2025-06-30 17:00 UTC.
        assert_eq!(parse_date("2025-07-01"), Some(1_751_302_800_000));
        assert_eq!(
            parse_date("2025-07-01T08:30:00+07:00"),
            Some(1_751_302_800_000 + 8 * 3_600_000 + 30 * 60_000)
        );
        assert_eq!(parse_date("01/07/2025"), None);
    }

    #[test]
    fn csv_codes_are_validated_and_a_bad_one_names_its_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.csv");
        let write = |text: &str| std::fs::write(&path, text).expect("write");
        write("file,dossier_code,procedure_code,received_date\na.png, 000.00.12.h29-250701-0001 ,1.001612,\n");
        let rows = read_csv(&path).expect("valid");
        assert_eq!(
            rows["a.png"].dossier_code.as_deref(),
            Some("000.00.12.H29-250701-0001")
        );
        write("a.png,000.00.12.H29-250701-0001,,\nb.png,HS-1,,\n");
        let e = read_csv(&path).expect_err("refused").to_string();
        assert!(e.contains("line 2") && e.contains("HS-1"), "{e}");
        write("a.png,,1-004227,\n");
        let e = read_csv(&path).expect_err("refused").to_string();
        assert!(e.contains("line 1") && e.contains("1-004227"), "{e}");
    }
}
