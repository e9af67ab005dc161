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
//! - `verify`, `revoke`, `serve`, `keys`: documents, the registry and keys.
//! - `log`: the office's transparency log.
//! - `eval`, `samples`, `inspect`: measuring and looking inside the pipeline.

mod eval;
mod inspect;
mod keys;
mod log;
mod revoke;
mod run;
mod samples;
mod serve;
mod status;
mod submit;
mod verify;
mod work;

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
use crate::worker::{Services, WorkerOptions};

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
    /// signed by the office's signing key. Runs until SIGTERM or Ctrl-C.
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
}

/// What every command has: a command's flags, run in a [`Context`], give the
/// process exit code (errors become exit code 3 in `main.rs`).
pub trait Execute {
    /// Runs the command.
    fn execute(self, ctx: &Context) -> Result<ExitCode>;
}

impl Execute for Command {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        match self {
            Command::Run(c) => c.execute(ctx),
            Command::Submit(c) => c.execute(ctx),
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
        }
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    let ctx = Context::new(crate::config::load(&cli.settings)?)?;
    cli.command.execute(&ctx)
}

/// What commands run with: the configuration and the async runtime.
pub struct Context {
    /// The configuration (settings file, `DOCSEAL_*` variables and flags).
    pub config: Config,
    runtime: tokio::runtime::Runtime,
}

impl Context {
    /// A context for `config`, with a two-thread async runtime.
    pub fn new(config: Config) -> Result<Context> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Context { config, runtime })
    }

    /// Runs `future` to completion on the runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The configured queue and store (the embedded default unless told otherwise).
    pub async fn open_backends(&self) -> Result<(Arc<AnyQueue>, Arc<AnyStore>)> {
        let config = &self.config;
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

    /// What the workers need: the backends, the OCR engine checked, the
    /// office's keys (created on first use) and the fonts.
    pub fn services<Q, S>(&self, queue: Arc<Q>, store: Arc<S>) -> Result<Services<Q, S>> {
        let config = &self.config;
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
