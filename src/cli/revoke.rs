//! `docseal revoke`: mark an issued document revoked in the registry.

use std::process::ExitCode;

use anyhow::Result;

use super::{Context, Execute};
use crate::queue::{EntryKind, Registry};

/// Mark an issued document revoked in the registry.
#[derive(Debug, clap::Args)]
pub struct Revoke {
    /// The document id, e.g. `DS-1A2B-3C4D-5E6F-7G8H`.
    document_id: String,
    /// Why (shown to verifiers).
    #[arg(long)]
    reason: String,
}

impl Execute for Revoke {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let Revoke {
            document_id,
            reason,
        } = self;
        anyhow::ensure!(
            !reason.trim().is_empty(),
            "give the reason verifiers will see with --reason"
        );
        ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            let Some(d) = queue.revoke_document(&document_id, &reason).await? else {
                eprintln!(
                    "error: the registry has no document {document_id}; check the id (it starts with DS-)"
                );
                return Ok(ExitCode::FAILURE);
            };
            let at = d
                .status_at
                .map_or_else(|| "-".to_string(), crate::model::format_rfc3339);
            let reason = d.status_reason.as_deref().unwrap_or_default();
            let kind = EntryKind::DocumentRevocation;
            super::log::log_revocation(queue.as_ref(), kind, &d.document_id, reason, &at).await?;
            println!("Revoked {} at {at}: {reason}", d.document_id);
            Ok(ExitCode::SUCCESS)
        })
    }
}
