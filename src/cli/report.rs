//! `docseal report`: a month's on-time report per procedure (received,
//! resolved on time or late, pending, overdue) as a table, JSON, or an SVG
//! bar chart, from the queue's submission times and the procedure and
//! holiday tables.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::deadline::{Deadlines, YearMonth};
use crate::queue::Timeline;

/// A month's on-time report per procedure.
#[derive(Debug, clap::Args)]
pub struct Report {
    /// The month, YYYY-MM (default: the current one).
    #[arg(long)]
    month: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Also write the report as an SVG bar chart to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// The procedure table (default: the committed schemas/procedures.toml).
    #[arg(long, value_name = "FILE", env = "DOCSEAL_PROCEDURES")]
    procedures: Option<PathBuf>,
    /// The holiday list (default: the committed schemas/holidays.toml).
    #[arg(long, value_name = "FILE", env = "DOCSEAL_HOLIDAYS")]
    holidays: Option<PathBuf>,
}

impl Execute for Report {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let deadlines = Deadlines::load(self.procedures.as_deref(), self.holidays.as_deref())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let month = match &self.month {
            Some(m) => YearMonth::parse(m)?,
            None => YearMonth::of(now),
        };
        let (start, end) = month.range_ms();
        let times = ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            anyhow::Ok(queue.submission_times(start, end).await?)
        })?;
        let report = deadlines.report(month, &times, now);
        if let Some(path) = &self.svg {
            std::fs::write(path, report.to_svg())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.to_table());
        }
        Ok(ExitCode::SUCCESS)
    }
}
