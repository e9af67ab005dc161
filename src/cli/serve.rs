//! `docseal serve`: the service (API, staff desk, public pages) and, unless
//! `--workers 0`, the worker pool, in one process.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::log::{publish_if_configured, spawn_publisher};
use super::{Context, Execute};
use crate::office::{self, KeyUsage, Signer, STATUS_KEY_FILE};
use crate::web::{self, App};
use crate::worker;

/// Serve the API under /v1, the staff desk under /desk and the public pages
/// /verify and /d/{id}; run the worker pool beside them.
#[derive(Debug, clap::Args)]
pub struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: String,
    /// Jobs processed at once in this process; 0 serves the API only.
    #[arg(long)]
    workers: Option<usize>,
    /// Mark the session cookie `Secure` (when served behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// Serve only what the public may use (verification, status, the
    /// document pages): no desk, no staff API, no workers, and no signing
    /// key loaded; the status key signs the answers.
    #[arg(long, conflicts_with = "workers")]
    public_only: bool,
}

impl Execute for Serve {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let services = if self.public_only {
                None
            } else {
                Some(ctx.services(queue.clone(), store.clone())?)
            };
            let dir = ctx.config.keys_dir();
            let status_signer = Signer::load(&dir.join(STATUS_KEY_FILE))
                .context("cannot load the office's status key; run `docseal keys init` first")?;
            let (trust, _) = office::load_trust(&dir)?;
            anyhow::ensure!(
                trust
                    .find_for(status_signer.key_id(), KeyUsage::Status)
                    .is_some_and(|k| k.revoked_at.is_none() && k.not_after.is_none()),
                "the status key {} is not a current status key of {}; run `docseal keys init` or `docseal keys rotate --status`",
                status_signer.key_id(),
                ctx.config.trust_path().display()
            );
            let workers = if self.public_only {
                0
            } else {
                self.workers
                    .unwrap_or_else(|| ctx.worker_options(None).workers)
            };
            let app = Arc::new(App {
                queue: queue.clone(),
                store: store.clone(),
                services: services.clone(),
                status_signer,
                trust,
                metrics: web::metrics::Metrics::new(),
                public_limiter: web::public::limiter(),
                verify_slots: tokio::sync::Semaphore::new(web::VERIFY_SLOTS),
                upload_slots: tokio::sync::Semaphore::new(web::UPLOAD_SLOTS),
                max_scan_bytes: ctx.config.pipeline.limits.max_bytes,
                secure_cookies: self.secure_cookies,
                workers,
            });
            let listener = tokio::net::TcpListener::bind(&self.listen)
                .await
                .with_context(|| format!("cannot listen on {}", self.listen))?;
            let addr = listener.local_addr()?;
            // The address first, alone on its line, for whoever started
            // this process; a closed stdout does not stop the server.
            let mut banner = format!("Listening on http://{addr}\n");
            if services.is_some() {
                banner += &format!("  staff desk     http://{addr}/desk\n");
            }
            banner += &format!("  verification   http://{addr}/verify\n");
            banner += &format!("  API            http://{addr}/v1 (OpenAPI: /v1/openapi.json)\n");
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
            drop(out);

            // One signal stops both: the server stops accepting and drains
            // its requests; the workers finish and store the jobs they hold.
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let signal = tokio::spawn(async move {
                super::shutdown_signal().await;
                let _ = stop_tx.send(true);
            });
            let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            let pool = services.filter(|_| workers > 0).map(|services| {
                let options = ctx.worker_options(Some(workers));
                tokio::spawn(worker::run(services, options, stopped(stop_rx.clone()), None))
            });
            let publisher = spawn_publisher(&ctx.config, queue.clone(), store.clone());
            web::serve(listener, web::router(app), stopped(stop_rx)).await?;
            if let Some(pool) = pool {
                pool.await.context("the worker pool stopped")??;
            }
            publisher.abort();
            signal.abort();
            publish_if_configured(&ctx.config, queue.as_ref(), store.as_ref()).await;
            Ok(ExitCode::SUCCESS)
        })
    }
}
