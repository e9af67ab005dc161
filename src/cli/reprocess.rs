//! `docseal reprocess`: stored submissions run again through this pipeline
//! version (see [`crate::reprocess`]), with progress and an ETA on a
//! terminal; `--dry-run` reports what would change and changes nothing.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, Execute};
use crate::reprocess::{self, ItemReport, Progress, RunOptions, Selection, Standing};
use crate::schema::DocType;

/// Run stored submissions again through this pipeline version: a changed
/// record issues a document that supersedes the old one, an unchanged one
/// issues nothing, a record a person approved is never overwritten (a
/// disagreement opens a review). The same command again continues an
/// interrupted run.
#[derive(Debug, clap::Args)]
pub struct Reprocess {
    /// Only records of this document type.
    #[arg(long = "type", value_name = "TYPE")]
    doc_type: Option<DocType>,
    /// Only submissions received on or after this day (YYYY-MM-DD, Vietnam's time).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only submissions received on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only records read by this pipeline version (e.g. `docseal/0.1.0`).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// Only submissions in this state (repeatable; all four by default).
    #[arg(long, value_enum, value_name = "STATE")]
    state: Vec<Standing>,
    /// Decide and report only: issue nothing, store nothing, record nothing.
    #[arg(long, requires = "report")]
    dry_run: bool,
    /// Write the report (NDJSON: one line per submission, with each changed
    /// field's old and new value and the action) to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Submissions processed at once (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

fn day(flag: &str, s: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, format).with_context(|| format!("{flag} `{s}`: expected a day YYYY-MM-DD"))
}

/// The progress bar on standard error (drawn only on a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: u64, done: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
        self.0.reset_eta();
    }

    fn item(&self) {
        self.0.inc(1);
    }
}

impl Execute for Reprocess {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let mut selection = Selection {
            doc_type: self.doc_type.map(|t| t.as_str().to_string()),
            version: self.version.clone(),
            states: self.state.iter().copied().collect(),
            ..Selection::default()
        };
        if let Some(s) = &self.since {
            let d = day("--since", s)?;
            selection.since = Some(d.to_string());
            selection.since_ms = Some(crate::deadline::day_start_ms(d));
        }
        if let Some(s) = &self.until {
            let d = day("--until", s)?;
            selection.until = Some(d.to_string());
            let next = d.next_day().unwrap_or(d);
            selection.until_ms = Some(crate::deadline::day_start_ms(next));
        }
        if selection.states.len() == Standing::ALL.len() {
            selection.states.clear();
        }
        let target = crate::pipeline_version().to_string();
        let options = RunOptions {
            target: target.clone(),
            workers: ctx.worker_options(self.workers).workers,
            dry_run: self.dry_run,
            actor: ctx.config.operator.clone(),
        };
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "reprocess {bar:30} {pos}/{len} ({per_sec}, ETA {eta}) {msg}",
        ) {
            bar.set_style(style);
        }
        let progress = Bar(bar.clone());
        let summary = ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let services = ctx.services(queue, store)?;
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let signal = tokio::spawn(async move {
                super::shutdown_signal().await;
                let _ = stop_tx.send(true);
            });
            let summary = reprocess::run(services, &selection, &options, &progress, stop_rx).await;
            signal.abort();
            anyhow::Ok(summary?)
        })?;
        bar.finish_and_clear();
        if let Some(path) = &self.report {
            write_report(path, &summary.reports)?;
        }
        let counts: Vec<String> = summary
            .counts()
            .iter()
            .map(|(action, n)| format!("{action} {n}"))
            .collect();
        let mut out = std::io::stdout().lock();
        match &summary.run_id {
            None => writeln!(
                out,
                "Dry run to {target}: {} submissions; would be: {}. Nothing was changed.",
                summary.total,
                counts.join(", ")
            )?,
            Some(id) => writeln!(
                out,
                "Run {id} to {target}: {} submissions ({} done before); {}.",
                summary.total,
                summary.done_before,
                counts.join(", ")
            )?,
        }
        if summary.interrupted {
            writeln!(
                out,
                "Interrupted: run the same command again to continue where it stopped."
            )?;
        }
        let failed = summary
            .reports
            .iter()
            .any(|r| r.action == reprocess::Action::Failed);
        Ok(super::exit_code(failed || summary.interrupted))
    }
}

/// Writes the report's lines to `path` (durably, owner-only: it holds
/// personal data).
fn write_report(path: &std::path::Path, reports: &[ItemReport]) -> Result<()> {
    let mut text = String::new();
    for r in reports {
        text.push_str(&serde_json::to_string(r).context("the report cannot be written")?);
        text.push('\n');
    }
    let path = std::path::absolute(path)
        .with_context(|| format!("cannot write the report {}", path.display()))?;
    crate::fsutil::write_durably(&path, text.as_bytes())
        .with_context(|| format!("cannot write the report {}", path.display()))
}
