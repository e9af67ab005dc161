//! `docseal eval`: accuracy against ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::eval;

/// Measure the pipeline against ground truth (`NAME.truth.json` beside each scan).
#[derive(Debug, clap::Args)]
pub struct Eval {
    /// Directory of scans with truth files.
    dir: PathBuf,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
}

impl Execute for Eval {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let report = eval::evaluate_dir(&self.dir, &ctx.config.pipeline)
            .with_context(|| format!("cannot evaluate {}", self.dir.display()))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.to_text());
        }
        Ok(ExitCode::SUCCESS)
    }
}
