//! The worker pool: lease a job, run the pipeline on rayon, store every output,
//! then acknowledge. A job is acknowledged only after its outputs are durable;
//! a panic in a job fails that job, not the worker; storage or database
//! outages are retried with backoff and do not use up the job's attempts.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::{info, info_span, warn, Instrument};

use crate::dossier::DossierResult;
use crate::model::{IssuedAt, Issuer};
use crate::office::Credentials;
use crate::pipeline::{self, Analysis, IssueContext, Issued, PipelineError, PipelineOptions};
use crate::queue::{
    Completion, DocumentRow, EntryKind, JobState, Jobs, Lease, LogEntries, QueueError, ResultCodes,
};
use crate::render::FontSet;
use crate::store::{sha256_hex, Body, ObjectKind, ObjectStore, StoreError};

mod isolate;
pub use isolate::{serve_child, Isolation, Policy};

/// Stack of each CPU thread.
const CPU_STACK_BYTES: usize = 64 << 20;

/// How the pool works.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs processed at once (and threads for CPU work).
    pub workers: usize,
    /// How long a lease lasts without a heartbeat.
    pub lease_for: Duration,
    /// Leases a job may take before it is failed.
    pub max_attempts: u32,
    /// How long to wait between polls of an empty queue.
    pub poll: Duration,
    /// Stop when no job is left to lease and none is in progress.
    pub until_idle: bool,
    /// The name of this process in leases and logs.
    pub name: String,
    /// How to run a job in a child process of its own, and when; `None`
    /// runs every job in this process.
    pub isolation: Option<Isolation>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            lease_for: Duration::from_secs(120),
            max_attempts: 3,
            poll: Duration::from_millis(500),
            until_idle: false,
            name: format!("worker-{}", std::process::id()),
            isolation: None,
        }
    }
}

/// What the pool shares between its workers.
pub struct Services<Q, S> {
    /// The job queue.
    pub queue: Arc<Q>,
    /// The object store.
    pub store: Arc<S>,
    /// The office's signing key and certificates.
    pub credentials: Arc<Credentials>,
    /// Fonts for result documents.
    pub fonts: Arc<FontSet>,
    /// Pipeline settings.
    pub pipeline: Arc<PipelineOptions>,
    /// Who issues.
    pub issuer: Issuer,
}

impl<Q, S> Services<Q, S> {
    /// What the CPU part of a job needs.
    pub fn issuing(&self) -> Issuing {
        Issuing {
            credentials: self.credentials.clone(),
            fonts: self.fonts.clone(),
            pipeline: self.pipeline.clone(),
            issuer: self.issuer.clone(),
        }
    }
}

/// What the CPU part of a job needs: no queue, no store (a child process
/// that runs one job has only this).
#[derive(Clone)]
pub struct Issuing {
    /// The office's signing key and certificates.
    pub credentials: Arc<Credentials>,
    /// Fonts for result documents.
    pub fonts: Arc<FontSet>,
    /// Pipeline settings.
    pub pipeline: Arc<PipelineOptions>,
    /// Who issues.
    pub issuer: Issuer,
}

impl<Q, S> Clone for Services<Q, S> {
    fn clone(&self) -> Self {
        Services {
            queue: self.queue.clone(),
            store: self.store.clone(),
            credentials: self.credentials.clone(),
            fonts: self.fonts.clone(),
            pipeline: self.pipeline.clone(),
            issuer: self.issuer.clone(),
        }
    }
}

/// A job finished (for progress reporting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The submission.
    pub submission_id: String,
    /// Its final state.
    pub state: JobState,
}

/// Errors that stop the pool itself (never a single job's).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The CPU thread pool could not start.
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
}

/// Why a job's processing did not finish.
enum JobError {
    /// The input is bad: fail the job with this message.
    Input(String),
    /// The infrastructure failed: release the job for a later retry.
    Transient(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            JobError::Transient(e.to_string())
        } else {
            JobError::Input(e.to_string())
        }
    }
}

impl From<QueueError> for JobError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::LogRefused(_) => JobError::Input(e.to_string()),
            _ => JobError::Transient(e.to_string()),
        }
    }
}

/// Runs the pool until `shutdown` resolves (then in-flight jobs finish first),
/// or, with `until_idle`, until nothing is left to do.
pub async fn run<Q: Jobs + LogEntries + ResultCodes, S: ObjectStore>(
    services: Services<Q, S>,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send,
    progress: Option<mpsc::UnboundedSender<Finished>>,
) -> Result<(), WorkerError> {
    let threads = options.workers.max(1);
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("docseal-cpu-{i}"))
            // Room for the recursion of the PDF and image libraries on deep
            // (but refused-when-measurable) structures; reserved, not used.
            .stack_size(CPU_STACK_BYTES)
            .build()
            .map_err(|e| WorkerError::Threads(e.to_string()))?,
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for slot in 0..threads {
        let services = services.clone();
        let options = options.clone();
        let pool = pool.clone();
        let progress = progress.clone();
        let mut stop = stop_rx.clone();
        let worker = format!("{}/{slot}", options.name);
        tasks.spawn(async move {
            let mut idle_backoff = options.poll;
            loop {
                if *stop.borrow() {
                    break;
                }
                let leased = services
                    .queue
                    .lease(&worker, options.lease_for, options.max_attempts)
                    .await;
                match leased {
                    Ok(Some(lease)) => {
                        idle_backoff = options.poll;
                        let span = info_span!("job", submission_id = %short(&lease.submission_id), worker = %worker);
                        let state = process(&services, &options, &pool, &lease)
                            .instrument(span)
                            .await;
                        if let (Some(state), Some(tx)) = (state, &progress) {
                            let _ = tx.send(Finished {
                                submission_id: lease.submission_id.clone(),
                                state,
                            });
                        }
                        continue;
                    }
                    Ok(None) => {
                        if options.until_idle {
                            if let Ok(0) = services.queue.unfinished().await {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "Leasing a job failed; retrying.");
                        idle_backoff = (idle_backoff * 2).min(Duration::from_secs(10));
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(idle_backoff) => {}
                    _ = stop.changed() => {}
                }
            }
        });
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => {
                info!("Shutting down: no new jobs are leased; in-flight jobs finish first.");
                let _ = stop_tx.send(true);
                while tasks.join_next().await.is_some() {}
                break;
            }
            joined = tasks.join_next() => {
                match joined {
                    None => break,
                    Some(Err(e)) => warn!(error = %e, "A worker task ended abnormally."),
                    Some(Ok(())) => {}
                }
            }
        }
    }
    Ok(())
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Processes one leased job to a final state, or releases it. Returns the
/// final state when the job reached one.
async fn process<Q: Jobs + LogEntries + ResultCodes, S: ObjectStore>(
    services: &Services<Q, S>,
    options: &WorkerOptions,
    pool: &Arc<rayon::ThreadPool>,
    lease: &Lease,
) -> Option<JobState> {
    let heartbeat = async {
        let every = options.lease_for / 3;
        loop {
            tokio::time::sleep(every).await;
            match services.queue.heartbeat(lease, options.lease_for).await {
                Ok(true) => {}
                Ok(false) => {
                    warn!("The lease was lost; another worker may take this job.");
                    return;
                }
                Err(e) => warn!(error = %e, "Heartbeat failed; retrying."),
            }
        }
    };
    // The pipeline stops itself at its time budget; the backstop is for a
    // stage that cannot look at the clock.
    let limits = &services.pipeline.limits;
    let isolation = options
        .isolation
        .as_ref()
        .filter(|i| i.applies(lease.attempt));
    let work = tokio::time::timeout(limits.backstop(), run_job(services, pool, lease, isolation));
    let outcome = tokio::select! {
        r = work => r.unwrap_or_else(|_| Err(JobError::Input(format!(
            "{}: {}; its work was abandoned",
            lease.name,
            limits.out_of_time()
        )))),
        _ = heartbeat => {
            // Lease lost: stop caring; the outputs are idempotent anyway.
            Err(JobError::Transient("lease lost".into()))
        }
    };
    let mut delay = Duration::from_millis(500);
    loop {
        let step = match &outcome {
            Ok(done) => services
                .queue
                .complete(lease, done)
                .await
                .map(|_| Some(done.state)),
            Err(JobError::Input(msg)) => {
                warn!(error = %msg, "The submission failed.");
                services
                    .queue
                    .fail(lease, msg)
                    .await
                    .map(|_| Some(JobState::Failed))
            }
            Err(JobError::Transient(msg)) => {
                warn!(error = %msg, "The job hit an infrastructure error; it will be retried.");
                services
                    .queue
                    .release(lease, msg, Duration::from_secs(2))
                    .await
                    .map(|_| None)
            }
        };
        match step {
            Ok(state) => {
                if let Some(s) = state {
                    info!(state = s.as_str(), "Job finished.");
                }
                return state;
            }
            Err(e) => {
                warn!(error = %e, "Recording the job's outcome failed; retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
                if delay >= Duration::from_secs(10) && options.until_idle {
                    // The lease will expire and the job will be taken again.
                    return None;
                }
            }
        }
    }
}

/// The CPU part of a job: analysis and, when issuable, the result document,
/// as the objects to store with their keys (hashed on the CPU pool too).
pub struct Computed {
    /// Every object to store, in order, with its key.
    pub(crate) objects: Vec<(String, Body)>,
    /// The issued document's transparency-log entry (its id and its
    /// attached manifest bytes), appended once the objects are stored.
    pub(crate) log_entry: Option<(String, Vec<u8>)>,
    /// What the registry records once the objects are stored.
    pub(crate) completion: Completion,
}

async fn run_job<Q: Jobs + LogEntries + ResultCodes, S: ObjectStore>(
    services: &Services<Q, S>,
    pool: &Arc<rayon::ThreadPool>,
    lease: &Lease,
    isolation: Option<&Isolation>,
) -> Result<Completion, JobError> {
    let bytes =
        services.store.get(&lease.scan_key).await?.ok_or_else(|| {
            JobError::Input(format!("{}: the stored scan is missing", lease.name))
        })?;
    let name = lease.name.clone();
    let issued_at = IssuedAt::from_unix_seconds(lease.first_started_at);
    let version = lease.pipeline_version.clone();
    // The document's result code, assigned once before anything is rendered.
    let dossier = services
        .queue
        .result_for(
            &pipeline::document_id(&lease.submission_id, &version),
            &lease.submission_id,
        )
        .await?;
    let computed = match isolation {
        Some(isolation) => {
            if lease.attempt > 1 {
                warn!(
                    attempt = lease.attempt,
                    "The last attempt at this job ended with its worker gone; running it in a process of its own."
                );
            }
            let job = isolate::ChildJob {
                name: &name,
                issued_at,
                pipeline_version: &version,
                limits: &services.pipeline.limits,
                dossier: dossier.as_ref(),
            };
            isolation.run(&job, bytes).await.map_err(JobError::Input)?
        }
        None => {
            let issuing = services.issuing();
            let (tx, rx) = tokio::sync::oneshot::channel();
            pool.spawn(move || {
                let job = (issued_at, version.as_str(), dossier.as_ref());
                let _ = tx.send(compute_caught(&bytes, &issuing, job, &name));
            });
            match rx.await {
                Err(_) => return Err(JobError::Transient("the worker thread stopped".into())),
                Ok(result) => result.map_err(JobError::Input)?,
            }
        }
    };
    store_outputs(services, computed).await
}

/// [`compute`] with a panic turned into the job's failure; the error names
/// the file.
fn compute_caught(
    bytes: &[u8],
    issuing: &Issuing,
    (issued_at, version, dossier): (IssuedAt, &str, Option<&DossierResult>),
    name: &str,
) -> Result<Computed, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| {
        compute(bytes, issuing, issued_at, version, dossier)
    })) {
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown cause");
            Err(format!(
                "{name}: internal error while processing ({what}); the job was stopped, other submissions go on"
            ))
        }
        Ok(Err(Failed::Pipeline(e))) => Err(format!("{name}: {e}")),
        Ok(Err(Failed::Output(msg))) => Err(msg),
        Ok(Ok(c)) => Ok(c),
    }
}

/// Why the CPU part of a job failed.
enum Failed {
    /// A pipeline stage refused the input.
    Pipeline(PipelineError),
    /// An output could not be serialized.
    Output(String),
}

fn compute(
    bytes: &[u8],
    services: &Issuing,
    issued_at: IssuedAt,
    version: &str,
    dossier: Option<&DossierResult>,
) -> Result<Computed, Failed> {
    #[cfg(debug_assertions)]
    crash_on_request(bytes);
    let analysis = pipeline::analyze(bytes, &services.pipeline).map_err(Failed::Pipeline)?;
    let issued = if analysis.record.is_issuable() {
        let ctx = IssueContext {
            issuer: &services.issuer,
            issued_at,
            credentials: &services.credentials,
            fonts: &services.fonts,
            pipeline_version: version,
            pdf_signature: services.pipeline.pdf_signature,
        };
        let mut manifest = pipeline::manifest(&analysis, &ctx);
        manifest.dossier = dossier.cloned();
        Some(pipeline::issue_manifest(&analysis, manifest, &ctx).map_err(Failed::Pipeline)?)
    } else {
        None
    };
    let hocr = crate::hocr::hocr(&analysis.ocr);
    outputs(&analysis, issued, hocr, version).map_err(Failed::Output)
}

/// The objects a job stores, with their content-addressed keys, and the
/// completion that records them (also `reprocess`'s).
pub(crate) fn outputs(
    a: &Analysis,
    issued: Option<Issued>,
    hocr: String,
    version: &str,
) -> Result<Computed, String> {
    let record_json = serde_json::to_string(&a.record)
        .map_err(|e| format!("record cannot be serialized: {e}"))?;
    let record_key = ObjectKind::Record.key_for(record_json.as_bytes());
    let text: String = a
        .ocr
        .iter()
        .map(|p| p.text())
        .collect::<Vec<_>>()
        .join("\u{c}\n");
    let text_key = ObjectKind::Text.key_for(text.as_bytes());
    let words =
        serde_json::to_vec(&a.ocr).map_err(|e| format!("OCR words cannot be serialized: {e}"))?;
    let words_key = ObjectKind::Words.key_for(&words);
    let hocr_key = ObjectKind::Hocr.key_for_submission(&a.source_sha256, version);
    // What review needs, found from the submission id: the words (so an
    // approval renders the result without OCR) and the reasons and places.
    let review_words_key = ObjectKind::Words.key_for_submission(&a.source_sha256, version);
    let sidecar = serde_json::to_vec(&crate::review::Sidecar::of(a))
        .map_err(|e| format!("review data cannot be serialized: {e}"))?;
    let sidecar_key = ObjectKind::Review.key_for_submission(&a.source_sha256, version);
    let mut objects = vec![
        (record_key.clone(), Body::from(record_json.clone())),
        (text_key.clone(), Body::from(text)),
        (words_key, Body::from(words.clone())),
        (hocr_key, Body::from(hocr)),
        (review_words_key, Body::from(words)),
        (sidecar_key, Body::from(sidecar)),
    ];
    let mut log_entry = None;
    let document = match issued {
        None => None,
        Some(issued) => {
            let row = document_row(&a.source_sha256, &issued);
            log_entry = Some((row.document_id.clone(), issued.attachment));
            objects.push((row.pdf_key.clone(), Body::from(issued.pdf)));
            Some(row)
        }
    };
    Ok(Computed {
        objects,
        log_entry,
        completion: Completion {
            state: if document.is_some() {
                JobState::Issued
            } else {
                JobState::NeedsReview
            },
            record_json,
            record_key,
            text_key,
            document,
        },
    })
}

/// The registry row of a document issued for a submission; its PDF is
/// stored under `pdf_key`, the content address of its bytes.
pub fn document_row(submission_id: &str, issued: &Issued) -> DocumentRow {
    let pdf_sha = sha256_hex(&issued.pdf);
    let m = &issued.signed.manifest;
    DocumentRow {
        document_id: m.document_id.clone(),
        submission_id: submission_id.to_string(),
        doc_type: m.doc_type.clone(),
        issued_at: m.issued_at.unix_seconds(),
        key_id: m.key_id.clone(),
        pdf_key: ObjectKind::Result.key_for_sha256(&pdf_sha),
        pdf_sha256: pdf_sha,
        status: crate::queue::DocumentStatus::Valid,
        status_reason: None,
        status_at: None,
    }
}

/// Stores every output, in order, then appends the document to the
/// transparency log; only then may the job be completed. A retry rebuilds the
/// same manifest bytes, so the append is idempotent.
async fn store_outputs<Q: Jobs + LogEntries + ResultCodes, S: ObjectStore>(
    services: &Services<Q, S>,
    computed: Computed,
) -> Result<Completion, JobError> {
    for (key, body) in computed.objects {
        services.store.put(&key, body).await?;
    }
    if let Some((document_id, manifest)) = &computed.log_entry {
        services
            .queue
            .append(EntryKind::Document, document_id, manifest)
            .await?;
    }
    Ok(computed.completion)
}

/// Test builds only: aborts the process, as a stack overflow would, on a
/// scan whose SHA-256 is in `DOCSEAL_TEST_ABORT_ON` (comma-separated), so
/// that the isolation of such a job can be tested with no real poison file.
#[cfg(debug_assertions)]
fn crash_on_request(bytes: &[u8]) {
    if let Ok(list) = std::env::var("DOCSEAL_TEST_ABORT_ON") {
        let sha = sha256_hex(bytes);
        if list.split(',').any(|s| s.trim() == sha) {
            std::process::abort();
        }
    }
}
