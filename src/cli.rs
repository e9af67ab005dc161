//! The command-line front end: parses commands and prints results. The binary's
//! `main` calls [`main`]; everything it prints is built here.
//!
//! Each command is a module of its own with one shape: a clap `Args` struct
//! that implements [`Execute`], taking the [`Context`] (configuration and async
//! runtime) and returning the process exit code. [`Command`] lists them and
//! [`main`] dispatches.
//!
//! - `run`: submit and process scans in one go, then report each input.
//! - `submit`, `work`, `status`: the queue and the workers separately.
//! - `archive`: a folder tree or bucket prefix of scans taken in once each.
//! - `verify`, `revoke`, `serve`, `keys`: documents, the registry and keys.
//! - `log`: the office's transparency log.
//! - `review`: records waiting for a person: list, show, approve, reject.
//! - `eval`, `samples`, `inspect`: measuring and looking inside the pipeline.
//! - `users`, `audit`: staff accounts and the audit log.
//! - `export`, `report`: held records out, and the month's on-time report.
//! - `reprocess`: stored submissions run again through this version.
//! - `bench-queue` (hidden): the queue alone under concurrent no-op workers.

mod archive;
mod bench_queue;
mod compute_job;
mod dossier_args;
mod eval;
mod export;
mod inspect;
mod keys;
mod log;
mod report;
mod reprocess;
mod review;
mod revoke;
mod run;
mod samples;
mod serve;
mod status;
mod submit;
mod verify;
mod work;
// Staff accounts and the audit log.
mod users;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};
use crate::office::Credentials;
use crate::queue::AnyQueue;
use crate::render::FontSet;
use crate::store::AnyStore;
use crate::worker::{Isolation, Issuing, Services, WorkerOptions};

/// docseal: scanned paper in, typed records and signed, verifiable result documents out.
#[derive(Debug, Parser)]
#[command(name = "docseal", version, about, long_about = None)]
pub struct Cli {
    /// The global flags: data directory, settings file, backends, office.
    #[command(flatten)]
    pub settings: Overrides,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process scans end to end: submit, OCR, classify, extract, seal, render, store.
    Run(run::Run),
    /// Store scans and queue them; prints their submission ids.
    Submit(submit::Submit),
    /// Take in an archive (a folder tree or a bucket prefix) of scans, once each.
    Archive(archive::Archive),
    /// Work on queued jobs until SIGTERM or Ctrl-C.
    Work(work::Work),
    /// Counts by state, timings and the last errors.
    Status(status::Status),
    /// Verify a result document offline (or the QR seal of a printed copy).
    Verify(verify::Verify),
    /// Mark an issued document revoked in the registry (`verify --online`
    /// then reports it invalid, with the reason).
    Revoke(revoke::Revoke),
    /// Answer document status over HTTP: `GET /v1/documents/{id}/status`,
    /// signed by the office's status key. Runs until SIGTERM or Ctrl-C.
    Serve(serve::Serve),
    /// Measure the pipeline against ground truth (`NAME.truth.json` beside each scan).
    Eval(eval::Eval),
    /// Generate synthetic scans with ground truth.
    Samples(samples::Samples),
    /// Manage the office's signing keys and its trust list.
    Keys(keys::Keys),
    /// The office's transparency log of issued documents and revocations.
    Log(log::Log),
    /// Show what the pipeline reads in one scan, without storing anything.
    Inspect(inspect::Inspect),
    /// Staff accounts of the desk and the API: add, list, disable.
    Users(users::Users),
    /// The audit log of every state change: export as NDJSON.
    Audit(users::Audit),
    /// Records waiting for a person: list them, show one, approve or reject it.
    Review(review::Review),
    /// Export held records (of issued documents that still stand) as NDJSON or CSV.
    Export(export::Export),
    /// A month's on-time report per procedure: table, JSON or SVG chart.
    Report(report::Report),
    /// Run stored submissions again through this pipeline version, resumably.
    Reprocess(reprocess::Reprocess),
    /// Run the queue alone with no-op jobs and report jobs/s and lease latency.
    #[command(name = "bench-queue", hide = true)]
    BenchQueue(bench_queue::BenchQueue),
    /// Compute one job in a process of its own (started by a worker).
    #[command(name = "compute-job", hide = true)]
    ComputeJob(compute_job::ComputeJob),
}

/// Exit code of a command that could not run: bad settings, an unreadable
/// input, a trust list whose signature fails, a backend that cannot be
/// reached (`main.rs` maps every error to it).
pub const EXIT_ERROR: u8 = 3;
/// Exit code of a usage error: an unknown command or flag, a missing or
/// malformed argument (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit code of `verify` when the verdict is CANNOT TELL.
pub const EXIT_CANNOT_TELL: u8 = 4;

/// What every command has: a command's flags, run in a [`Context`], give the
/// process exit code: 0 success (VALID), 1 something failed (INVALID),
/// [`EXIT_USAGE`], [`EXIT_ERROR`] (errors, mapped in `main.rs`) or
/// [`EXIT_CANNOT_TELL`].
pub trait Execute {
    /// Runs the command.
    fn execute(self, ctx: &Context) -> Result<ExitCode>;
}

impl Execute for Command {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        match self {
            Command::Run(c) => c.execute(ctx),
            Command::Submit(c) => c.execute(ctx),
            Command::Archive(c) => c.execute(ctx),
            Command::Work(c) => c.execute(ctx),
            Command::Status(c) => c.execute(ctx),
            Command::Verify(c) => c.execute(ctx),
            Command::Revoke(c) => c.execute(ctx),
            Command::Serve(c) => c.execute(ctx),
            Command::Eval(c) => c.execute(ctx),
            Command::Samples(c) => c.execute(ctx),
            Command::Keys(c) => c.execute(ctx),
            Command::Log(c) => c.execute(ctx),
            Command::Inspect(c) => c.execute(ctx),
            Command::Users(c) => c.execute(ctx),
            Command::Audit(c) => c.execute(ctx),
            Command::Review(c) => c.execute(ctx),
            Command::Export(c) => c.execute(ctx),
            Command::Report(c) => c.execute(ctx),
            Command::Reprocess(c) => c.execute(ctx),
            Command::BenchQueue(c) => c.execute(ctx),
            Command::ComputeJob(c) => c.execute(ctx),
        }
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to standard output and succeed.
            let _ = e.print();
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            return Ok(ExitCode::from(code));
        }
    };
    let mut ctx = Context::new(crate::config::load(&cli.settings)?)?;
    ctx.child_args = cli.settings.child_args();
    cli.command.execute(&ctx)
}

/// What commands run with: the configuration and the async runtime.
pub struct Context {
    /// The configuration (settings file, `DOCSEAL_*` variables and flags).
    pub config: Config,
    runtime: tokio::runtime::Runtime,
    /// The global flags a child process for one job is given.
    child_args: Vec<std::ffi::OsString>,
}

impl Context {
    /// A context for `config`, with a two-thread async runtime.
    pub fn new(config: Config) -> Result<Context> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Context {
            config,
            runtime,
            child_args: Vec::new(),
        })
    }

    /// Runs `future` to completion on the runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The configured queue and store (the embedded default unless told otherwise).
    pub async fn open_backends(&self) -> Result<(Arc<AnyQueue>, Arc<AnyStore>)> {
        let config = &self.config;
        crate::fsutil::create_private_dir_all(&config.data_dir)
            .and_then(|()| crate::fsutil::make_private_dir(&config.data_dir))
            .with_context(|| {
                format!(
                    "cannot create the data directory {} readable by its owner only",
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

    /// What the workers need: the backends, the OCR engine checked, the
    /// office's keys (created on first use) and the fonts.
    pub fn services<Q, S>(&self, queue: Arc<Q>, store: Arc<S>) -> Result<Services<Q, S>> {
        let issuing = self.issuing(true)?;
        Ok(Services {
            queue,
            store,
            credentials: issuing.credentials,
            fonts: issuing.fonts,
            pipeline: issuing.pipeline,
            issuer: issuing.issuer,
        })
    }

    /// What computing a job needs: the OCR engine checked, the office's keys
    /// (set up on first use when `set_up` says so; a child process for one
    /// job only loads them), the fonts and the pipeline settings.
    pub fn issuing(&self, set_up: bool) -> Result<Issuing> {
        let config = &self.config;
        crate::ocr::check_engine(&config.pipeline.ocr)?;
        let keys = config.keys_dir();
        let credentials = if set_up {
            Credentials::load_or_create(&keys, &config.office)
        } else {
            Credentials::load(&keys)
        }
        .context("cannot load or create the office's keys and certificates")?;
        let fonts = FontSet::find().context("cannot find fonts for result documents")?;
        Ok(Issuing {
            credentials: Arc::new(credentials),
            fonts: Arc::new(fonts),
            pipeline: Arc::new(config.pipeline.clone()),
            issuer: config.issuer(),
        })
    }

    /// The pool's settings: the defaults, with what the configuration and the
    /// `--workers` flag say.
    pub fn worker_options(&self, workers: Option<usize>) -> WorkerOptions {
        let mut options = WorkerOptions::default();
        if let Some(n) = workers {
            options.workers = n.max(1);
        }
        if let Some(secs) = self.config.lease_secs {
            options.lease_for = std::time::Duration::from_secs(secs.max(1));
        }
        if let Some(n) = self.config.max_attempts {
            options.max_attempts = n.max(1);
        }
        options.isolation = match std::env::current_exe() {
            Ok(program) => Some(Isolation {
                program,
                args: self.child_args.clone(),
                policy: self.config.isolate,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "The docseal binary cannot be found; no job will run in a process of its own.");
                None
            }
        };
        options
    }
}

/// Exit code 0 or 1: whether anything failed.
fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
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
