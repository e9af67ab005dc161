//! `docseal log`: the office's transparency log (see [`crate::tlog`]), and
//! the appends and publishing other commands do.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::config::Config;
use crate::office::{Credentials, TrustList};
use crate::queue::{EntryKind, LogEntries};
use crate::store::ObjectStore;
use crate::tlog::key::origin_for;
use crate::tlog::{publish, LogKey, LOG_KEY_FILE};

/// The office's transparency log of issued documents and revocations.
#[derive(Debug, clap::Args)]
pub struct Log {
    /// What to do.
    #[command(subcommand)]
    action: LogCommand,
}

/// Transparency-log commands.
#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Create the log key (`keys/log.key`) and list its public key in the
    /// root-signed trust list.
    Init {
        /// The log's name (origin); default `docseal/<office>`.
        #[arg(long)]
        origin: Option<String>,
    },
    /// Print the log's verifier key (signed-note `vkey`).
    Key,
    /// Fold new entries into a signed checkpoint and publish tiles and
    /// checkpoint under `tlog/` in the object store.
    Publish,
    /// Print the latest checkpoint.
    Checkpoint,
    /// Print a `c2sp.org/tlog-proof@v1` proof for a document, in the first
    /// checkpoint that holds it (its proof of existence).
    Proof {
        /// The document id.
        document_id: String,
        /// Prove it in the latest checkpoint instead.
        #[arg(long)]
        latest: bool,
        /// Write the proof here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the whole log: entries, checkpoints and published tiles.
    Verify,
}

fn key_path(config: &Config) -> PathBuf {
    config.keys_dir().join(LOG_KEY_FILE)
}

/// The trust list, used only when its root signature checks.
fn checked_trust(config: &Config) -> Result<TrustList> {
    let trust = TrustList::load(&config.trust_path())
        .context("the log needs the office's trust list; run `docseal keys init` first")?;
    trust.check_signature().map_err(anyhow::Error::msg)?;
    Ok(trust)
}

impl Execute for Log {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let config = &ctx.config;
        match self.action {
            LogCommand::Init { origin } => {
                let mut trust = checked_trust(config)?;
                let path = key_path(config);
                let origin = origin.unwrap_or_else(|| origin_for(&config.office));
                let key = LogKey::create(&path, &origin)
                    .with_context(|| format!("cannot create the log key {}", path.display()))?;
                let vkey = key.vkey();
                if !trust.logs.contains(&vkey) {
                    trust.logs.push(vkey.clone());
                }
                Credentials::save_trust(&config.keys_dir(), &mut trust)?;
                println!("Created the log {origin}; its key {vkey} is in the trust list");
            }
            LogCommand::Key => println!("{}", LogKey::load(&key_path(config))?.vkey()),
            LogCommand::Publish => {
                let key = LogKey::load(&key_path(config))?;
                ctx.block_on(async {
                    let (queue, store) = ctx.open_backends().await?;
                    let p = publish::publish(queue.as_ref(), store.as_ref(), &key).await?;
                    println!(
                        "{} entries; {}; {} tiles written under {}",
                        p.size,
                        if p.new_checkpoint {
                            "new checkpoint signed"
                        } else {
                            "no new entries"
                        },
                        p.tiles,
                        store.locate(publish::PREFIX)
                    );
                    anyhow::Ok(())
                })?;
            }
            LogCommand::Checkpoint => ctx.block_on(async {
                let (queue, _) = ctx.open_backends().await?;
                match queue.checkpoint(None).await? {
                    Some(cp) => print!("{}", String::from_utf8_lossy(&cp.note)),
                    None => anyhow::bail!("no checkpoint yet; run `docseal log publish`"),
                }
                anyhow::Ok(())
            })?,
            LogCommand::Proof {
                document_id,
                latest,
                out,
            } => {
                let proof = ctx.block_on(async {
                    let (queue, _) = ctx.open_backends().await?;
                    let kind = EntryKind::Document;
                    anyhow::Ok(publish::prove(queue.as_ref(), kind, &document_id, latest).await?)
                })?;
                let text = proof.to_text();
                match out {
                    Some(p) => std::fs::write(&p, &text)
                        .with_context(|| format!("cannot write {}", p.display()))?,
                    None => print!("{}", String::from_utf8_lossy(&text)),
                }
            }
            LogCommand::Verify => {
                let logs = publish::trusted_logs(&checked_trust(config)?)?;
                anyhow::ensure!(
                    !logs.is_empty(),
                    "the trust list names no log; run `docseal log init`"
                );
                let r = ctx.block_on(async {
                    let (queue, store) = ctx.open_backends().await?;
                    anyhow::Ok(publish::verify_log(queue.as_ref(), store.as_ref(), &logs).await?)
                })?;
                println!(
                    "OK: {} entries, {} checkpoints signed by the log, {} tiles of the latest ({} entries) match",
                    r.entries, r.checkpoints, r.tiles, r.published
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Publishes the log when it has a key (after `run`, and periodically in
/// `work`); a missing key is not an error, other failures are reported.
/// How often a long-running process (`work`, `serve`) publishes the log.
const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Publishes the log every [`PUBLISH_EVERY`] until the task is aborted.
pub(super) fn spawn_publisher<L: LogEntries, S: ObjectStore>(
    config: &Config,
    queue: std::sync::Arc<L>,
    store: std::sync::Arc<S>,
) -> tokio::task::JoinHandle<()> {
    let config = config.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(PUBLISH_EVERY).await;
            publish_if_configured(&config, queue.as_ref(), store.as_ref()).await;
        }
    })
}

pub(super) async fn publish_if_configured<L: LogEntries, S: ObjectStore>(
    config: &Config,
    queue: &L,
    store: &S,
) {
    let path = key_path(config);
    if !path.exists() {
        return;
    }
    let published = match LogKey::load(&path) {
        Ok(key) => publish::publish(queue, store, &key).await,
        Err(e) => Err(e),
    };
    if let Err(e) = published {
        tracing::warn!(error = %e, "The transparency log was not published.");
    }
}

/// Appends a revocation (of a document or a key) to the log.
pub(super) async fn log_revocation<L: LogEntries>(
    queue: &L,
    kind: EntryKind,
    subject: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    crate::tlog::entry::log_revocation(queue, kind, subject, reason, at)
        .await
        .with_context(|| format!("cannot log the revocation of {subject}"))
}
