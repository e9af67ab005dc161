//! `docseal verify`: a result document, or the QR seal of a printed copy.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::verify;

/// Verify a result document offline (or the QR seal of a printed copy).
#[derive(Debug, clap::Args)]
pub struct Verify {
    /// The result PDF.
    #[arg(required_unless_present_any = ["qr", "qr_image"])]
    file: Option<PathBuf>,
    /// The text of a scanned QR seal (`DS1:…`).
    #[arg(long, conflicts_with = "file")]
    qr: Option<String>,
    /// A photo or scan of a printed copy's QR seal.
    #[arg(long, conflicts_with_all = ["file", "qr"])]
    qr_image: Option<PathBuf>,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
    /// Trust file (default: the data directory's `keys/trust.json` when it
    /// exists). A result PDF carries its office's trust list at issue time:
    /// with `--root` (or `--trust-dir`) no trust file is needed, and the
    /// newer of the two is used.
    #[arg(long)]
    trust: Option<PathBuf>,
    /// A directory of offices' root certificates (`*.pem`, one per office)
    /// the verifier trusts: a document verifies when its office's root is
    /// among them.
    #[arg(long, value_name = "DIR")]
    trust_dir: Option<PathBuf>,
    /// The original scan, to check that the document was made from it.
    #[arg(long)]
    source: Option<PathBuf>,
    /// The issuing office's root certificate (`root.pem`): the trust list
    /// must be signed by exactly this root.
    #[arg(long, value_name = "ROOT.pem")]
    root: Option<PathBuf>,
    /// Also ask the office's registry (`docseal serve`) whether the
    /// document was revoked or superseded, e.g. `http://registry:8480`.
    #[arg(long, value_name = "URL")]
    online: Option<String>,
    /// With `--online`: the oldest registry answer accepted, in seconds (an
    /// answer made longer ago, or this far ahead of this computer's clock, is
    /// refused).
    #[arg(long, value_name = "SECS", default_value_t = crate::status::DEFAULT_MAX_AGE.as_secs())]
    max_answer_age: u64,
    /// The office's transparency-log proof for the document
    /// (`docseal log proof DOC_ID`): proves it existed when the log's
    /// checkpoint was signed.
    #[arg(long, value_name = "FILE")]
    log_proof: Option<PathBuf>,
    /// Where checkpoints seen before are remembered (default
    /// `$XDG_STATE_HOME/docseal/checkpoints`).
    #[arg(long, value_name = "DIR")]
    seen_dir: Option<PathBuf>,
    /// A copy of the office's published log (its `tlog/` directory), to
    /// check a checkpoint against those seen before.
    #[arg(long, value_name = "DIR")]
    log_tiles: Option<PathBuf>,
}

impl Execute for Verify {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let default_trust = ctx.config.trust_path();
        let options = verify::Options {
            trust: self.trust.as_deref(),
            default_trust: Some(&default_trust),
            trust_dir: self.trust_dir.as_deref(),
            root: self.root.as_deref(),
            source: self.source.as_deref(),
            online: self.online.as_deref(),
            max_answer_age: std::time::Duration::from_secs(self.max_answer_age),
            log_proof: self.log_proof.as_deref(),
            seen_dir: self.seen_dir.as_deref(),
            log_tiles: self.log_tiles.as_deref(),
        };
        let report = match (self.file, self.qr, self.qr_image) {
            (Some(file), _, _) => verify::verify_file(&file, &options),
            (None, Some(text), _) => verify::verify_qr_text(&text, &options),
            (None, None, Some(img)) => {
                let gray = image::open(&img)
                    .with_context(|| format!("cannot read the image {}", img.display()))?
                    .to_luma8();
                let text = crate::qrseal::decode_image(&gray)
                    .with_context(|| format!("no QR seal found in {}", img.display()))?;
                verify::verify_qr_text(&text, &options)
            }
            (None, None, None) => anyhow::bail!("give a result PDF, --qr or --qr-image"),
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.to_text());
        }
        Ok(ExitCode::from(report.verdict.exit_code()))
    }
}
