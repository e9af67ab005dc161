//! `docseal submit`: store scans and queue them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use super::{Context, Execute};
use crate::config::{expand_inputs, Config};
use crate::intake::{Known, SplitTakenIn};
use crate::queue::{Channel, Intake, Jobs, Reviews};
use crate::store::ObjectStore;

/// Store scans and queue them; prints their submission ids.
#[derive(Debug, clap::Args)]
pub struct Submit {
    /// Files or directories of scans.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Queue again submissions that finished without a document.
    #[arg(long)]
    force: bool,
    /// Split a multi-document scan into its documents (by blank or QR
    /// separator sheets and title pages; OCRs each page's top), each a
    /// submission of its own; prints one line per document.
    #[arg(long)]
    split: bool,
    /// Dossier and procedure codes.
    #[command(flatten)]
    dossier: super::dossier_args::DossierArgs,
    /// The scans were received online (e.g. from the public service
    /// portal), not at the desk: the on-time report counts them so.
    #[arg(long)]
    online: bool,
}

impl Execute for Submit {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let codes = match self.dossier.load() {
            Ok(codes) => codes,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(super::EXIT_USAGE));
            }
        };
        ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let mut failed = false;
            let inputs = expand_inputs(&self.paths);
            for file in codes.unmatched(&inputs) {
                eprintln!("warning: --meta names {file}, which is not among the scans given");
            }
            for path in inputs {
                if let Err(e) = codes.record(queue.as_ref(), &path).await {
                    failed = true;
                    eprintln!("error: {e}");
                    continue;
                }
                if self.online {
                    if let Err(e) = record_online(queue.as_ref(), &path).await {
                        failed = true;
                        eprintln!("error: {e}");
                        continue;
                    }
                }
                if self.split {
                    let source = path.display().to_string();
                    // The codes given for the scan go to each of its parts.
                    let (dossier_code, procedure_code) = codes.for_path(&path).unwrap_or_default();
                    let known = Known {
                        dossier_code,
                        procedure_code,
                        received_at_ms: None,
                    };
                    match submit_split(
                        queue.as_ref(),
                        store.as_ref(),
                        &ctx.config,
                        &path,
                        &known,
                        self.force,
                    )
                    .await
                    {
                        Ok(lines) => lines.iter().for_each(|l| println!("{l}  {source}")),
                        Err(e) => {
                            failed = true;
                            eprintln!("error: {source}: {e}");
                        }
                    }
                    continue;
                }
                let input = submit_one(
                    queue.as_ref(),
                    store.as_ref(),
                    &ctx.config,
                    &path,
                    self.force,
                )
                .await;
                match input.submitted {
                    Ok(id) => println!("{id}  {}", input.source),
                    Err(e) => {
                        failed = true;
                        eprintln!("error: {e}");
                    }
                }
            }
            Ok(super::exit_code(failed))
        })
    }
}

/// Records, before its job is queued, that a scan was received online.
async fn record_online<Q: Intake>(queue: &Q, path: &Path) -> Result<(), String> {
    let source = path.display().to_string();
    let id = super::dossier_args::submission_id_of(path).await?;
    queue
        .set_channel(&id, Channel::Online)
        .await
        .map_err(|e| format!("{source}: cannot record its channel: {e}"))
}

/// What happened to one input at submission.
pub(super) struct Input {
    /// The path as given.
    pub source: String,
    /// The submission id, or why the input was not submitted.
    pub submitted: Result<String, String>,
}

/// Stores the raw bytes first, then queues the job.
pub(super) async fn submit_one<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    config: &Config,
    path: &Path,
    force: bool,
) -> Input {
    let source = path.display().to_string();
    let submitted = submit_file(queue, store, config, path, &source, force).await;
    Input { source, submitted }
}

async fn submit_file<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    config: &Config,
    path: &Path,
    source: &str,
    force: bool,
) -> Result<String, String> {
    let limit = config.pipeline.limits.max_bytes;
    // Reading and hashing up to `max_bytes` is work for a blocking thread.
    let scan = {
        let (path, name) = (path.to_path_buf(), source.to_string());
        tokio::task::spawn_blocking(move || read_scan(&path, &name, limit))
            .await
            .map_err(|e| format!("{source}: cannot read the file: {e}"))??
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string());
    crate::intake::take_in(queue, store, &name, scan, force)
        .await
        .map(|t| t.id)
        .map_err(|e| format!("{source}: {e}"))
}

/// Splits one scan into its documents and takes each in; returns the lines
/// to print: `ID` for a scan taken in whole, `ID  pages FIRST-LAST` per part.
async fn submit_split<Q: Jobs + Intake + Reviews, S: ObjectStore>(
    queue: &Q,
    store: &S,
    config: &Config,
    path: &Path,
    known: &Known,
    force: bool,
) -> Result<Vec<String>, String> {
    let limit = config.pipeline.limits.max_bytes;
    let source = path.display().to_string();
    let scan = {
        let (path, name) = (path.to_path_buf(), source.clone());
        tokio::task::spawn_blocking(move || read_scan(&path, &name, limit))
            .await
            .map_err(|e| format!("cannot read the file: {e}"))??
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.clone());
    let taken =
        crate::intake::take_in_split(queue, store, &name, scan, &config.pipeline, known, force)
            .await
            .map_err(|e| e.to_string())?;
    Ok(match taken {
        SplitTakenIn::Whole(t) => vec![t.id],
        SplitTakenIn::Parts { parts, .. } => parts
            .iter()
            .map(|p| format!("{}  pages {}-{}", p.part_id, p.first_page, p.last_page))
            .collect(),
    })
}

/// Reads a scan within the size limit (blocking).
fn read_scan(path: &Path, source: &str, limit: u64) -> Result<Vec<u8>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{source}: cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{source}: not a regular file"));
    }
    if meta.len() > limit {
        let size = meta.len();
        return Err(format!(
            "{source}: the file has {size} bytes, more than the limit of {limit}; split or rescan it"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{source}: cannot read the file: {e}"))?;
    Ok(bytes)
}
