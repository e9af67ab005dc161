//! `docseal compute-job`: one job's CPU part in a process of its own, started
//! by a worker (see `worker::isolate`). Reads the scan on standard input and
//! writes what it computed on standard output; stores nothing.

use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::model::IssuedAt;
use crate::worker;

/// Compute one job in a process of its own (started by a worker).
#[derive(Debug, clap::Args)]
pub struct ComputeJob {
    /// The issue time, Unix seconds.
    #[arg(long)]
    issued_at: i64,
    /// The pipeline version the job is for.
    #[arg(long)]
    pipeline_version: String,
    /// The submission's file name, for messages.
    #[arg(long)]
    name: String,
    /// The document's dossier and result code (JSON), when it has them.
    #[arg(long)]
    dossier: Option<String>,
}

impl Execute for ComputeJob {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let issuing = ctx.issuing(false)?;
        let dossier: Option<crate::dossier::DossierResult> = self
            .dossier
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .context("--dossier is not a dossier's JSON")?;
        worker::serve_child(
            &issuing,
            &self.name,
            IssuedAt::from_unix_seconds(self.issued_at),
            &self.pipeline_version,
            dossier.as_ref(),
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        )
        .context("cannot hand the job's outcome back to its worker")?;
        Ok(ExitCode::SUCCESS)
    }
}
