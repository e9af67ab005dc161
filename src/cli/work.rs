//! `docseal work`: the worker pool on queued jobs, until SIGTERM or Ctrl-C,
//! publishing the transparency log every minute and at the end.

use std::process::ExitCode;

use anyhow::Result;

use super::log::publish_if_configured;
use super::{Context, Execute};
use crate::worker;

/// How often the workers' process publishes the transparency log.
const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

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
            let publisher = {
                let config = ctx.config.clone();
                let (queue, store) = (queue.clone(), store.clone());
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(PUBLISH_EVERY).await;
                        publish_if_configured(&config, queue.as_ref(), store.as_ref()).await;
                    }
                })
            };
            worker::run(services, options, super::shutdown_signal(), None).await?;
            publisher.abort();
            publish_if_configured(&ctx.config, queue.as_ref(), store.as_ref()).await;
            Ok(ExitCode::SUCCESS)
        })
    }
}
