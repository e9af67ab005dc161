//! The command-line front end: parses commands and prints results. The binary's
//! `main` calls [`main`]; everything it prints is built here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::config::{expand_inputs, Config};
use crate::office::{Credentials, Signer};
use crate::queue::{AnyQueue, JobState, Jobs, NewSubmission, Registry, Stats};
use crate::render::FontSet;
use crate::store::{sha256_hex, AnyStore, ObjectKind, ObjectStore};
use crate::worker::{self, Services, WorkerOptions};
use crate::{eval, pipeline, samples, verify, PIPELINE_VERSION};

/// docseal: scanned paper in, typed records and signed, verifiable result documents out.
#[derive(Debug, Parser)]
#[command(name = "docseal", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (keys; and the registry and objects of the embedded
    /// default). Default: `./docseal-data`.
    #[arg(long, global = true)]
    pub data: Option<PathBuf>,
    /// Settings file (default: `DOCSEAL_CONFIG`, else `./docseal.toml` if present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Job queue and registry: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, global = true)]
    pub queue: Option<String>,
    /// Object store: `file:///PATH` or `s3://BUCKET/PREFIX`.
    #[arg(long, global = true)]
    pub store: Option<String>,
    /// The issuing office written into new documents and new keys.
    #[arg(long, global = true)]
    pub office: Option<String>,
    /// The operator written into new documents.
    #[arg(long, global = true)]
    pub operator: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process scans end to end: submit, OCR, classify, extract, seal, render, store.
    Run {
        /// Files or directories of scans.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object per input on stdout.
        #[arg(long)]
        json: bool,
        /// Worker threads (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
        /// Process submissions again even if they were processed before
        /// (never issues a second document for the same scan and pipeline version).
        #[arg(long)]
        force: bool,
    },
    /// Store scans and queue them; prints their submission ids.
    Submit {
        /// Files or directories of scans.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Queue again submissions that finished without a document.
        #[arg(long)]
        force: bool,
    },
    /// Work on queued jobs until SIGTERM or Ctrl-C.
    Work {
        /// Jobs processed at once (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Counts by state, timings and the last errors.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Verify a result document offline (or the QR seal of a printed copy).
    Verify {
        /// The result PDF.
        #[arg(required_unless_present_any = ["qr", "qr_image"])]
        file: Option<PathBuf>,
        /// The text of a scanned QR seal (`DS1:…`).
        #[arg(long, conflicts_with = "file")]
        qr: Option<String>,
        /// A photo or scan of a printed copy's QR seal.
        #[arg(long, conflicts_with_all = ["file", "qr"])]
        qr_image: Option<PathBuf>,
        /// Machine-readable report.
        #[arg(long)]
        json: bool,
        /// Trust file (default: the data directory's `keys/trust.json`).
        #[arg(long)]
        trust: Option<PathBuf>,
        /// The original scan, to check that the document was made from it.
        #[arg(long)]
        source: Option<PathBuf>,
        /// The issuing office's root certificate (`root.pem`): the trust list
        /// must be signed by exactly this root.
        #[arg(long, value_name = "ROOT.pem")]
        root: Option<PathBuf>,
        /// Also ask the office's registry (`docseal serve`) whether the
        /// document was revoked or superseded, e.g. `http://registry:8480`.
        #[arg(long, value_name = "URL")]
        online: Option<String>,
    },
    /// Mark an issued document revoked in the registry (`verify --online`
    /// then reports it invalid, with the reason).
    Revoke {
        /// The document id, e.g. `DS-1A2B-3C4D-5E6F-7G8H`.
        document_id: String,
        /// Why (shown to verifiers).
        #[arg(long)]
        reason: String,
    },
    /// Answer document status over HTTP: `GET /v1/documents/{id}/status`,
    /// signed by the office's signing key. Runs until SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: String,
    },
    /// Measure the pipeline against ground truth (`NAME.truth.json` beside each scan).
    Eval {
        /// Directory of scans with truth files.
        dir: PathBuf,
        /// Machine-readable report.
        #[arg(long)]
        json: bool,
    },
    /// Generate synthetic scans with ground truth.
    Samples {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Number of documents.
        #[arg(long, default_value_t = 18)]
        count: usize,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Degrade the scans as real back offices do (skew, rotation, noise, seals...).
        #[arg(long)]
        degrade: bool,
    },
    /// Manage the office's signing keys and its trust list.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Show what the pipeline reads in one scan, without storing anything.
    Inspect {
        /// The scan.
        file: PathBuf,
        /// Print the OCR lines too.
        #[arg(long)]
        text: bool,
    },
}

/// Key management commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create the office's signing key and trust list (if there is none yet).
    Init,
    /// List the keys in the trust list with their validity.
    List,
    /// Retire the current signing key and start a new one; the old one stays
    /// valid for what it signed before now.
    Rotate,
    /// Revoke a key: documents it signed at or after `--at` become invalid.
    Revoke {
        /// The key id, as `keys list` shows it.
        key_id: String,
        /// Why (shown to verifiers).
        #[arg(long)]
        reason: String,
        /// From when, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Write the trust list verifiers need.
    ExportTrust {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn cmd_keys(config: &Config, action: KeysCommand) -> Result<u8> {
    use crate::model::now_rfc3339;
    use crate::office::TrustList;
    let dir = config.keys_dir();
    let trust_path = config.trust_path();
    match action {
        KeysCommand::Init => {
            let c = Credentials::load_or_create(&dir, &config.office)?;
            println!("Signing key {} in {}", c.signer.key_id(), dir.display());
            println!("Trust list (signed by the root): {}", trust_path.display());
            println!(
                "Root certificate for PDF validators: {}",
                dir.join(crate::office::ROOT_CERT_FILE).display()
            );
            println!("Root SHA-256 fingerprint: {}", root_fingerprint(&c.root)?);
        }
        KeysCommand::List => {
            let c = Credentials::load_or_create(&dir, &config.office)?;
            println!("Root {}", crate::office::pki::subject(&c.root));
            println!("  SHA-256 {}", root_fingerprint(&c.root)?);
            let trust = TrustList::load(&trust_path)?;
            for k in &trust.keys {
                let state = match (&k.revoked_at, &k.not_after) {
                    (Some(at), _) => format!(
                        "revoked from {at} ({})",
                        k.revocation_reason.as_deref().unwrap_or("")
                    ),
                    (None, Some(until)) => format!("retired, valid {} to {until}", k.not_before),
                    (None, None) => format!("current, valid from {}", k.not_before),
                };
                println!("{}  {}  {state}", k.key_id, k.office);
            }
        }
        KeysCommand::Rotate => {
            let (old, _) = Signer::rotate(&dir, &config.office)?;
            let c = Credentials::load_or_create(&dir, &config.office)?;
            println!("Retired {old}; new signing key {}", c.signer.key_id());
        }
        KeysCommand::Revoke { key_id, reason, at } => {
            let mut trust = TrustList::load(&trust_path)?;
            let at = at.unwrap_or_else(now_rfc3339);
            trust
                .revoke(&key_id, &reason, &at)
                .map_err(anyhow::Error::msg)?;
            Credentials::save_trust(&dir, &mut trust)?;
            println!("Revoked {key_id} from {at}: {reason}");
        }
        KeysCommand::ExportTrust { out } => {
            let c = Credentials::load_or_create(&dir, &config.office)?;
            let trust = TrustList::load(&trust_path)?;
            let signer = trust.check_signature().map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                signer == c.root,
                "{} is signed by another root than {}; run `docseal keys init` to sign it again",
                trust_path.display(),
                dir.join(crate::office::ROOT_CERT_FILE).display()
            );
            eprintln!(
                "The list is signed by the root with SHA-256 fingerprint {}",
                root_fingerprint(&c.root)?
            );
            let text = serde_json::to_string_pretty(&trust)? + "\n";
            match out {
                Some(p) => {
                    std::fs::write(&p, text)
                        .with_context(|| format!("cannot write {}", p.display()))?;
                    println!("Wrote {}", p.display());
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(0)
}

fn root_fingerprint(root: &crate::office::pki::Certificate) -> Result<String> {
    Ok(crate::office::pki::fingerprint_for_people(
        &crate::office::pki::fingerprint(root)?,
    ))
}

/// Runs the command line; returns the process exit code.
pub fn main() -> Result<u8> {
    let cli = Cli::parse();
    let config = crate::config::load(&crate::config::Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data.clone(),
        queue: cli.queue.clone(),
        store: cli.store.clone(),
        office: cli.office.clone(),
        operator: cli.operator.clone(),
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match cli.command {
        Command::Run {
            paths,
            json,
            workers,
            force,
        } => rt.block_on(cmd_run(&config, &paths, json, workers, force)),
        Command::Submit { paths, force } => rt.block_on(cmd_submit(&config, &paths, force)),
        Command::Work { workers } => rt.block_on(cmd_work(&config, workers)),
        Command::Status { json } => rt.block_on(cmd_status(&config, json)),
        Command::Verify {
            file,
            qr,
            qr_image,
            json,
            trust,
            source,
            root,
            online,
        } => {
            let trust_path = trust.unwrap_or_else(|| config.trust_path());
            let options = verify::Options {
                trust: &trust_path,
                root: root.as_deref(),
                source: source.as_deref(),
                online: online.as_deref(),
            };
            let report = match (file, qr, qr_image) {
                (Some(file), _, _) => verify::verify_file(&file, &options),
                (None, Some(text), _) => verify::verify_qr_text(&text, &options),
                (None, None, Some(img)) => {
                    let gray = image::open(&img)
                        .with_context(|| format!("cannot read the image {}", img.display()))?
                        .to_luma8();
                    let text = crate::qrseal::decode_image(&gray)
                        .with_context(|| format!("no QR seal found in {}", img.display()))?;
                    verify::verify_qr_text(&text, &options)
                }
                (None, None, None) => anyhow::bail!("give a result PDF, --qr or --qr-image"),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(report.verdict.exit_code())
        }
        Command::Revoke {
            document_id,
            reason,
        } => rt.block_on(cmd_revoke(&config, &document_id, &reason)),
        Command::Serve { listen } => rt.block_on(cmd_serve(&config, &listen)),
        Command::Eval { dir, json } => {
            let report = eval::evaluate_dir(&dir, &config.pipeline)
                .with_context(|| format!("cannot evaluate {}", dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(0)
        }
        Command::Samples {
            out,
            count,
            seed,
            degrade,
        } => {
            let files = samples::generate(
                &out,
                &samples::SampleOptions {
                    count,
                    seed,
                    degrade,
                },
            )
            .with_context(|| format!("cannot generate samples in {}", out.display()))?;
            println!(
                "Wrote {} scans with truth files to {}",
                files.len(),
                out.display()
            );
            Ok(0)
        }
        Command::Keys { action } => cmd_keys(&config, action),
        Command::Inspect { file, text } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let a = pipeline::analyze(&bytes, &config.pipeline)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if text {
                for (i, p) in a.ocr.iter().enumerate() {
                    let source = match p.source {
                        crate::model::TextSource::Ocr => "OCR",
                        crate::model::TextSource::TextLayer => "the PDF's text layer",
                    };
                    println!(
                        "--- page {} ({}×{} px, {} dpi, text from {source})",
                        i + 1,
                        p.width,
                        p.height,
                        p.dpi
                    );
                    for l in &p.lines {
                        let conf = l.words.iter().map(|w| w.conf).fold(1.0f32, f32::min);
                        println!("{conf:.2} | {}", l.text());
                    }
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "record": a.record,
                    "classification": a.classified,
                }))?
            );
            Ok(0)
        }
    }
}

/// The configured queue and store (the embedded default unless told otherwise).
async fn open_backends(config: &Config) -> Result<(Arc<AnyQueue>, Arc<AnyStore>)> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let queue = AnyQueue::open(&config.queue_url())
        .await
        .with_context(|| format!("cannot open the queue {}", config.queue_url()))?;
    let store = AnyStore::open(&config.store_url())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url()))?;
    Ok((Arc::new(queue), Arc::new(store)))
}

/// What happened to one input at submission.
struct Input {
    source: String,
    submission_id: Option<String>,
    error: Option<String>,
}

/// Stores the raw bytes first, then queues the job.
async fn submit_one<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    config: &Config,
    path: &Path,
    force: bool,
) -> Input {
    let source = path.display().to_string();
    let fail = |error: String| Input {
        source: source.clone(),
        submission_id: None,
        error: Some(error),
    };
    let limit = config.pipeline.limits.max_bytes;
    // Reading and hashing up to `max_bytes` is work for a blocking thread.
    let read = {
        let (path, source) = (path.to_path_buf(), source.clone());
        tokio::task::spawn_blocking(move || read_scan(&path, &source, limit)).await
    };
    let scan = match read {
        Ok(Ok(scan)) => scan,
        Ok(Err(error)) => return fail(error),
        Err(e) => return fail(format!("{source}: cannot read the file: {e}")),
    };
    let id = scan.id;
    let scan_key = ObjectKind::Scan.key_for_sha256(&id);
    let size = scan.bytes.len() as u64;
    if let Err(e) = store.put(&scan_key, scan.bytes).await {
        return fail(format!("{source}: cannot store the scan: {e}"));
    }
    let sub = NewSubmission {
        id: id.clone(),
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| source.clone()),
        size,
        media_type: scan.media_type.to_string(),
        scan_key,
    };
    match queue.submit(&sub, PIPELINE_VERSION, force).await {
        Ok(_) => Input {
            source,
            submission_id: Some(id),
            error: None,
        },
        Err(e) => fail(format!("{source}: cannot queue the submission: {e}")),
    }
}

/// A scan read from a file, with its submission id.
struct Scan {
    bytes: Vec<u8>,
    id: String,
    media_type: &'static str,
}

/// Reads a scan within the size limit and hashes it (blocking).
fn read_scan(path: &Path, source: &str, limit: u64) -> Result<Scan, String> {
    match std::fs::metadata(path) {
        Err(e) => return Err(format!("{source}: cannot read the file: {e}")),
        Ok(m) if !m.is_file() => return Err(format!("{source}: not a regular file")),
        Ok(m) if m.len() > limit => {
            return Err(format!(
            "{source}: the file has {} bytes, more than the limit of {limit}; split or rescan it",
            m.len()
        ))
        }
        Ok(_) => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Err(format!("{source}: cannot read the file: {e}")),
    };
    Ok(Scan {
        id: sha256_hex(&bytes),
        media_type: pipeline::media_type(crate::decode::sniff(&bytes)),
        bytes,
    })
}

fn services<Q, S>(config: &Config, queue: Arc<Q>, store: Arc<S>) -> Result<Services<Q, S>> {
    crate::ocr::check_engine(&config.pipeline.ocr)?;
    let credentials = Credentials::load_or_create(&config.keys_dir(), &config.office)
        .context("cannot load or create the office's keys and certificates")?;
    let fonts = FontSet::find().context("cannot find fonts for result documents")?;
    Ok(Services {
        queue,
        store,
        credentials: Arc::new(credentials),
        fonts: Arc::new(fonts),
        pipeline: Arc::new(config.pipeline.clone()),
        issuer: config.issuer(),
    })
}

async fn cmd_submit(config: &Config, paths: &[PathBuf], force: bool) -> Result<u8> {
    let (queue, store) = open_backends(config).await?;
    let mut failed = 0;
    for path in expand_inputs(paths) {
        let input = submit_one(queue.as_ref(), store.as_ref(), config, &path, force).await;
        match (&input.submission_id, &input.error) {
            (Some(id), _) => println!("{id}  {}", input.source),
            (None, Some(e)) => {
                failed += 1;
                eprintln!("error: {e}");
            }
            (None, None) => {}
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

async fn cmd_work(config: &Config, workers: Option<usize>) -> Result<u8> {
    let (queue, store) = open_backends(config).await?;
    let services = services(config, queue, store)?;
    worker::run(
        services,
        worker_options(config, workers),
        shutdown_signal(),
        None,
    )
    .await?;
    Ok(0)
}

/// The pool's settings: the defaults, with what the configuration and the
/// `--workers` flag say.
fn worker_options(config: &Config, workers: Option<usize>) -> WorkerOptions {
    let mut options = WorkerOptions::default();
    if let Some(n) = workers {
        options.workers = n.max(1);
    }
    if let Some(secs) = config.lease_secs {
        options.lease_for = std::time::Duration::from_secs(secs.max(1));
    }
    if let Some(n) = config.max_attempts {
        options.max_attempts = n.max(1);
    }
    options
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn cmd_revoke(config: &Config, document_id: &str, reason: &str) -> Result<u8> {
    anyhow::ensure!(
        !reason.trim().is_empty(),
        "give the reason verifiers will see with --reason"
    );
    let (queue, _store) = open_backends(config).await?;
    let Some(d) = queue.revoke_document(document_id, reason).await? else {
        eprintln!(
            "error: the registry has no document {document_id}; check the id (it starts with DS-)"
        );
        return Ok(1);
    };
    let at = d
        .status_at
        .map_or_else(|| "-".to_string(), crate::model::format_rfc3339);
    let reason = d.status_reason.as_deref().unwrap_or_default();
    println!("Revoked {} at {at}: {reason}", d.document_id);
    Ok(0)
}

async fn cmd_serve(config: &Config, listen: &str) -> Result<u8> {
    let (queue, _store) = open_backends(config).await?;
    let key_path = config.keys_dir().join(crate::office::SIGNING_KEY_FILE);
    let signer = Signer::load(&key_path)
        .context("cannot load the office's signing key; run `docseal keys init` first")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!(
        "Serving document status at http://{addr}/v1/documents/{{id}}/status (key {})",
        signer.key_id()
    );
    std::io::stdout().flush()?;
    crate::server::run(listener, queue, Arc::new(signer), shutdown_signal()).await?;
    Ok(0)
}

async fn cmd_status(config: &Config, json: bool) -> Result<u8> {
    let (queue, _store) = open_backends(config).await?;
    let s = queue.status().await?;
    if json {
        let v = json!({
            "counts": {
                "received": s.received, "queued": s.queued, "processing": s.processing,
                "issued": s.issued, "needs_review": s.needs_review, "failed": s.failed,
            },
            "finished_last_10_min": s.finished_last_10_min,
            "throughput_per_min": s.finished_last_10_min as f64 / 10.0,
            "oldest_waiting_secs": s.oldest_waiting_secs,
            "p50_secs": s.p50_secs,
            "p95_secs": s.p95_secs,
            "last_errors": s.last_errors.iter().map(|(id, name, e)| json!({"submission_id": id, "name": name, "error": e})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "received {}  queued {}  processing {}  issued {}  needs_review {}  failed {}",
            s.received, s.queued, s.processing, s.issued, s.needs_review, s.failed
        );
        println!(
            "throughput {:.1}/min (last 10 min)  oldest waiting {}  p50 {}  p95 {}",
            s.finished_last_10_min as f64 / 10.0,
            s.oldest_waiting_secs
                .map_or("-".into(), |v| format!("{v}s")),
            s.p50_secs.map_or("-".into(), |v| format!("{v:.2}s")),
            s.p95_secs.map_or("-".into(), |v| format!("{v:.2}s")),
        );
        for (id, name, e) in &s.last_errors {
            println!("error {} {name}: {e}", &id[..id.len().min(12)]);
        }
    }
    Ok(0)
}

async fn cmd_run(
    config: &Config,
    paths: &[PathBuf],
    json_out: bool,
    workers: Option<usize>,
    force: bool,
) -> Result<u8> {
    let started = Instant::now();
    let (queue, store) = open_backends(config).await?;
    let services = services(config, queue.clone(), store.clone())?;
    let inputs = expand_inputs(paths);
    let mut submitted = Vec::with_capacity(inputs.len());
    let mut pending = 0u64;
    for path in &inputs {
        let input = submit_one(queue.as_ref(), store.as_ref(), config, path, force).await;
        if let Some(id) = &input.submission_id {
            if let Ok(Some(job)) = queue.job(id, PIPELINE_VERSION).await {
                if !job.state.is_final() {
                    pending += 1;
                }
            }
        }
        // Keep only what the report needs: memory stays flat for large batches.
        submitted.push((input.source, input.submission_id, input.error));
    }
    let bar = if json_out {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(pending);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<worker::Finished>();
    let bar2 = bar.clone();
    let ticker = tokio::spawn(async move {
        while let Some(f) = rx.recv().await {
            bar2.inc(1);
            bar2.set_message(f.state.as_str());
        }
    });
    let mut options = worker_options(config, workers);
    options.until_idle = true;
    worker::run(services, options, shutdown_signal(), Some(tx)).await?;
    let _ = ticker.await;
    bar.finish_and_clear();

    let mut counts = std::collections::BTreeMap::<&str, u64>::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (source, id, error) in &submitted {
        let (status, record, document_id, result_pdf, error) = match id {
            None => ("failed", Value::Null, None, None, error.clone()),
            Some(id) => match queue.job(id, PIPELINE_VERSION).await? {
                None => (
                    "failed",
                    Value::Null,
                    None,
                    None,
                    Some("the job is missing".into()),
                ),
                Some(job) => {
                    let record = job
                        .record_json
                        .as_deref()
                        .and_then(|r| serde_json::from_str(r).ok())
                        .unwrap_or(Value::Null);
                    let pdf = job.pdf_key.as_deref().map(|k| store.locate(k));
                    let status = match job.state {
                        JobState::Issued => "issued",
                        JobState::NeedsReview => "needs_review",
                        JobState::Failed => "failed",
                        JobState::Queued | JobState::Processing => "pending",
                    };
                    (status, record, job.document_id, pdf, job.error)
                }
            },
        };
        *counts.entry(status).or_default() += 1;
        if json_out {
            let hocr = match (id, status) {
                (Some(id), "issued" | "needs_review") => {
                    Some(store.locate(&ObjectKind::Hocr.key_for_submission(id, PIPELINE_VERSION)))
                }
                _ => None,
            };
            let line = json!({
                "source": source,
                "submission_id": id,
                "status": status,
                "record": record,
                "document_id": document_id,
                "result_pdf": result_pdf,
                "hocr": hocr,
                "error": error,
            });
            writeln!(out, "{line}")?;
        } else {
            let doc_type = record
                .get("doc_type")
                .and_then(Value::as_str)
                .unwrap_or("-");
            let detail = match status {
                "issued" => document_id.clone().unwrap_or_default(),
                "needs_review" => {
                    let fields: Vec<&str> = record
                        .get("needs_review")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if doc_type == "unknown" {
                        "not a known document type".to_string()
                    } else {
                        format!("check: {}", fields.join(", "))
                    }
                }
                _ => error.clone().unwrap_or_default(),
            };
            writeln!(out, "{status:<12} {doc_type:<32} {source}  {detail}")?;
        }
    }
    if !json_out {
        let n = submitted.len();
        writeln!(
            out,
            "\n{n} inputs in {:.1}s: {} issued, {} needs review, {} failed{}",
            started.elapsed().as_secs_f64(),
            counts.get("issued").unwrap_or(&0),
            counts.get("needs_review").unwrap_or(&0),
            counts.get("failed").unwrap_or(&0),
            match counts.get("pending") {
                Some(p) => format!(", {p} still pending (held by another worker)"),
                None => String::new(),
            }
        )?;
        writeln!(
            out,
            "Result documents are in {}",
            config.objects_dir().join("results").display()
        )?;
    }
    Ok(0)
}
