//! `docseal keys`: the office's signing keys and its trust list.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::model::now_rfc3339;
use crate::office::{Credentials, Signer, TrustList, ROOT_CERT_FILE};

/// Manage the office's signing keys and its trust list.
#[derive(Debug, clap::Args)]
pub struct Keys {
    /// What to do.
    #[command(subcommand)]
    action: KeysCommand,
}

/// Key management commands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create the office's signing key and trust list (if there is none yet).
    Init,
    /// List the keys in the trust list with their validity.
    List,
    /// Retire the current signing key and start a new one; the old one stays
    /// valid for what it signed before now.
    Rotate,
    /// Revoke a key: documents it signed at or after `--at` become invalid.
    Revoke {
        /// The key id, as `keys list` shows it.
        key_id: String,
        /// Why (shown to verifiers).
        #[arg(long)]
        reason: String,
        /// From when, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Write the trust list verifiers need.
    ExportTrust {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

impl Execute for Keys {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let config = &ctx.config;
        let dir = config.keys_dir();
        let trust_path = config.trust_path();
        match self.action {
            KeysCommand::Init => {
                let c = Credentials::load_or_create(&dir, &config.office)?;
                println!("Signing key {} in {}", c.signer.key_id(), dir.display());
                println!("Trust list (signed by the root): {}", trust_path.display());
                println!(
                    "Root certificate for PDF validators: {}",
                    dir.join(ROOT_CERT_FILE).display()
                );
                println!("Root SHA-256 fingerprint: {}", root_fingerprint(&c.root)?);
            }
            KeysCommand::List => {
                let c = Credentials::load_or_create(&dir, &config.office)?;
                println!("Root {}", crate::office::pki::subject(&c.root));
                println!("  SHA-256 {}", root_fingerprint(&c.root)?);
                let trust = TrustList::load(&trust_path)?;
                for k in &trust.keys {
                    let state = match (&k.revoked_at, &k.not_after) {
                        (Some(at), _) => format!(
                            "revoked from {at} ({})",
                            k.revocation_reason.as_deref().unwrap_or("")
                        ),
                        (None, Some(until)) => {
                            format!("retired, valid {} to {until}", k.not_before)
                        }
                        (None, None) => format!("current, valid from {}", k.not_before),
                    };
                    println!("{}  {}  {state}", k.key_id, k.office);
                }
            }
            KeysCommand::Rotate => {
                let (old, _) = Signer::rotate(&dir, &config.office)?;
                let c = Credentials::load_or_create(&dir, &config.office)?;
                println!("Retired {old}; new signing key {}", c.signer.key_id());
            }
            KeysCommand::Revoke { key_id, reason, at } => {
                let mut trust = TrustList::load(&trust_path)?;
                let at = at.unwrap_or_else(now_rfc3339);
                trust
                    .revoke(&key_id, &reason, &at)
                    .map_err(anyhow::Error::msg)?;
                Credentials::save_trust(&dir, &mut trust)?;
                ctx.block_on(async {
                    let (queue, _) = ctx.open_backends().await?;
                    let kind = crate::queue::EntryKind::KeyRevocation;
                    super::log::log_revocation(queue.as_ref(), kind, &key_id, &reason, &at).await
                })?;
                println!("Revoked {key_id} from {at}: {reason}");
            }
            KeysCommand::ExportTrust { out } => {
                let c = Credentials::load_or_create(&dir, &config.office)?;
                let trust = TrustList::load(&trust_path)?;
                let signer = trust.check_signature().map_err(anyhow::Error::msg)?;
                anyhow::ensure!(
                    signer == c.root,
                    "{} is signed by another root than {}; run `docseal keys init` to sign it again",
                    trust_path.display(),
                    dir.join(ROOT_CERT_FILE).display()
                );
                eprintln!(
                    "The list is signed by the root with SHA-256 fingerprint {}",
                    root_fingerprint(&c.root)?
                );
                let text = serde_json::to_string_pretty(&trust)? + "\n";
                match out {
                    Some(p) => {
                        std::fs::write(&p, text)
                            .with_context(|| format!("cannot write {}", p.display()))?;
                        println!("Wrote {}", p.display());
                    }
                    None => print!("{text}"),
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The root certificate's SHA-256 fingerprint as people compare it.
fn root_fingerprint(root: &crate::office::pki::Certificate) -> Result<String> {
    Ok(crate::office::pki::fingerprint_for_people(
        &crate::office::pki::fingerprint(root)?,
    ))
}
