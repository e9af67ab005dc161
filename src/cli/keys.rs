//! `docseal keys`: the office's signing keys and its trust list.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::model::now_rfc3339;
use crate::office::{self, KeyUsage, ROOT_CERT_FILE};

/// Manage the office's signing keys and its trust list.
#[derive(Debug, clap::Args)]
pub struct Keys {
    /// What to do.
    #[command(subcommand)]
    action: KeysCommand,
}

/// Key management commands: the only commands that create keys or change
/// and sign the trust list. Every other command only loads them.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create the office's keys and trust list, or add what is missing (the
    /// status key of a directory made by an older version). An existing list
    /// must check against the root certificate.
    Init,
    /// List the keys in the trust list with their use and validity.
    List,
    /// Retire the current signing key together with the PDF-signing key (or
    /// with `--status`, the status key) and start new ones; the old one stays valid for what it signed before
    /// now. Its private key is deleted, with any kept before.
    Rotate {
        /// Rotate the key that signs the registry's status answers.
        #[arg(long)]
        status: bool,
        /// Keep the retired private key in `keys/retired/` (mode 0600).
        #[arg(long)]
        keep_retired: bool,
    },
    /// Revoke a key: documents it signed at or after `--at` become invalid.
    /// A revoked signing key issues nothing more until `keys rotate`.
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
    /// Sign the trust list as it now stands with the root key, after an edit
    /// you made on purpose and checked (no other command signs a changed list).
    SignTrust,
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
                let done = office::init(&dir, &config.office)?;
                let c = &done.credentials;
                if !done.created.is_empty() {
                    println!("Created {} in {}", done.created.join(", "), dir.display());
                }
                println!("Signing key {} in {}", c.signer.key_id(), dir.display());
                println!("Status key {}", done.status_key_id);
                println!("Trust list (signed by the root): {}", trust_path.display());
                println!(
                    "Root certificate (docseal verify --root): {}",
                    dir.join(ROOT_CERT_FILE).display()
                );
                println!("Root SHA-256 fingerprint: {}", root_fingerprint(&c.root)?);
                if let Some(pdf) = &c.pdf {
                    println!("PDF-signing key {} (ECDSA P-256)", pdf.signer.key_id());
                    println!(
                        "PDF root for Acrobat, Foxit and NSS (pdfsig): {}",
                        dir.join(office::PDF_ROOT_CERT_FILE).display()
                    );
                    println!(
                        "PDF root SHA-256 fingerprint: {}",
                        root_fingerprint(&pdf.root)?
                    );
                }
            }
            KeysCommand::List => {
                let (trust, root) = office::load_trust(&dir)?;
                println!("Root {}", crate::office::pki::subject(&root));
                println!("  SHA-256 {}", root_fingerprint(&root)?);
                for other in trust.root_certificates().iter().filter(|c| **c != root) {
                    println!("PDF root {}", crate::office::pki::subject(other));
                    println!("  SHA-256 {}", root_fingerprint(other)?);
                }
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
                    println!(
                        "{}  {:<8}  {}  {state}",
                        k.key_id,
                        k.usage.as_str(),
                        k.office
                    );
                }
            }
            KeysCommand::Rotate {
                status,
                keep_retired,
            } => {
                let usage = if status {
                    KeyUsage::Status
                } else {
                    KeyUsage::Document
                };
                let r = office::rotate(&dir, &config.office, usage, keep_retired)?;
                println!("Retired {}; new {} key {}", r.old, usage.as_str(), r.new);
                if let Some((old, new)) = &r.pdf {
                    match old {
                        Some(old) => println!("Retired {old}; new pdf key {new}"),
                        None => println!("New pdf key {new}"),
                    }
                }
                for f in &r.retired_files {
                    let verb = if keep_retired { "Kept" } else { "Deleted" };
                    println!("{verb} the retired private key {}", f.display());
                }
            }
            KeysCommand::Revoke { key_id, reason, at } => {
                let at = at.unwrap_or_else(now_rfc3339);
                let key = office::revoke_key(&dir, &key_id, &reason, &at)?;
                ctx.block_on(async {
                    let (queue, _) = ctx.open_backends().await?;
                    let kind = crate::queue::EntryKind::KeyRevocation;
                    super::log::log_revocation(queue.as_ref(), kind, &key_id, &reason, &at).await
                })?;
                println!("Revoked {key_id} from {at}: {reason}");
                if key.not_after.is_none() {
                    println!(
                        "It is the current {} key: run `docseal keys rotate{}` to start a new one",
                        key.usage.as_str(),
                        if key.usage == KeyUsage::Status {
                            " --status"
                        } else {
                            ""
                        }
                    );
                }
            }
            KeysCommand::SignTrust => {
                let trust = office::sign_trust(&dir)?;
                let root = trust
                    .check_signature()
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("{} was not signed", trust_path.display()))?;
                println!(
                    "Signed {} ({} keys) with the root {}",
                    trust_path.display(),
                    trust.keys.len(),
                    root_fingerprint(&root)?
                );
            }
            KeysCommand::ExportTrust { out } => {
                let (trust, root) = office::load_trust(&dir)?;
                eprintln!(
                    "The list is signed by the root with SHA-256 fingerprint {}",
                    root_fingerprint(&root)?
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
