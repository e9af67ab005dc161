//! `docseal bench-queue` (hidden): the queue alone, without OCR. Seeds
//! no-op jobs, then runs concurrent workers that lease, heartbeat once and
//! complete each job with a document row, and prints one JSON line: jobs
//! per second and lease, heartbeat and completion latencies. Each worker
//! holds a database connection of its own, as a worker process would.
//! `benches/queue.sh` runs it on PostgreSQL with 8, 32 and 128 workers.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::json;

use super::{Context, Execute};
use crate::queue::{
    percentile, Completion, DocumentRow, DocumentStatus, JobState, Jobs, NewSubmission, PgQueue,
    QueueUrl, SqliteQueue,
};

/// Run the queue alone with no-op jobs.
#[derive(Debug, clap::Args)]
pub struct BenchQueue {
    /// The queue to use: an empty PostgreSQL database (or a new SQLite file).
    #[arg(long, value_name = "URL")]
    db: QueueUrl,
    /// Concurrent workers.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Jobs to seed and work off.
    #[arg(long, default_value_t = 5000)]
    jobs: usize,
}

/// The latencies one worker saw, in milliseconds.
#[derive(Default)]
struct Seen {
    lease: Vec<f64>,
    heartbeat: Vec<f64>,
    complete: Vec<f64>,
    done: u64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn seed<Q: Jobs>(q: Arc<Q>, jobs: usize, workers: usize) -> Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..workers.min(32))
        .map(|_| {
            let (q, next) = (q.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= jobs {
                        return anyhow::Ok(());
                    }
                    let id = format!("{:064x}", i + 1);
                    let sub = NewSubmission {
                        scan_key: format!("scans/{id}"),
                        name: format!("bench-{i}.png"),
                        id,
                        size: 1,
                        media_type: "image/png".into(),
                    };
                    q.submit(&sub, "bench", false).await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.context("a seeding task panicked")??;
    }
    Ok(())
}

async fn work<Q: Jobs>(q: Arc<Q>, worker: String) -> Result<Seen> {
    let lease_for = Duration::from_secs(60);
    let mut seen = Seen::default();
    loop {
        let t = Instant::now();
        let Some(lease) = q.lease(&worker, lease_for, 3).await? else {
            return Ok(seen);
        };
        seen.lease.push(ms(t.elapsed()));
        let t = Instant::now();
        q.heartbeat(&lease, lease_for).await?;
        seen.heartbeat.push(ms(t.elapsed()));
        let document_id = format!("DS-{}", &lease.submission_id[40..]);
        let done = Completion {
            state: JobState::Issued,
            record_json: "{\"doc_type\":\"citizen_id\",\"fields\":{}}".into(),
            record_key: format!("records/{}", lease.submission_id),
            text_key: format!("text/{}", lease.submission_id),
            document: Some(DocumentRow {
                document_id,
                submission_id: lease.submission_id.clone(),
                doc_type: "citizen_id".into(),
                issued_at: lease.first_started_at,
                key_id: "bench".into(),
                pdf_key: format!("results/{}.pdf", lease.submission_id),
                pdf_sha256: lease.submission_id.clone(),
                status: DocumentStatus::Valid,
                status_reason: None,
                status_at: None,
            }),
        };
        let t = Instant::now();
        q.complete(&lease, &done).await?;
        seen.complete.push(ms(t.elapsed()));
        seen.done += 1;
    }
}

async fn bench<Q: Jobs>(q: Arc<Q>, workers: usize, jobs: usize) -> Result<serde_json::Value> {
    seed(q.clone(), jobs, workers).await?;
    let start = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|i| tokio::spawn(work(q.clone(), format!("bench-{i}"))))
        .collect();
    let mut all = Seen::default();
    for t in tasks {
        let s = t.await.context("a worker task panicked")??;
        all.lease.extend(s.lease);
        all.heartbeat.extend(s.heartbeat);
        all.complete.extend(s.complete);
        all.done += s.done;
    }
    let secs = start.elapsed().as_secs_f64();
    for v in [&mut all.lease, &mut all.heartbeat, &mut all.complete] {
        v.sort_by(f64::total_cmp);
    }
    let round = |v: Option<f64>| v.map(|v| (v * 100.0).round() / 100.0);
    Ok(json!({
        "workers": workers,
        "jobs": all.done,
        "secs": (secs * 100.0).round() / 100.0,
        "jobs_per_sec": (all.done as f64 / secs).round(),
        "lease_p50_ms": round(percentile(&all.lease, 50.0)),
        "lease_p99_ms": round(percentile(&all.lease, 99.0)),
        "heartbeat_p99_ms": round(percentile(&all.heartbeat, 99.0)),
        "complete_p99_ms": round(percentile(&all.complete, 99.0)),
    }))
}

impl Execute for BenchQueue {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let workers = self.workers.max(1);
        let line = ctx.block_on(async {
            match &self.db {
                QueueUrl::Postgres(url) => {
                    let pool = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(u32::try_from(workers).unwrap_or(u32::MAX))
                        .acquire_timeout(Duration::from_secs(60))
                        .connect(url.expose())
                        .await?;
                    let q = Arc::new(PgQueue::with_pool(pool).await?);
                    bench(q, workers, self.jobs).await
                }
                QueueUrl::Sqlite(path) => {
                    let q = Arc::new(SqliteQueue::open(path).await?);
                    bench(q, workers, self.jobs).await
                }
            }
        })?;
        println!("{line}");
        Ok(ExitCode::SUCCESS)
    }
}
