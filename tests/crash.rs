//! The scale-out setup under failure: worker pools on PostgreSQL + S3 that are
//! SIGKILLed and restarted, and an S3 outage in the middle of a run. Afterwards
//! every submission has exactly one outcome; nothing is lost, stuck, duplicated,
//! or failed because of the infrastructure.
//!
//! Worker processes are this test binary run again with `DOCSEAL_CRASH_CHILD`
//! set, entering [`worker_process_entry`].

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docseal::config::Config;
use docseal::queue::{JobQueue, JobState, NewSubmission, PgQueue, StatusReport};
use docseal::render::FontSet;
use docseal::seal::{Credentials, Issuer};
use docseal::store::{sha256_hex, ObjectKind, ObjectStore, S3Options, S3Store};
use docseal::worker::{self, Services, WorkerOptions};
use docseal::PIPELINE_VERSION;

use common::{fresh_bucket, fresh_pg_url, S3Env};

const CHILD: &str = "DOCSEAL_CRASH_CHILD";

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

struct Setup {
    pg_url: String,
    s3: S3Options,
    keys: PathBuf,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(s3_env: &S3Env) -> Setup {
        let dir = tempfile::tempdir().expect("a temp dir");
        let keys = dir.path().join("keys");
        Credentials::load_or_create(&keys, "docseal crash test").expect("the keys");
        let bucket = fresh_bucket(s3_env).await;
        Setup {
            pg_url: fresh_pg_url().await,
            s3: s3_env.options(&bucket),
            keys,
            _dir: dir,
        }
    }

    fn worker_command(&self, name: &str) -> Command {
        let creds = self.s3.credentials.clone().expect("credentials");
        let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
        cmd.args([
            "worker_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, name)
        .env("DOCSEAL_CRASH_PG", &self.pg_url)
        .env("DOCSEAL_CRASH_BUCKET", &self.s3.bucket)
        .env("DOCSEAL_CRASH_KEYS", &self.keys)
        .env(
            "DOCSEAL_TEST_S3_ENDPOINT",
            self.s3.endpoint.as_deref().unwrap_or(""),
        )
        .env("DOCSEAL_TEST_S3_ACCESS_KEY", creds.access_key_id)
        .env("DOCSEAL_TEST_S3_SECRET_KEY", creds.secret_access_key)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        cmd
    }
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
    }
}

/// Not a test of its own: the worker process the crash test starts and kills.
/// Without `DOCSEAL_CRASH_CHILD` it returns at once.
#[test]
fn worker_process_entry() {
    let Ok(name) = std::env::var(CHILD) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set by the parent"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let queue = PgQueue::connect(&var("DOCSEAL_CRASH_PG"))
            .await
            .expect("the queue opens");
        let store = S3Store::new(&S3Env::from_env().options(&var("DOCSEAL_CRASH_BUCKET")))
            .expect("the store opens");
        let keys = PathBuf::from(var("DOCSEAL_CRASH_KEYS"));
        worker::run(
            services(queue, store, &keys),
            worker_options(&name),
            std::future::pending::<()>(),
            None,
        )
        .await
        .expect("the pool runs");
    });
}

/// Stores each scan, then queues it; returns submission id → whether it is corrupt.
async fn submit_all<Q: JobQueue, S: ObjectStore>(
    queue: &Q,
    store: &S,
    good: u64,
    bad: u64,
) -> BTreeMap<String, bool> {
    let mut ids = BTreeMap::new();
    let inputs = (0..good)
        .map(|i| (page(i), false))
        .chain((0..bad).map(|i| (corrupt(i), true)));
    for (n, (bytes, is_corrupt)) in inputs.enumerate() {
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
        ids.insert(id, is_corrupt);
    }
    ids
}

async fn wait_until_done(queue: &PgQueue, limit: Duration) -> StatusReport {
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

/// submission id, state, record key, document id, error.
type JobRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every submission has one final outcome, the right one, with its outputs stored.
async fn check_outcomes(queue: &PgQueue, store: &S3Store, ids: &BTreeMap<String, bool>) {
    let rows: Vec<JobRow> = sqlx::query_as(
        "SELECT submission_id, state, record_key, document_id, error FROM jobs
             WHERE pipeline_version = $1",
    )
    .bind(PIPELINE_VERSION)
    .fetch_all(queue.pool())
    .await
    .expect("jobs are readable");
    assert_eq!(rows.len(), ids.len(), "one job per submission");
    for (id, state, record_key, document_id, error) in rows {
        let is_corrupt = ids[&id];
        let state = JobState::parse(&state).expect("a known state");
        if is_corrupt {
            assert_eq!(state, JobState::Failed, "{id}");
            let error = error.unwrap_or_default();
            assert!(
                !error.contains("gave up"),
                "{id} failed for the wrong reason: {error}"
            );
        } else {
            assert!(
                matches!(state, JobState::Issued | JobState::NeedsReview),
                "{id} ended {state:?}: {error:?}"
            );
            let key = record_key.expect("a record key");
            assert!(store.get(&key).await.expect("the store answers").is_some());
            if let Some(doc) = document_id {
                let d = queue
                    .document(&doc)
                    .await
                    .unwrap()
                    .expect("the document row");
                assert!(store.get(&d.pdf_key).await.unwrap().is_some());
            }
        }
    }
    let duplicated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT submission_id FROM documents
         GROUP BY submission_id, pipeline_version HAVING COUNT(*) > 1) d",
    )
    .fetch_one(queue.pool())
    .await
    .expect("documents are readable");
    assert_eq!(duplicated, 0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_processes_killed_again_and_again_lose_and_duplicate_nothing() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let s3_env = S3Env::from_env();
    let setup = Setup::new(&s3_env).await;
    let queue = PgQueue::connect(&setup.pg_url).await.expect("the queue");
    let store = S3Store::new(&setup.s3).expect("the store");
    let ids = submit_all(&queue, &store, 100, 6).await;

    let mut workers = Workers(vec![
        setup.worker_command("a").spawn().expect("worker a starts"),
        setup.worker_command("b").spawn().expect("worker b starts"),
    ]);
    let mut kills = 0;
    let start = Instant::now();
    while kills < 4 && start.elapsed() < Duration::from_secs(240) {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let s = queue.status().await.expect("status");
        if s.queued == 0 && s.processing == 0 {
            break;
        }
        let victim = kills % 2;
        workers.0[victim].kill().expect("SIGKILL");
        workers.0[victim].wait().expect("reaped");
        kills += 1;
        let name = format!("{}{kills}", ["a", "b"][victim]);
        workers.0[victim] = setup.worker_command(&name).spawn().expect("restarts");
    }
    assert!(kills >= 3, "the run ended before three kills ({kills})");
    let status = wait_until_done(&queue, Duration::from_secs(300)).await;
    drop(workers);
    assert_eq!(status.received, ids.len() as u64);
    assert_eq!(status.failed, 6, "{status:?}");
    check_outcomes(&queue, &store, &ids).await;
    let retried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1")
        .fetch_one(queue.pool())
        .await
        .expect("jobs");
    eprintln!("{kills} kills; {retried} jobs were taken over after a kill; {status:?}");
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
    if std::env::var(CHILD).is_ok() {
        return;
    }
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
    let ids = submit_all(&queue, &store, 24, 0).await;

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
    check_outcomes(&queue, &store, &ids).await;
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
