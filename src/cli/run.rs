//! `docseal run`: submit scans, process them with a worker pool until the
//! queue is idle, then report each input.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::submit::submit_one;
use super::{Context, Execute};
use crate::config::expand_inputs;
use crate::model::Record;
use crate::queue::{JobState, JobView, Registry};
use crate::store::{ObjectKind, ObjectStore};
use crate::{pipeline_version, worker};

/// Process scans end to end: submit, OCR, classify, extract, seal, render, store.
#[derive(Debug, clap::Args)]
pub struct Run {
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
    /// Dossier and procedure codes.
    #[command(flatten)]
    dossier: super::dossier_args::DossierArgs,
}

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// A document was issued.
    Issued,
    /// A person must check the record; nothing was issued.
    NeedsReview,
    /// The input could not be submitted or processed.
    Failed,
    /// Not finished: another worker holds the job.
    Pending,
}

impl From<JobState> for Outcome {
    fn from(state: JobState) -> Outcome {
        match state {
            JobState::Issued => Outcome::Issued,
            JobState::NeedsReview => Outcome::NeedsReview,
            // A person refused it: nothing was issued.
            JobState::Failed | JobState::Rejected => Outcome::Failed,
            JobState::Queued | JobState::Processing => Outcome::Pending,
        }
    }
}

impl Outcome {
    /// The outcome's name in reports.
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Issued => "issued",
            Outcome::NeedsReview => "needs_review",
            Outcome::Failed => "failed",
            Outcome::Pending => "pending",
        }
    }
}

/// One input's report: a line of `run --json`, field for field.
#[derive(Debug, Serialize)]
struct Report {
    source: String,
    submission_id: Option<String>,
    status: Outcome,
    record: Option<Record>,
    document_id: Option<String>,
    result_pdf: Option<String>,
    hocr: Option<String>,
    error: Option<String>,
}

impl Report {
    /// An input that failed before it had a job.
    fn failed(source: String, submission_id: Option<String>, error: String) -> Report {
        Report {
            source,
            submission_id,
            status: Outcome::Failed,
            record: None,
            document_id: None,
            result_pdf: None,
            hocr: None,
            error: Some(error),
        }
    }

    /// An input from its job in the registry; `locate` gives an object's place.
    fn of_job(source: String, job: JobView, locate: impl Fn(&str) -> String) -> Report {
        let status = Outcome::from(job.state);
        let hocr = matches!(status, Outcome::Issued | Outcome::NeedsReview).then(|| {
            locate(&ObjectKind::Hocr.key_for_submission(&job.submission_id, pipeline_version()))
        });
        Report {
            source,
            status,
            record: job
                .record_json
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            document_id: job.document_id,
            result_pdf: job.pdf_key.as_deref().map(&locate),
            hocr,
            error: job.error,
            submission_id: Some(job.submission_id),
        }
    }

    /// The report's line without `--json`: status, type, source and detail.
    fn to_text(&self) -> String {
        let doc_type = match &self.record {
            Some(r) => r.doc_type.map_or("unknown", |t| t.as_str()),
            None => "-",
        };
        let detail = match (self.status, &self.record) {
            (Outcome::Issued, _) => self.document_id.clone().unwrap_or_default(),
            (Outcome::NeedsReview, Some(r)) if r.doc_type.is_none() => {
                "not a known document type".to_string()
            }
            (Outcome::NeedsReview, r) => format!(
                "check: {}",
                r.as_ref()
                    .map(|r| r.needs_review.join(", "))
                    .unwrap_or_default()
            ),
            (Outcome::Failed | Outcome::Pending, _) => self.error.clone().unwrap_or_default(),
        };
        format!(
            "{:<12} {doc_type:<32} {}  {detail}",
            self.status.as_str(),
            self.source
        )
    }
}

/// How many inputs ended each way.
#[derive(Debug, Default)]
struct Tally {
    issued: u64,
    needs_review: u64,
    failed: u64,
    pending: u64,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        *match outcome {
            Outcome::Issued => &mut self.issued,
            Outcome::NeedsReview => &mut self.needs_review,
            Outcome::Failed => &mut self.failed,
            Outcome::Pending => &mut self.pending,
        } += 1;
    }
}

impl Execute for Run {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        ctx.block_on(self.run(ctx))
    }
}

impl Run {
    async fn run(self, ctx: &Context) -> Result<ExitCode> {
        let started = Instant::now();
        let codes = match self.dossier.load() {
            Ok(codes) => codes,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(super::EXIT_USAGE));
            }
        };
        let (queue, store) = ctx.open_backends().await?;
        let services = ctx.services(queue.clone(), store.clone())?;
        let inputs = expand_inputs(&self.paths);
        for file in codes.unmatched(&inputs) {
            eprintln!("warning: --meta names {file}, which is not among the scans given");
        }
        let mut submitted = Vec::with_capacity(inputs.len());
        let mut pending = 0u64;
        for path in &inputs {
            codes
                .record(queue.as_ref(), path)
                .await
                .map_err(anyhow::Error::msg)?;
            let input = submit_one(
                queue.as_ref(),
                store.as_ref(),
                &ctx.config,
                path,
                self.force,
            )
            .await;
            if let Ok(id) = &input.submitted {
                if let Ok(Some(job)) = queue.job(id, pipeline_version()).await {
                    if !job.state.is_final() {
                        pending += 1;
                    }
                }
            }
            // Keep only what the report needs: memory stays flat for large batches.
            submitted.push(input);
        }
        let bar = if self.json {
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
        let mut options = ctx.worker_options(self.workers);
        options.until_idle = true;
        worker::run(services, options, super::shutdown_signal(), Some(tx)).await?;
        let _ = ticker.await;
        bar.finish_and_clear();
        super::log::publish_if_configured(&ctx.config, queue.as_ref(), store.as_ref()).await;

        let mut tally = Tally::default();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let n = submitted.len();
        for input in submitted {
            let report = match input.submitted {
                Err(error) => Report::failed(input.source, None, error),
                Ok(id) => match queue.job(&id, pipeline_version()).await? {
                    None => Report::failed(input.source, Some(id), "the job is missing".into()),
                    Some(job) => Report::of_job(input.source, job, |k| store.locate(k)),
                },
            };
            tally.add(report.status);
            if self.json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                writeln!(out, "{}", report.to_text())?;
            }
        }
        if !self.json {
            writeln!(
                out,
                "\n{n} inputs in {:.1}s: {} issued, {} needs review, {} failed{}",
                started.elapsed().as_secs_f64(),
                tally.issued,
                tally.needs_review,
                tally.failed,
                match tally.pending {
                    0 => String::new(),
                    p => format!(", {p} still pending (held by another worker)"),
                }
            )?;
            writeln!(
                out,
                "Result documents are in {}",
                ctx.config.objects_dir().join("results").display()
            )?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
