//! `docseal archive`: take in a folder tree or a bucket prefix of scans.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};

use super::{Context, Execute};
use crate::archive::{self, ArchiveOptions, ArchiveSource, Status, Summary, Walker};
use crate::store::{AnyStore, S3Store, StoreUrl};

/// Take in an archive of scans: a folder tree or `s3://BUCKET/PREFIX`.
///
/// Each file is hashed as it is read and stored and queued once; a file
/// with the bytes of an earlier one is reported as its duplicate and not
/// stored again; running again changes nothing. Unreadable files are
/// reported and skipped. Prints duplicates, errors and a summary.
#[derive(Debug, clap::Args)]
pub struct Archive {
    /// A directory, or `s3://BUCKET/PREFIX` (reached with the `[s3]`
    /// settings when the store is S3, else the `AWS_*` variables).
    source: String,
    /// A CSV of `file,dossier_code,procedure_code,received_date` (file
    /// relative to SOURCE; date YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Write one JSON line per file here (NDJSON).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Split multi-document scans into their documents (by blank or QR
    /// separator sheets and title pages; OCRs each page's top).
    #[arg(long)]
    split: bool,
}

impl Archive {
    fn source(&self, ctx: &Context) -> Result<ArchiveSource> {
        if !self.source.starts_with("s3://") {
            let dir = PathBuf::from(&self.source);
            if !dir.is_dir() {
                bail!("{}: not a directory (or s3://BUCKET/PREFIX)", self.source);
            }
            return Ok(ArchiveSource::Dir(dir));
        }
        let parsed = match ctx.config.store_url() {
            StoreUrl::S3(mut settings) => {
                let StoreUrl::S3(named) = StoreUrl::parse(&self.source)? else {
                    bail!("{}: not an S3 URL", self.source);
                };
                settings.bucket = named.bucket;
                settings.prefix = named.prefix;
                StoreUrl::S3(settings)
            }
            StoreUrl::Dir(_) => {
                crate::config::Settings::from_aws_env(&|name| std::env::var(name).ok())
                    .s3
                    .store_url(&self.source)?
            }
        };
        let StoreUrl::S3(options) = parsed else {
            bail!("{}: not an S3 URL", self.source);
        };
        let store = S3Store::new(&options)
            .with_context(|| format!("cannot reach the archive {}", self.source))?;
        Ok(ArchiveSource::S3(store))
    }
}

impl Execute for Archive {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let source = self.source(ctx)?;
        let csv = match &self.csv {
            Some(path) => archive::read_csv(path)?,
            None => Default::default(),
        };
        let mut report = match &self.report {
            Some(path) => Some(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create the report {}", path.display()))?,
            )),
            None => None,
        };
        let options = ArchiveOptions {
            split: self.split,
            pipeline: ctx.config.pipeline.clone(),
        };
        let summary = ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let (queue, store): (&crate::queue::AnyQueue, &AnyStore) = (&queue, &store);
            let mut summary = Summary::default();
            let mut walker = Walker::new(&source);
            while let Some(next) = walker.next().await? {
                let outcome = match next {
                    Ok(entry) => {
                        archive::take_in_entry(queue, store, &source, &entry, &csv, &options)
                            .await?
                    }
                    Err(outcome) => outcome,
                };
                match outcome.status {
                    Status::Duplicate => println!(
                        "duplicate: {} of {}",
                        outcome.file,
                        outcome.duplicate_of.as_deref().unwrap_or("?")
                    ),
                    Status::Error => eprintln!(
                        "error: {}: {}",
                        outcome.file,
                        outcome.error.as_deref().unwrap_or("")
                    ),
                    _ => {}
                }
                if let Some(out) = report.as_mut() {
                    serde_json::to_writer(&mut *out, &outcome)?;
                    out.write_all(b"\n")?;
                }
                summary.add(outcome.status);
            }
            anyhow::Ok(summary)
        })?;
        if let Some(mut out) = report {
            out.flush().context("cannot write the report")?;
        }
        println!(
            "{}: {} files: {} new, {} known, {} unchanged, {} duplicate, {} skipped, {} error",
            source.describe(),
            summary.files,
            summary.new,
            summary.known,
            summary.unchanged,
            summary.duplicate,
            summary.skipped,
            summary.error
        );
        Ok(super::exit_code(summary.error > 0))
    }
}
