//! `docseal work`: the worker pool on queued jobs, until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use anyhow::Result;

use super::{Context, Execute};
use crate::worker;

/// Work on queued jobs until SIGTERM or Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct Work {
    /// Jobs processed at once (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

impl Execute for Work {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let services = ctx.services(queue, store)?;
            let options = ctx.worker_options(self.workers);
            worker::run(services, options, super::shutdown_signal(), None).await?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
