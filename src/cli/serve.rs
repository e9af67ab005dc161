//! `docseal serve`: signed document status over HTTP.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::office::{self, KeyUsage, Signer, STATUS_KEY_FILE};

/// Answer document status over HTTP, signed by the office's status key
/// (`keys/status.key`); the document-signing key is not needed.
#[derive(Debug, clap::Args)]
pub struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: String,
}

impl Execute for Serve {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let listen = self.listen;
        ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            let dir = ctx.config.keys_dir();
            let signer = Signer::load(&dir.join(STATUS_KEY_FILE))
                .context("cannot load the office's status key; run `docseal keys init` first")?;
            let (trust, _) = office::load_trust(&dir)?;
            anyhow::ensure!(
                trust
                    .find_for(signer.key_id(), KeyUsage::Status)
                    .is_some_and(|k| k.revoked_at.is_none() && k.not_after.is_none()),
                "the status key {} is not a current status key of {}; run `docseal keys init` or `docseal keys rotate --status`",
                signer.key_id(),
                ctx.config.trust_path().display()
            );
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            println!(
                "Serving document status at http://{addr}/v1/documents/{{id}}/status (status key {})",
                signer.key_id()
            );
            std::io::stdout().flush()?;
            crate::server::run(listener, queue, Arc::new(signer), super::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
