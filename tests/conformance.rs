//! One conformance suite per backend, run against every implementation: the
//! queue's `Jobs`, `Registry`, `Stats` and `LogEntries` on SQLite (temp dir)
//! and PostgreSQL,
//! `ObjectStore` on a directory (temp dir) and an S3-compatible server. The
//! PostgreSQL and S3 services are started by `tests/services.sh` (`make test`
//! does it); each test gets a fresh database or bucket.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use docseal::queue::{
    Completion, DocumentRow, DocumentStatus, EntryKind, JobState, Jobs, LogEntries, NewSubmission,
    PgQueue, QueueError, Registry, SqliteQueue, Stats, StoredCheckpoint, Submitted,
    MAX_LOG_ENTRY_BYTES,
};
use docseal::store::{DirStore, ObjectKind, ObjectStore, S3Options, S3Store, StoreError};

use common::{fresh_bucket, fresh_pg_database, fresh_pg_url, unique_name, S3Env};

/// Every case gets at most this long.
const CASE_LIMIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// Where a backend lives for one test.

/// A fresh queue location that can be opened more than once.
trait QueueLocation: Send + Sync + 'static {
    type Q: Jobs
        + Registry
        + Stats
        + LogEntries
        + docseal::queue::Reviews
        + docseal::queue::ResultCodes
        + Clone;
    fn open(&self) -> impl Future<Output = Self::Q> + Send;
}

struct SqliteLocation {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl SqliteLocation {
    async fn fresh() -> SqliteLocation {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("docseal.sqlite");
        SqliteLocation { _dir: dir, path }
    }
}

impl QueueLocation for SqliteLocation {
    type Q = SqliteQueue;
    async fn open(&self) -> SqliteQueue {
        SqliteQueue::open(&self.path)
            .await
            .unwrap_or_else(|e| panic!("the SQLite queue opens: {e:?}"))
    }
}

struct PgLocation {
    options: sqlx::postgres::PgConnectOptions,
}

impl PgLocation {
    async fn fresh() -> PgLocation {
        PgLocation {
            options: fresh_pg_database().await,
        }
    }
}

impl QueueLocation for PgLocation {
    type Q = PgQueue;
    async fn open(&self) -> PgQueue {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(20))
            .connect_with(self.options.clone())
            .await
            .expect("the test database accepts connections");
        PgQueue::with_pool(pool)
            .await
            .expect("the schema is created")
    }
}

/// A fresh store, plus one that cannot be reached.
trait StoreLocation: Send + Sync + 'static {
    type S: ObjectStore + Clone;
    fn open(&self) -> impl Future<Output = Self::S> + Send;
    fn unreachable(&self) -> impl Future<Output = Self::S> + Send;
}

struct DirLocation {
    dir: tempfile::TempDir,
}

impl DirLocation {
    async fn fresh() -> DirLocation {
        DirLocation {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }
}

impl StoreLocation for DirLocation {
    type S = DirStore;
    async fn open(&self) -> DirStore {
        DirStore::new(self.dir.path().join("objects"))
    }
    async fn unreachable(&self) -> DirStore {
        // A root below a regular file: every access fails at the file system.
        let file = self.dir.path().join("not-a-directory");
        std::fs::write(&file, b"x").expect("a file");
        DirStore::new(file.join("objects"))
    }
}

struct S3Location {
    options: S3Options,
}

impl S3Location {
    async fn fresh() -> S3Location {
        let env = S3Env::from_env();
        let bucket = fresh_bucket(&env).await;
        let mut options = env.options(&bucket);
        options.prefix = "conformance".into();
        S3Location { options }
    }
}

impl StoreLocation for S3Location {
    type S = S3Store;
    async fn open(&self) -> S3Store {
        S3Store::new(&self.options).expect("S3 settings are complete")
    }
    async fn unreachable(&self) -> S3Store {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        drop(listener);
        let mut options = self.options.clone();
        options.endpoint = Some(format!("http://127.0.0.1:{port}"));
        options.connect_timeout = Duration::from_millis(500);
        options.attempt_timeout = Duration::from_secs(2);
        options.max_attempts = 1;
        S3Store::new(&options).expect("S3 settings are complete")
    }
}

// ---------------------------------------------------------------------------
// The suites, instantiated per backend.

macro_rules! suite {
    ($backend:ident, $location:expr, $cases:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let location = $location.await;
                    tokio::time::timeout(CASE_LIMIT, $cases::$case(&location))
                        .await
                        .expect("the case finished in time");
                }
            )*
        }
    };
}

macro_rules! queue_suite {
    ($backend:ident, $location:expr) => {
        suite!($backend, $location, queue_cases:
            submit_is_idempotent_and_each_job_is_leased_once,
            an_expired_lease_is_taken_again_and_gives_up_after_max_attempts,
            completing_twice_keeps_one_document,
            a_stale_worker_completing_late_keeps_one_document,
            release_does_not_use_up_an_attempt_and_waits_its_delay,
            a_heartbeat_keeps_the_lease,
            fail_records_the_error_and_force_requeues,
            concurrent_workers_lease_each_job_exactly_once,
            status_reports_counts_timings_and_errors,
            job_and_document_views,
            revoking_a_document_records_its_status_reason_and_time,
            a_newer_pipeline_version_supersedes_the_older_document,
            opening_many_at_once_is_safe,
            the_transparency_log_sequences_entries_once_each,
            result_codes_are_numbered_per_dossier_once_each,
        );
    };
}

macro_rules! store_suite {
    ($backend:ident, $location:expr) => {
        suite!($backend, $location, store_cases:
            objects_round_trip_and_puts_are_idempotent,
            a_missing_object_is_none,
            keys_that_escape_are_refused,
            an_empty_object_round_trips,
            a_large_object_round_trips_in_parts,
            concurrent_puts_of_one_key_all_succeed,
            locate_names_the_key,
            replace_overwrites_an_object,
            an_unreachable_store_gives_transient_errors,
        );
    };
}

queue_suite!(queue_sqlite, SqliteLocation::fresh());
queue_suite!(queue_postgres, PgLocation::fresh());
store_suite!(store_dir, DirLocation::fresh());
store_suite!(store_s3, S3Location::fresh());

// ---------------------------------------------------------------------------

fn sub(id: &str) -> NewSubmission {
    NewSubmission {
        id: id.to_string(),
        name: format!("{id}.png"),
        size: 3,
        media_type: "image/png".into(),
        scan_key: format!("scans/{id}"),
    }
}

fn doc(id: &str, submission: &str) -> DocumentRow {
    DocumentRow {
        document_id: id.into(),
        submission_id: submission.into(),
        doc_type: "birth_certificate".into(),
        issued_at: 1_700_000_000,
        key_id: "k1".into(),
        pdf_key: format!("results/{id}.pdf"),
        pdf_sha256: "ab".repeat(32),
        status: DocumentStatus::Valid,
        status_reason: None,
        status_at: None,
    }
}

fn issued(id: &str, submission: &str) -> Completion {
    Completion {
        state: JobState::Issued,
        record_json: format!("{{\"document\":\"{id}\"}}"),
        record_key: format!("records/{id}.json"),
        text_key: format!("text/{id}.txt"),
        document: Some(doc(id, submission)),
    }
}

const LONG: Duration = Duration::from_secs(60);

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

mod queue_cases {
    use super::*;

    pub async fn result_codes_are_numbered_per_dossier_once_each<L: QueueLocation>(loc: &L) {
        use docseal::queue::{ResultCodes, Reviews, SubmissionMeta};
        let q = Arc::new(loc.open().await);
        let dossier = "000.00.12.H29-250701-0001";
        for i in 0..8 {
            let meta = SubmissionMeta {
                dossier_code: Some(dossier.into()),
                procedure_code: Some("1.004227".into()),
                operator: None,
            };
            q.set_meta(&format!("sub-{i}"), &meta).await.unwrap();
        }
        // Eight documents of one dossier at once: eight distinct numbers.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let q = q.clone();
                tokio::spawn(async move {
                    q.result_for(&format!("DS-{i}"), &format!("sub-{i}"))
                        .await
                        .unwrap()
                        .unwrap()
                        .result_code
                })
            })
            .collect();
        let mut codes = BTreeSet::new();
        for t in tasks {
            codes.insert(t.await.unwrap());
        }
        let want: BTreeSet<String> = (1..=8).map(|n| format!("{dossier}-KQ{n}")).collect();
        assert_eq!(codes, want);
        // Asked again (a retry), each keeps its own.
        let again = q.result_for("DS-3", "sub-3").await.unwrap().unwrap();
        assert_eq!(q.result_code("DS-3").await.unwrap(), Some(again.clone()));
        assert!(codes.contains(&again.result_code));
        assert_eq!(q.result_for("DS-x", "sub-none").await.unwrap(), None);
    }

    pub async fn the_transparency_log_sequences_entries_once_each<L: QueueLocation>(loc: &L) {
        let log = loc.open().await;
        let append = |subject: &'static str, bytes: &'static [u8]| {
            let log = log.clone();
            async move { log.append(EntryKind::Document, subject, bytes).await }
        };
        let a = append("DS-A", b"a").await.unwrap();
        let b = append("DS-B", b"b").await.unwrap();
        let again = append("DS-A", b"a").await.unwrap();
        assert_eq!((a.idx, b.idx, again.idx), (0, 1, 0));
        assert!(matches!(
            append("DS-A", b"x").await,
            Err(QueueError::LogRefused(_))
        ));
        let r = log
            .append(EntryKind::DocumentRevocation, "DS-A", b"r")
            .await
            .unwrap();
        assert_eq!(r.idx, 2);
        assert_eq!(log.size().await.unwrap(), 3);
        let all = log.entries(0, 3).await.unwrap();
        assert_eq!(all.iter().map(|e| e.idx).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(all[1].entry, b"b");
        assert_eq!(
            log.find(EntryKind::DocumentRevocation, "DS-A")
                .await
                .unwrap()
                .map(|e| e.entry),
            Some(b"r".to_vec())
        );
        let cp = |size: u64| StoredCheckpoint {
            size,
            note: vec![size as u8],
            signed_at: 10 + size as i64,
        };
        assert!(log.add_checkpoint(&cp(2)).await.unwrap());
        assert!(!log.add_checkpoint(&cp(2)).await.unwrap());
        assert!(log.add_checkpoint(&cp(3)).await.unwrap());
        assert_eq!(log.checkpoint(Some(0)).await.unwrap().unwrap().size, 2);
        assert_eq!(log.checkpoint(Some(2)).await.unwrap().unwrap().size, 3);
        assert_eq!(log.checkpoint(Some(3)).await.unwrap(), None);
        assert_eq!(log.checkpoint(None).await.unwrap(), Some(cp(3)));
        let big = vec![0u8; MAX_LOG_ENTRY_BYTES + 1];
        assert!(matches!(
            log.append(EntryKind::Document, "DS-BIG", &big).await,
            Err(QueueError::LogRefused(_))
        ));

        // Concurrent appends from several connections: no gap, no duplicate.
        let mut tasks = Vec::new();
        for t in 0..4 {
            let q = loc.open().await;
            tasks.push(tokio::spawn(async move {
                for k in 0..10 {
                    let s = format!("DS-{t}-{k}");
                    q.append(EntryKind::Document, &s, s.as_bytes())
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = log.entries(0, 1000).await.unwrap();
        assert_eq!(all.len(), 43);
        assert!(all.iter().enumerate().all(|(i, e)| e.idx == i as u64));
    }

    pub async fn submit_is_idempotent_and_each_job_is_leased_once<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        assert_eq!(
            q.submit(&sub("a"), "v1", false).await.unwrap(),
            Submitted::Queued
        );
        assert_eq!(
            q.submit(&sub("a"), "v1", false).await.unwrap(),
            Submitted::AlreadyKnown(JobState::Queued)
        );
        assert_eq!(
            q.submit(&sub("b"), "v1", false).await.unwrap(),
            Submitted::Queued
        );
        // A new pipeline version is a new job for the same submission.
        assert_eq!(
            q.submit(&sub("a"), "v2", false).await.unwrap(),
            Submitted::Queued
        );
        let mut seen = BTreeSet::new();
        for w in ["w1", "w2", "w3"] {
            let l = q.lease(w, LONG, 3).await.unwrap().expect("a job");
            assert_eq!(l.attempt, 1);
            assert_eq!(l.name, format!("{}.png", l.submission_id));
            assert_eq!(l.scan_key, format!("scans/{}", l.submission_id));
            assert_eq!(l.media_type, "image/png");
            assert!(seen.insert((l.submission_id, l.pipeline_version)));
        }
        assert!(q.lease("w4", LONG, 3).await.unwrap().is_none());
        let s = q.status().await.unwrap();
        assert_eq!((s.received, s.queued, s.processing), (2, 0, 3));
    }

    pub async fn an_expired_lease_is_taken_again_and_gives_up_after_max_attempts<
        L: QueueLocation,
    >(
        loc: &L,
    ) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let first = q.lease("w1", Duration::ZERO, 2).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = q.lease("w2", Duration::ZERO, 2).await.unwrap().unwrap();
        assert_eq!(second.attempt, 2);
        assert_ne!(second.token, first.token);
        assert_eq!(second.first_started_at, first.first_started_at);
        assert!(!q.heartbeat(&first, LONG).await.unwrap());
        // A worker whose lease expired cannot fail the job another one holds.
        q.fail(&first, "stale worker").await.unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Processing);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(q.lease("w3", LONG, 2).await.unwrap().is_none());
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert!(job
            .error
            .unwrap_or_default()
            .contains("gave up after 2 attempts"));
        assert_eq!(q.status().await.unwrap().failed, 1);
    }

    pub async fn completing_twice_keeps_one_document<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let lease = q.lease("w1", LONG, 3).await.unwrap().unwrap();
        q.complete(&lease, &issued("DOC-1", "a")).await.unwrap();
        q.complete(&lease, &issued("DOC-2", "a")).await.unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Issued);
        assert_eq!(job.document_id.as_deref(), Some("DOC-1"));
        assert!(q.document("DOC-2").await.unwrap().is_none());
        assert_eq!(q.status().await.unwrap().issued, 1);
        // A finished job is not leased again, and resubmitting does not requeue it.
        assert!(q.lease("w2", LONG, 3).await.unwrap().is_none());
        assert_eq!(
            q.submit(&sub("a"), "v1", true).await.unwrap(),
            Submitted::AlreadyKnown(JobState::Issued)
        );
    }

    pub async fn a_stale_worker_completing_late_keeps_one_document<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let stale = q.lease("w1", Duration::ZERO, 5).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let fresh = q.lease("w2", LONG, 5).await.unwrap().unwrap();
        let (q1, q2) = (q.clone(), q.clone());
        let (s1, s2) = (stale.clone(), fresh.clone());
        let a = tokio::spawn(async move { q1.complete(&s1, &issued("DOC-A", "a")).await });
        let b = tokio::spawn(async move { q2.complete(&s2, &issued("DOC-B", "a")).await });
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        let kept = job.document_id.expect("a document");
        assert!(kept == "DOC-A" || kept == "DOC-B");
        let other = if kept == "DOC-A" { "DOC-B" } else { "DOC-A" };
        assert!(q.document(other).await.unwrap().is_none());
        assert_eq!(q.status().await.unwrap().issued, 1);
        // The stale lease can no longer release or heartbeat the job.
        q.release(&stale, "late", Duration::ZERO).await.unwrap();
        assert!(!q.heartbeat(&stale, LONG).await.unwrap());
        assert_eq!(
            q.job("a", "v1").await.unwrap().unwrap().state,
            JobState::Issued
        );
    }

    pub async fn release_does_not_use_up_an_attempt_and_waits_its_delay<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        for _ in 0..5 {
            let l = q.lease("w", LONG, 2).await.unwrap().unwrap();
            assert_eq!(l.attempt, 1);
            q.release(&l, "storage unreachable", Duration::ZERO)
                .await
                .unwrap();
        }
        let l = q.lease("w", LONG, 2).await.unwrap().unwrap();
        q.release(&l, "storage unreachable", Duration::from_millis(800))
            .await
            .unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Queued, 0));
        assert_eq!(job.error.as_deref(), Some("storage unreachable"));
        assert!(q.lease("w", LONG, 2).await.unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let again = q
            .lease("w", LONG, 2)
            .await
            .unwrap()
            .expect("available again");
        assert_eq!(again.attempt, 1);
        // A released job keeps its issue time.
        assert_eq!(again.first_started_at, l.first_started_at);
    }

    pub async fn a_heartbeat_keeps_the_lease<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let l = q
            .lease("w1", Duration::from_millis(300), 3)
            .await
            .unwrap()
            .unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert!(q.heartbeat(&l, Duration::from_millis(300)).await.unwrap());
            assert!(q.lease("w2", LONG, 3).await.unwrap().is_none());
        }
        tokio::time::sleep(Duration::from_millis(450)).await;
        let taken = q.lease("w2", LONG, 3).await.unwrap().expect("expired");
        assert_eq!(taken.attempt, 2);
        assert!(!q.heartbeat(&l, LONG).await.unwrap());
    }

    pub async fn fail_records_the_error_and_force_requeues<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let l = q.lease("w1", LONG, 3).await.unwrap().unwrap();
        q.fail(&l, "a.png: not an image").await.unwrap();
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert_eq!(job.error.as_deref(), Some("a.png: not an image"));
        assert!(q.lease("w1", LONG, 3).await.unwrap().is_none());
        assert_eq!(
            q.submit(&sub("a"), "v1", false).await.unwrap(),
            Submitted::AlreadyKnown(JobState::Failed)
        );
        assert_eq!(
            q.submit(&sub("a"), "v1", true).await.unwrap(),
            Submitted::Requeued
        );
        let job = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.attempts, job.error),
            (JobState::Queued, 0, None)
        );
        let again = q.lease("w1", LONG, 3).await.unwrap().unwrap();
        assert_eq!(again.attempt, 1);
        // Failing never overrides an issued document.
        q.complete(&again, &issued("DOC-1", "a")).await.unwrap();
        q.fail(&again, "too late").await.unwrap();
        assert_eq!(
            q.job("a", "v1").await.unwrap().unwrap().state,
            JobState::Issued
        );
        // A queued or processing job is not requeued by force.
        q.submit(&sub("b"), "v1", false).await.unwrap();
        assert_eq!(
            q.submit(&sub("b"), "v1", true).await.unwrap(),
            Submitted::AlreadyKnown(JobState::Queued)
        );
    }

    pub async fn concurrent_workers_lease_each_job_exactly_once<L: QueueLocation>(loc: &L) {
        const JOBS: usize = 60;
        const WORKERS: usize = 8;
        let q = loc.open().await;
        for i in 0..JOBS {
            q.submit(&sub(&format!("s{i:03}")), "v1", false)
                .await
                .unwrap();
        }
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..WORKERS {
            // Separate handles (pools) compete like separate processes.
            let q = loc.open().await;
            tasks.spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..JOBS * 2 {
                    match q.lease(&format!("w{w}"), LONG, 3).await.unwrap() {
                        Some(l) => {
                            q.complete(
                                &l,
                                &issued(&format!("DOC-{}", l.submission_id), &l.submission_id),
                            )
                            .await
                            .unwrap();
                            mine.push(l.submission_id);
                        }
                        None => break,
                    }
                }
                mine
            });
        }
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            for id in done.unwrap() {
                *count.entry(id).or_default() += 1;
            }
        }
        assert_eq!(count.len(), JOBS, "every job was leased");
        assert!(
            count.values().all(|&n| n == 1),
            "no job was leased twice: {count:?}"
        );
        let s = q.status().await.unwrap();
        assert_eq!((s.issued, s.queued, s.processing), (JOBS as u64, 0, 0));
    }

    pub async fn status_reports_counts_timings_and_errors<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        let empty = q.status().await.unwrap();
        assert_eq!(empty.received, 0);
        assert_eq!((empty.p50_secs, empty.oldest_waiting_secs), (None, None));
        for id in ["a", "b", "c", "d"] {
            q.submit(&sub(id), "v1", false).await.unwrap();
        }
        let a = q.lease("w", LONG, 3).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        q.complete(&a, &issued("DOC-A", &a.submission_id))
            .await
            .unwrap();
        let b = q.lease("w", LONG, 3).await.unwrap().unwrap();
        let mut review = issued("x", &b.submission_id);
        review.state = JobState::NeedsReview;
        review.document = None;
        q.complete(&b, &review).await.unwrap();
        let c = q.lease("w", LONG, 3).await.unwrap().unwrap();
        q.fail(&c, "c.png: truncated").await.unwrap();
        let s = q.status().await.unwrap();
        assert_eq!(
            (
                s.received,
                s.queued,
                s.processing,
                s.issued,
                s.needs_review,
                s.failed
            ),
            (4, 1, 0, 1, 1, 1)
        );
        assert_eq!(s.finished_last_10_min, 3);
        assert!(s.oldest_waiting_secs.is_some_and(|t| (0..60).contains(&t)));
        let (p50, p95) = (s.p50_secs.unwrap(), s.p95_secs.unwrap());
        assert!(p50 >= 0.0 && p95 >= p50 && p95 >= 0.04, "{p50} {p95}");
        assert_eq!(s.last_errors.len(), 1);
        assert_eq!(s.last_errors[0].0, c.submission_id);
        assert_eq!(s.last_errors[0].2, "c.png: truncated");
    }

    pub async fn job_and_document_views<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        assert!(q.job("nope", "v1").await.unwrap().is_none());
        assert!(q.document("nope").await.unwrap().is_none());
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let view = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(
            (view.name.as_str(), view.state, view.attempts),
            ("a.png", JobState::Queued, 0)
        );
        assert_eq!(
            (view.record_json, view.document_id, view.pdf_key),
            (None, None, None)
        );
        let l = q.lease("w", LONG, 3).await.unwrap().unwrap();
        q.complete(&l, &issued("DOC-1", "a")).await.unwrap();
        let view = q.job("a", "v1").await.unwrap().unwrap();
        assert_eq!(view.attempts, 1);
        assert_eq!(
            view.record_json.as_deref(),
            Some("{\"document\":\"DOC-1\"}")
        );
        assert_eq!(view.pdf_key.as_deref(), Some("results/DOC-1.pdf"));
        let d = q.document("DOC-1").await.unwrap().unwrap();
        assert_eq!(d, doc("DOC-1", "a"));
        assert!(q.job("a", "v2").await.unwrap().is_none());
    }

    pub async fn revoking_a_document_records_its_status_reason_and_time<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        assert!(q.revoke_document("nope", "x").await.unwrap().is_none());
        q.submit(&sub("a"), "v1", false).await.unwrap();
        let l = q.lease("w", LONG, 3).await.unwrap().unwrap();
        q.complete(&l, &issued("DOC-1", "a")).await.unwrap();
        let before = unix_now();
        let d = q
            .revoke_document("DOC-1", "issued from the wrong citizen's scan")
            .await
            .unwrap()
            .expect("the document exists");
        let after = unix_now();
        assert_eq!(d.status, DocumentStatus::Revoked);
        assert_eq!(
            d.status_reason.as_deref(),
            Some("issued from the wrong citizen's scan")
        );
        let at = d.status_at.expect("a revocation time");
        assert!(
            before - 5 <= at && at <= after + 5,
            "{before} <= {at} <= {after}"
        );
        assert_eq!(q.document("DOC-1").await.unwrap(), Some(d.clone()));
        // Revoking again keeps the first time and reason.
        let again = q.revoke_document("DOC-1", "other").await.unwrap();
        assert_eq!(again, Some(d));
        // The job's outcome is history; it does not change.
        assert_eq!(
            q.job("a", "v1").await.unwrap().unwrap().state,
            JobState::Issued
        );
    }

    pub async fn a_newer_pipeline_version_supersedes_the_older_document<L: QueueLocation>(loc: &L) {
        let q = loc.open().await;
        let issue = |id: &'static str, submission: &'static str, version: &'static str| {
            let q = q.clone();
            async move {
                q.submit(&sub(submission), version, false).await.unwrap();
                let l = q.lease("w", LONG, 3).await.unwrap().unwrap();
                assert_eq!(l.pipeline_version, version);
                let mut done = issued(id, submission);
                if let Some(d) = done.document.as_mut() {
                    d.issued_at += i64::from(version == "v2") * 3600;
                }
                q.complete(&l, &done).await.unwrap();
            }
        };
        issue("DOC-1", "a", "v1").await;
        issue("DOC-3", "b", "v1").await;
        q.revoke_document("DOC-3", "withdrawn").await.unwrap();
        issue("DOC-2", "a", "v2").await;
        issue("DOC-4", "b", "v2").await;
        let old = q.document("DOC-1").await.unwrap().unwrap();
        assert_eq!(old.status, DocumentStatus::Superseded);
        let reason = old.status_reason.unwrap_or_default();
        assert!(
            reason.contains("DOC-2") && reason.contains("v2"),
            "{reason}"
        );
        assert!(old.status_at.is_some());
        assert_eq!(
            q.document("DOC-2").await.unwrap().unwrap().status,
            DocumentStatus::Valid
        );
        // A revoked document stays revoked.
        let revoked = q.document("DOC-3").await.unwrap().unwrap();
        assert_eq!(revoked.status, DocumentStatus::Revoked);
        assert_eq!(revoked.status_reason.as_deref(), Some("withdrawn"));
        // Completing the newer job again changes nothing.
        let l = q.submit(&sub("a"), "v2", false).await.unwrap();
        assert_eq!(l, Submitted::AlreadyKnown(JobState::Issued));
        assert_eq!(
            q.document("DOC-1").await.unwrap().unwrap().status,
            DocumentStatus::Superseded
        );
    }

    pub async fn opening_many_at_once_is_safe<L: QueueLocation>(loc: &L) {
        // Workers starting together all create the schema if it is missing.
        let (a, b, c, d, e, f) = tokio::join!(
            loc.open(),
            loc.open(),
            loc.open(),
            loc.open(),
            loc.open(),
            loc.open()
        );
        for (i, q) in [a, b, c, d, e, f].iter().enumerate() {
            assert_eq!(
                q.submit(&sub(&format!("s{i}")), "v1", false).await.unwrap(),
                Submitted::Queued
            );
        }
        assert_eq!(loc.open().await.status().await.unwrap().received, 6);
    }
}

mod store_cases {
    use super::*;

    pub async fn replace_overwrites_an_object<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        // Same length, other bytes: a put would keep the first.
        s.replace("tlog/checkpoint", b"first").await.unwrap();
        s.replace("tlog/checkpoint", b"other").await.unwrap();
        assert_eq!(
            s.get("tlog/checkpoint").await.unwrap().as_deref(),
            Some(&b"other"[..])
        );
    }

    pub async fn objects_round_trip_and_puts_are_idempotent<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        for (kind, bytes) in [
            (ObjectKind::Scan, &b"\x89PNG scan bytes"[..]),
            (ObjectKind::Record, &b"{\"a\":1}"[..]),
            (ObjectKind::Text, "Họ và tên: Nguyễn Văn A".as_bytes()),
            (ObjectKind::Result, &b"%PDF-1.7 result"[..]),
        ] {
            let key = kind.key_for(bytes);
            s.put(&key, bytes).await.unwrap();
            s.put(&key, bytes).await.unwrap();
            assert_eq!(s.get(&key).await.unwrap().as_deref(), Some(bytes));
        }
        // A second handle sees the same objects.
        let other = loc.open().await;
        let key = ObjectKind::Scan.key_for(b"\x89PNG scan bytes");
        assert_eq!(
            other.get(&key).await.unwrap().as_deref(),
            Some(&b"\x89PNG scan bytes"[..])
        );
    }

    pub async fn a_missing_object_is_none<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        assert_eq!(
            s.get(&ObjectKind::Scan.key_for(b"never stored"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.get("records/zz/unknown.json").await.unwrap(), None);
    }

    pub async fn keys_that_escape_are_refused<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        for key in [
            "../x",
            "a//b",
            "/etc/passwd",
            "a/./b",
            "",
            "a/b/",
            "a b",
            "a\\b",
        ] {
            assert!(
                matches!(s.put(key, b"x").await, Err(StoreError::InvalidKey(_))),
                "put {key:?}"
            );
            assert!(
                matches!(s.get(key).await, Err(StoreError::InvalidKey(_))),
                "get {key:?}"
            );
        }
    }

    pub async fn an_empty_object_round_trips<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        let key = ObjectKind::Text.key_for(b"");
        s.put(&key, b"").await.unwrap();
        s.put(&key, b"").await.unwrap();
        assert_eq!(s.get(&key).await.unwrap(), Some(Vec::new()));
    }

    pub async fn a_large_object_round_trips_in_parts<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        // Above the default 8 MiB part size: two parts, the last one short.
        let bytes: Vec<u8> = (0..(9 * 1024 * 1024 + 12_345))
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let key = ObjectKind::Scan.key_for(&bytes);
        s.put(&key, &bytes).await.unwrap();
        s.put(&key, &bytes).await.unwrap();
        let back = s.get(&key).await.unwrap().expect("stored");
        assert_eq!(back.len(), bytes.len());
        assert!(back == bytes, "the bytes came back changed");
    }

    pub async fn concurrent_puts_of_one_key_all_succeed<L: StoreLocation>(loc: &L) {
        let bytes: Arc<Vec<u8>> = Arc::new((0..200_000u32).map(|i| (i % 251) as u8).collect());
        let key = ObjectKind::Result.key_for(&bytes);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let s = loc.open().await;
            let (bytes, key) = (bytes.clone(), key.clone());
            tasks.spawn(async move { s.put(&key, &bytes[..]).await });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
        let s = loc.open().await;
        assert!(s.get(&key).await.unwrap().as_deref() == Some(&bytes[..]));
    }

    pub async fn locate_names_the_key<L: StoreLocation>(loc: &L) {
        let s = loc.open().await;
        let key = ObjectKind::Result.key_for(b"pdf");
        let where_ = s.locate(&key);
        assert!(where_.ends_with(&key), "{where_}");
        assert_ne!(where_, key, "the locator says which store");
    }

    pub async fn an_unreachable_store_gives_transient_errors<L: StoreLocation>(loc: &L) {
        let s = loc.unreachable().await;
        let key = ObjectKind::Scan.key_for(b"bytes");
        let put = s
            .put(&key, b"bytes")
            .await
            .expect_err("nothing can be stored");
        assert!(put.is_transient(), "{put}");
        let get = s.get(&key).await.expect_err("nothing can be read");
        assert!(get.is_transient(), "{get}");
    }
}

// ---------------------------------------------------------------------------
// What only one implementation has.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_prefixes_keep_stores_apart_and_locate_gives_s3_urls() {
    let env = S3Env::from_env();
    let bucket = fresh_bucket(&env).await;
    let mut a = env.options(&bucket);
    a.prefix = "office-a".into();
    let mut b = env.options(&bucket);
    b.prefix = "office-b".into();
    let (a, b) = (S3Store::new(&a).unwrap(), S3Store::new(&b).unwrap());
    let key = ObjectKind::Record.key_for(b"{}");
    a.put(&key, b"{}").await.unwrap();
    assert_eq!(b.get(&key).await.unwrap(), None);
    assert_eq!(a.locate(&key), format!("s3://{bucket}/office-a/{key}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_wrong_credentials_are_refused_and_a_missing_bucket_is_caught_at_open() {
    let env = S3Env::from_env();
    let bucket = fresh_bucket(&env).await;
    let mut wrong = env.options(&bucket);
    if let Some(c) = wrong.credentials.as_mut() {
        c.secret_access_key = "not-the-secret".into();
    }
    wrong.max_attempts = 1;
    let s = S3Store::new(&wrong).unwrap();
    let err = s.put("scans/ab/abc", b"x").await.expect_err("refused");
    assert!(matches!(err, StoreError::Refused { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(!err.to_string().contains("not-the-secret"));

    // Servers differ on requests to a missing bucket (s3s-fs even creates it on
    // a put), so opening a store checks that its bucket exists.
    let options = env.options(&unique_name("docseal-none"));
    let missing = S3Store::new(&options).unwrap();
    assert!(!missing.bucket_exists().await.unwrap());
    let err = docseal::store::AnyStore::open(&docseal::store::StoreUrl::S3(options))
        .await
        .expect_err("no bucket");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn s3_settings_without_credentials_are_an_error_that_says_what_to_set() {
    let mut options = S3Options::new("docseal-x");
    options.credentials = None;
    let err = S3Store::new(&options).expect_err("no credentials");
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
    let mut small = S3Options::new("docseal-x");
    small.credentials = Some(docseal::store::S3Credentials {
        access_key_id: "AK".into(),
        secret_access_key: "SK".into(),
        session_token: None,
    });
    small.part_size = 1024;
    assert!(S3Store::new(&small).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_urls_open_the_production_backends() {
    use docseal::config::{S3Settings, Secret};
    use docseal::queue::AnyQueue;
    use docseal::store::AnyStore;

    let url = fresh_pg_url().await;
    let queue = AnyQueue::open(&url.parse().expect("a queue URL"))
        .await
        .expect("PostgreSQL opens from its URL");
    assert!(matches!(queue, AnyQueue::Postgres(_)));
    assert_eq!(
        queue.submit(&sub("a"), "v1", false).await.unwrap(),
        Submitted::Queued
    );

    let env = S3Env::from_env();
    let bucket = fresh_bucket(&env).await;
    let s3 = S3Settings {
        endpoint: Some(env.endpoint.clone()),
        access_key_id: Some(env.access_key.clone()),
        secret_access_key: Some(Secret(env.secret_key.clone())),
        ..S3Settings::default()
    };
    let store_url = s3
        .store_url(&format!("s3://{bucket}/objects"))
        .expect("a store URL");
    let store = AnyStore::open(&store_url).await.expect("the bucket opens");
    store.put("scans/ab/abc", b"scan").await.unwrap();
    assert_eq!(
        store.locate("scans/ab/abc"),
        format!("s3://{bucket}/objects/scans/ab/abc")
    );
}
