//! Worker processes under failure. Two `docseal work` processes share one
//! installation while one of them is SIGKILLed again and again and restarted,
//! on PostgreSQL + S3 and on the embedded default (one SQLite file and a local
//! directory); and an S3 outage in the middle of a run. The submissions mix
//! generated clean scans that are issued as signed result documents with cheap
//! synthetic pages that end in review and files that cannot be read.
//! Afterwards every submission has exactly one outcome; nothing is lost,
//! stuck, duplicated or orphaned, and nothing failed because of the
//! infrastructure.
//!
//! The in-process pool of the outage test runs this test binary's code; the
//! crash tests run the real `docseal` binary.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docseal::config::{load_with, Config, Overrides};
use docseal::model::Issuer;
use docseal::office::{Credentials, TrustList};
use docseal::queue::{
    AnyQueue, JobState, Jobs, NewSubmission, PgQueue, Registry, Stats, StatusReport,
};
use docseal::render::FontSet;
use docseal::store::{sha256_hex, AnyStore, ObjectKind, ObjectStore, S3Store};
use docseal::verify::{self, Verdict};
use docseal::worker::{self, Services, WorkerOptions};
use docseal::PIPELINE_VERSION;

use common::{fresh_bucket, fresh_pg_url, list_bucket, S3Env};

/// Generated clean scans of every type: about a CPU-second of OCR each, and
/// the ones that are read with confidence are issued.
const REAL_DOCS: usize = 24;
/// The seed of those scans.
const REAL_SEED: u64 = 4004;
/// Synthetic pages: cheap to OCR, never a known type.
const SYNTHETIC: u64 = 76;
/// Files that claim to be PNGs and are not.
const CORRUPT: u64 = 6;
/// Worker leases in the crash tests: short, so killed jobs come back soon.
const LEASE_SECS: &str = "3";
/// High enough that a job hit by several kills is not given up on.
const MAX_ATTEMPTS: &str = "8";

/// A scan-like page: white paper with dark blocks where text would be.
fn page(seed: u64) -> Vec<u8> {
    let (w, h) = (900u32, 1200u32);
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([250]));
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    for line in 0..30 {
        let y0 = 60 + line * 36;
        let mut x = 60 + next() % 40;
        while x < w - 80 {
            let word = 20 + next() % 90;
            for y in y0..y0 + 14 {
                for xx in x..(x + word).min(w - 60) {
                    if next() % 5 != 0 {
                        img.put_pixel(xx, y, image::Luma([20]));
                    }
                }
            }
            x += word + 12 + next() % 10;
        }
    }
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("PNG encodes");
    out
}

/// A file that claims to be a PNG and is not one.
fn corrupt(seed: u64) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&seed.to_le_bytes());
    b
}

fn services(queue: PgQueue, store: S3Store, keys: &Path) -> Services<PgQueue, S3Store> {
    let config = Config::new(keys);
    Services {
        queue: Arc::new(queue),
        store: Arc::new(store),
        credentials: Arc::new(
            Credentials::load_or_create(keys, "docseal crash test").expect("the keys"),
        ),
        fonts: Arc::new(FontSet::find().expect("fonts")),
        pipeline: Arc::new(config.pipeline.clone()),
        issuer: Issuer {
            office: "docseal crash test".into(),
            operator: "test".into(),
        },
    }
}

fn worker_options(name: &str) -> WorkerOptions {
    WorkerOptions {
        workers: 1,
        lease_for: Duration::from_secs(3),
        max_attempts: 8,
        poll: Duration::from_millis(200),
        until_idle: false,
        name: name.to_string(),
        isolation: None,
    }
}

/// What a submission is, and so which outcomes are right for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A generated scan of a real document type.
    Real,
    /// A synthetic page of text-like blocks.
    Synthetic,
    /// Bytes no decoder accepts.
    Corrupt,
}

/// Stores each scan, then queues it (in process); returns submission id → kind.
async fn submit_all<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    good: u64,
) -> BTreeMap<String, Kind> {
    let mut ids = BTreeMap::new();
    for n in 0..good {
        let bytes = page(n);
        let id = sha256_hex(&bytes);
        let scan_key = ObjectKind::Scan.key_for_sha256(&id);
        store
            .put(&scan_key, &bytes)
            .await
            .expect("the scan is stored");
        queue
            .submit(
                &NewSubmission {
                    id: id.clone(),
                    name: format!("scan-{n:03}.png"),
                    size: bytes.len() as u64,
                    media_type: "image/png".into(),
                    scan_key,
                },
                PIPELINE_VERSION,
                false,
            )
            .await
            .expect("the job is queued");
        ids.insert(id, Kind::Synthetic);
    }
    ids
}

/// Writes the crash tests' inputs into `dir`: the real scans spread evenly
/// among the synthetic and corrupt ones (jobs are leased in submission order),
/// and returns submission id → kind.
fn write_inputs(dir: &Path, scratch: &Path) -> BTreeMap<String, Kind> {
    let real = docseal::samples::generate(
        scratch,
        &docseal::samples::SampleOptions {
            count: REAL_DOCS,
            seed: REAL_SEED,
            degrade: false,
        },
    )
    .expect("the sample scans are generated");
    let mut real: Vec<(Kind, String, Vec<u8>)> = real
        .iter()
        .filter(|p| docseal::config::is_scan_file(p))
        .map(|p| {
            let name = p.file_name().expect("a file name").to_string_lossy();
            (
                Kind::Real,
                name.into_owned(),
                std::fs::read(p).expect("a sample scan"),
            )
        })
        .collect();
    assert_eq!(real.len(), REAL_DOCS, "one scan per sample document");
    let cheap: Vec<(Kind, String, Vec<u8>)> = (0..SYNTHETIC)
        .map(|i| (Kind::Synthetic, format!("synthetic-{i}.png"), page(i)))
        .chain((0..CORRUPT).map(|i| (Kind::Corrupt, format!("corrupt-{i}.png"), corrupt(i))))
        .collect();
    let every = (cheap.len() + real.len()) / real.len();
    std::fs::create_dir_all(dir).expect("the input directory");
    let mut ids = BTreeMap::new();
    let mut cheap = cheap.into_iter();
    real.reverse();
    for n in 0.. {
        let next = if n % every == 0 { real.pop() } else { None };
        let Some((kind, name, bytes)) = next.or_else(|| cheap.next()).or_else(|| real.pop()) else {
            break;
        };
        std::fs::write(dir.join(format!("{n:03}-{name}")), &bytes).expect("an input is written");
        assert!(
            ids.insert(sha256_hex(&bytes), kind).is_none(),
            "two inputs have the same bytes"
        );
    }
    ids
}

async fn wait_until_done<Q: Stats>(queue: &Q, limit: Duration) -> StatusReport {
    let start = Instant::now();
    loop {
        let s = queue.status().await.expect("status");
        if s.queued == 0 && s.processing == 0 {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "jobs still open after {limit:?}: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Object keys found in the store under `results/` and `records/`.
struct Listing {
    results: Vec<String>,
    records: Vec<String>,
}

/// What the checked run produced.
#[derive(Debug, Default)]
struct Outcomes {
    /// Issued documents of real scans.
    real_issued: usize,
    /// Issued documents in all.
    issued: usize,
    /// Jobs leased more than once (their worker was killed).
    taken_over: usize,
    /// Of those, the ones that were issued.
    taken_over_issued: usize,
}

/// Every submission has exactly one final outcome, the right one for its kind;
/// each issued one has one document, with the id its submission and pipeline
/// version give, one valid result PDF stored under its content address, and the
/// store holds no result or record that the registry does not name.
async fn check_outcomes<Q: Registry + Stats, S: ObjectStore>(
    queue: &Q,
    store: &S,
    ids: &BTreeMap<String, Kind>,
    listing: &Listing,
    trust: &TrustList,
) -> Outcomes {
    let status = queue.status().await.expect("status");
    assert_eq!(status.received, ids.len() as u64, "{status:?}");
    assert_eq!((status.queued, status.processing), (0, 0), "{status:?}");
    let mut outcomes = Outcomes::default();
    let mut pdf_keys = BTreeSet::new();
    let mut record_keys = BTreeSet::new();
    for (id, &kind) in ids {
        let job = queue
            .job(id, PIPELINE_VERSION)
            .await
            .expect("the queue answers")
            .unwrap_or_else(|| panic!("{id} ({kind:?}) has no job"));
        if kind == Kind::Corrupt {
            assert_eq!(job.state, JobState::Failed, "{id}: {job:?}");
            let error = job.error.unwrap_or_default();
            assert!(
                !error.contains("gave up") && !error.contains("object store"),
                "{id} failed for the wrong reason: {error}"
            );
            assert!(job.document_id.is_none() && job.record_json.is_none());
            continue;
        }
        assert!(
            matches!(job.state, JobState::Issued | JobState::NeedsReview),
            "{id} ({kind:?}) ended {:?}: {:?}",
            job.state,
            job.error
        );
        if job.attempts > 1 {
            outcomes.taken_over += 1;
        }
        let record = job.record_json.as_deref().expect("a record");
        record_keys.insert(ObjectKind::Record.key_for(record.as_bytes()));
        if job.state == JobState::NeedsReview {
            assert!(job.document_id.is_none(), "{id}: {job:?}");
            continue;
        }
        outcomes.issued += 1;
        if job.attempts > 1 {
            outcomes.taken_over_issued += 1;
        }
        if kind == Kind::Real {
            outcomes.real_issued += 1;
        }
        let doc_id = job.document_id.expect("an issued job names its document");
        assert_eq!(
            doc_id,
            docseal::pipeline::document_id(id, PIPELINE_VERSION),
            "{id}"
        );
        let doc = queue
            .document(&doc_id)
            .await
            .expect("the registry answers")
            .expect("the document row");
        assert_eq!(doc.submission_id, *id);
        assert_eq!(job.pdf_key.as_deref(), Some(doc.pdf_key.as_str()));
        assert_eq!(
            doc.pdf_key,
            ObjectKind::Result.key_for_sha256(&doc.pdf_sha256)
        );
        assert!(pdf_keys.insert(doc.pdf_key.clone()), "{id}: shared result");
        let pdf = store
            .get(&doc.pdf_key)
            .await
            .expect("the store answers")
            .unwrap_or_else(|| panic!("{id}: the result PDF {} is missing", doc.pdf_key));
        let report = verify::verify_bytes(&doc.pdf_key, &pdf, trust);
        assert_eq!(report.verdict, Verdict::Valid, "{id}: {report:?}");
        let summary = report
            .document
            .expect("a valid report describes the document");
        assert_eq!(
            (summary.document_id.as_str(), summary.source_sha256.as_str()),
            (doc_id.as_str(), id.as_str())
        );
    }
    let listed_results: BTreeSet<String> = listing.results.iter().cloned().collect();
    assert_eq!(
        listing.results.len(),
        listed_results.len(),
        "the store lists a result twice"
    );
    assert_eq!(
        listed_results, pdf_keys,
        "result objects and issued documents differ (orphaned or missing results)"
    );
    let listed_records: BTreeSet<String> = listing.records.iter().cloned().collect();
    assert_eq!(
        listed_records, record_keys,
        "record objects and finished jobs differ (orphaned or missing records)"
    );
    for key in listing.results.iter().chain(&listing.records) {
        let bytes = store
            .get(key)
            .await
            .expect("the store answers")
            .unwrap_or_else(|| panic!("{key} is listed but cannot be read"));
        let sha = sha256_hex(&bytes);
        assert!(key.contains(&sha), "{key} holds other bytes ({sha})");
    }
    assert_eq!(status.issued, outcomes.issued as u64, "{status:?}");
    outcomes
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Where an installation keeps its queue, registry and objects.
enum Backend {
    /// The embedded default: a SQLite file and a directory under `--data`.
    Embedded,
    /// A PostgreSQL database and an S3 bucket.
    Shared {
        pg_url: String,
        s3: S3Env,
        bucket: String,
    },
}

/// One installation that `docseal` processes are started on.
struct Site {
    backend: Backend,
    dir: tempfile::TempDir,
}

impl Site {
    fn new(backend: Backend) -> Site {
        Site {
            backend,
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The command-line flags that choose the backends.
    fn flags(&self) -> Vec<String> {
        let mut flags = vec!["--data".into(), self.data().display().to_string()];
        if let Backend::Shared { pg_url, bucket, .. } = &self.backend {
            flags.extend([
                "--queue".into(),
                pg_url.clone(),
                "--store".into(),
                format!("s3://{bucket}"),
            ]);
        }
        flags
    }

    /// The environment `docseal` processes get.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("DOCSEAL_LEASE_SECS", LEASE_SECS.to_string()),
            ("DOCSEAL_MAX_ATTEMPTS", MAX_ATTEMPTS.to_string()),
            ("OMP_THREAD_LIMIT", "1".to_string()),
        ];
        if let Backend::Shared { s3, .. } = &self.backend {
            env.extend([
                ("AWS_ENDPOINT_URL", s3.endpoint.clone()),
                ("AWS_REGION", "us-east-1".to_string()),
                ("AWS_ACCESS_KEY_ID", s3.access_key.clone()),
                ("AWS_SECRET_ACCESS_KEY", s3.secret_key.clone()),
            ]);
        }
        env
    }

    /// `docseal ARGS` on this installation.
    fn docseal(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_docseal"));
        cmd.current_dir(self.dir.path())
            .env_remove("DOCSEAL_CONFIG")
            .envs(self.env())
            .args(self.flags())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// The configuration the `docseal` processes read, read the same way.
    fn config(&self) -> Config {
        let flags = self.flags();
        let flag = |name: &str| {
            flags
                .iter()
                .position(|f| f == name)
                .map(|i| flags[i + 1].clone())
        };
        let env = self.env();
        load_with(
            &Overrides {
                data_dir: Some(self.data()),
                queue: flag("--queue"),
                store: flag("--store"),
                ..Overrides::default()
            },
            &|name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()),
        )
        .expect("the test configuration loads")
    }

    /// Keys under `prefix` in the object store.
    async fn list(&self, prefix: &str) -> Vec<String> {
        match &self.backend {
            Backend::Shared { s3, bucket, .. } => list_bucket(s3, bucket, prefix).await,
            Backend::Embedded => {
                let root = self.config().objects_dir();
                let mut keys = Vec::new();
                let mut dirs = vec![root.join(prefix)];
                while let Some(dir) = dirs.pop() {
                    let Ok(entries) = std::fs::read_dir(&dir) else {
                        continue;
                    };
                    for e in entries {
                        let path = e.expect("a directory entry").path();
                        if path.is_dir() {
                            dirs.push(path);
                        } else {
                            let key = path.strip_prefix(&root).expect("under the root");
                            keys.push(key.to_string_lossy().replace('\\', "/"));
                        }
                    }
                }
                keys
            }
        }
    }

    /// Jobs in processing and who holds them.
    async fn processing(&self, queue: &AnyQueue) -> Vec<(String, String)> {
        let sql = "SELECT submission_id, COALESCE(lease_owner, '') FROM jobs
                   WHERE state = 'processing'";
        match queue {
            AnyQueue::Sqlite(q) => sqlx::query_as(sql).fetch_all(q.pool()).await,
            AnyQueue::Postgres(q) => sqlx::query_as(sql).fetch_all(q.pool()).await,
        }
        .expect("jobs are readable")
    }

    /// Rows in the registry's documents table.
    async fn documents(&self, queue: &AnyQueue) -> i64 {
        let sql = "SELECT COUNT(*) FROM documents";
        match queue {
            AnyQueue::Sqlite(q) => sqlx::query_scalar(sql).fetch_one(q.pool()).await,
            AnyQueue::Postgres(q) => sqlx::query_scalar(sql).fetch_one(q.pool()).await,
        }
        .expect("documents are readable")
    }
}

/// The crash proof on one installation: submits with `docseal submit`, runs
/// two `docseal work` processes, SIGKILLs one of them at least three times
/// (restarting it each time) until the queue is empty, then checks every
/// outcome against the registry and the store's own listing.
async fn crash_and_restart_workers(site: Site) {
    let inputs = site.dir.path().join("inputs");
    let ids = write_inputs(&inputs, &site.dir.path().join("samples"));
    assert!(ids.len() >= 100, "{} submissions", ids.len());
    let keys = site
        .docseal(&["keys", "init"])
        .stdout(Stdio::null())
        .status()
        .expect("docseal runs");
    assert!(keys.success(), "docseal keys init: {keys}");
    let submitted = site
        .docseal(&["submit", &inputs.display().to_string()])
        .output()
        .expect("docseal submit runs");
    assert!(
        submitted.status.success(),
        "docseal submit: {}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let printed: BTreeSet<String> = String::from_utf8_lossy(&submitted.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert_eq!(
        printed,
        ids.keys().cloned().collect::<BTreeSet<_>>(),
        "submit printed other ids"
    );

    let config = site.config();
    let queue = AnyQueue::open(&config.queue_url())
        .await
        .expect("the queue");
    let store = AnyStore::open(&config.store_url())
        .await
        .expect("the store");
    let logs = site.dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("a log directory");
    let start_worker = |name: &str| {
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).expect("a log file");
        site.docseal(&["work", "--workers", "1"])
            .env("DOCSEAL_LOG", "docseal=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("docseal work starts")
    };
    let mut workers = Workers(vec![start_worker("a0"), start_worker("b0")]);
    // Kill the worker that holds a real scan, so that kills land in jobs that
    // may issue documents; a kill happens one to four polls into the job, at
    // different stages. Without a real scan in work for a while, kill anyway.
    let mut kills = 0;
    let mut seen: Option<(String, usize)> = None;
    let mut last_kill = Instant::now();
    let start = Instant::now();
    while kills < 5 && start.elapsed() < Duration::from_secs(240) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let held = site.processing(&queue).await;
        if held.is_empty() && queue.status().await.expect("status").queued == 0 {
            break;
        }
        let pids: Vec<String> = workers
            .0
            .iter()
            .map(|c| format!("worker-{}/", c.id()))
            .collect();
        let real = held.iter().find_map(|(id, owner)| {
            let victim = pids.iter().position(|p| owner.starts_with(p.as_str()))?;
            (ids.get(id) == Some(&Kind::Real)).then(|| (id.clone(), victim))
        });
        let victim = match (&real, &mut seen) {
            (Some((id, victim)), Some((seen_id, polls))) if id == seen_id => {
                *polls += 1;
                (*polls > kills % 4).then_some(*victim)
            }
            (Some((id, _)), _) => {
                seen = Some((id.clone(), 0));
                None
            }
            (None, _) => (last_kill.elapsed() > Duration::from_secs(6)).then_some(kills % 2),
        };
        let Some(victim) = victim else { continue };
        workers.0[victim].kill().expect("SIGKILL");
        workers.0[victim].wait().expect("reaped");
        kills += 1;
        last_kill = Instant::now();
        seen = None;
        workers.0[victim] = start_worker(&format!("{}{kills}", ["a", "b"][victim]));
    }
    assert!(kills >= 3, "the run ended before three kills ({kills})");
    let status = wait_until_done(&queue, Duration::from_secs(300)).await;
    drop(workers);
    let trust = TrustList::load(&config.trust_path()).expect("the trust list");
    let listing = Listing {
        results: site.list("results/").await,
        records: site.list("records/").await,
    };
    let outcomes = check_outcomes(&queue, &store, &ids, &listing, &trust).await;
    assert_eq!(status.failed, CORRUPT, "{status:?}");
    assert_eq!(
        site.documents(&queue).await,
        outcomes.issued as i64,
        "registry rows and issued jobs differ"
    );
    assert!(
        outcomes.real_issued >= REAL_DOCS / 6,
        "too few documents were issued to prove anything: {outcomes:?}"
    );
    let logged = std::fs::read_dir(&logs)
        .expect("the logs")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    for problem in ["database is locked", "database is busy", "panicked"] {
        assert!(
            !logged.contains(problem),
            "a worker logged `{problem}`:\n{logged}"
        );
    }
    let warnings = logged.matches(" WARN ").count();
    eprintln!(
        "{kills} kills; {} issued ({} of {REAL_DOCS} real scans), {} in review, {} failed; \
         {} jobs taken over after a kill ({} of them issued); {warnings} warnings logged; {:.0?}",
        outcomes.issued,
        outcomes.real_issued,
        status.needs_review,
        status.failed,
        outcomes.taken_over,
        outcomes.taken_over_issued,
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_and_s3_killed_workers_lose_and_duplicate_nothing() {
    let s3 = S3Env::from_env();
    let bucket = fresh_bucket(&s3).await;
    let pg_url = fresh_pg_url().await;
    crash_and_restart_workers(Site::new(Backend::Shared { pg_url, s3, bucket })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_sqlite_file_killed_workers_lose_and_duplicate_nothing() {
    crash_and_restart_workers(Site::new(Backend::Embedded)).await;
}

/// Starts s3s-fs on `port` over `data`.
fn start_s3s_fs(bin: &str, port: u16, data: &Path, env: &S3Env) -> Child {
    let mut child = Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--access-key",
            &env.access_key,
            "--secret-key",
            &env.secret_key,
        ])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s3s-fs starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("s3s-fs did not listen on port {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_outage_mid_run_fails_nothing() {
    let bin = common::service_env("DOCSEAL_TEST_S3S_FS");
    let shared = S3Env::from_env();
    let data = tempfile::tempdir().expect("a temp dir");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        l.local_addr().expect("its address").port()
    };
    let env = S3Env {
        endpoint: format!("http://127.0.0.1:{port}"),
        ..shared
    };
    let mut server = Workers(vec![start_s3s_fs(&bin, port, data.path(), &env)]);
    let bucket = fresh_bucket(&env).await;
    let mut options = env.options(&bucket);
    options.connect_timeout = Duration::from_millis(500);
    options.attempt_timeout = Duration::from_secs(5);
    let store = S3Store::new(&options).expect("the store");
    let pg_url = fresh_pg_url().await;
    let queue = PgQueue::connect(&pg_url).await.expect("the queue");
    let ids = submit_all(&queue, &store, 24).await;

    let keys = data.path().join("keys");
    let pool_services = services(queue.clone(), store.clone(), &keys);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let pool = tokio::spawn(worker::run(
        pool_services,
        worker_options("outage"),
        async {
            let _ = stop_rx.await;
        },
        None,
    ));

    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = queue.status().await.expect("status");
    for c in &mut server.0 {
        c.kill().expect("s3s-fs stops");
        c.wait().expect("reaped");
    }
    server.0.clear();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let during = queue.status().await.expect("status");
    assert_eq!(during.failed, 0, "an outage failed jobs: {during:?}");
    server.0.push(start_s3s_fs(&bin, port, data.path(), &env));

    let after = wait_until_done(&queue, Duration::from_secs(240)).await;
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(60), pool)
        .await
        .expect("the pool stops")
        .expect("the pool task")
        .expect("the pool");
    assert_eq!(after.failed, 0, "{after:?}");
    assert!(
        before.queued > 0,
        "the outage came after the work was done; make the run longer: {before:?}"
    );
    let listing = Listing {
        results: list_bucket(&env, &bucket, "results/").await,
        records: list_bucket(&env, &bucket, "records/").await,
    };
    let trust = TrustList::load(&keys.join(docseal::office::TRUST_FILE)).expect("the trust list");
    check_outcomes(&queue, &store, &ids, &listing, &trust).await;
    assert!(
        after
            .last_errors
            .iter()
            .any(|e| e.2.contains("object store"))
            || during
                .last_errors
                .iter()
                .any(|e| e.2.contains("object store")),
        "no job met the outage: {during:?}"
    );
}
