//! `docseal serve`: signed document status over HTTP.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::office::Signer;

/// Answer document status over HTTP, signed by the office's signing key.
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
            let key_path = ctx.config.keys_dir().join(crate::office::SIGNING_KEY_FILE);
            let signer = Signer::load(&key_path)
                .context("cannot load the office's signing key; run `docseal keys init` first")?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            println!(
                "Serving document status at http://{addr}/v1/documents/{{id}}/status (key {})",
                signer.key_id()
            );
            std::io::stdout().flush()?;
            crate::server::run(listener, queue, Arc::new(signer), super::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
