//! `docseal work`: the worker pool on queued jobs, until SIGTERM or Ctrl-C,
//! publishing the transparency log every minute and at the end.

use std::process::ExitCode;

use anyhow::Result;

use super::log::{publish_if_configured, spawn_publisher};
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
            let services = ctx.services(queue.clone(), store.clone())?;
            let options = ctx.worker_options(self.workers);
            let publisher = spawn_publisher(&ctx.config, queue.clone(), store.clone());
            worker::run(services, options, super::shutdown_signal(), None).await?;
            publisher.abort();
            publish_if_configured(&ctx.config, queue.as_ref(), store.as_ref()).await;
            Ok(ExitCode::SUCCESS)
        })
    }
}
