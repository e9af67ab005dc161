//! `docseal inspect`: what the pipeline reads in one scan, nothing stored.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use serde_json::json;

use super::{Context, Execute};
use crate::model::TextSource;
use crate::pipeline;

/// Show what the pipeline reads in one scan, without storing anything.
#[derive(Debug, clap::Args)]
pub struct Inspect {
    /// The scan.
    file: PathBuf,
    /// Print the OCR lines too.
    #[arg(long)]
    text: bool,
}

impl Execute for Inspect {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let file = &self.file;
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let a = pipeline::analyze(&bytes, &ctx.config.pipeline)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        if self.text {
            for (i, p) in a.ocr.iter().enumerate() {
                let source = match p.source {
                    TextSource::Ocr => "OCR",
                    TextSource::TextLayer => "the PDF's text layer",
                };
                let turned = match a.prepare_steps.get(i).and_then(Option::as_ref) {
                    Some(s) => match s.oriented_by {
                        Some(by) => format!(
                            ", turned {}°, orientation by {}",
                            u32::from(s.quarter_turns) * 90,
                            by.as_str()
                        ),
                        None => String::new(),
                    },
                    None => String::new(),
                };
                println!(
                    "--- page {} ({}×{} px, {} dpi, text from {source}{turned})",
                    i + 1,
                    p.width,
                    p.height,
                    p.dpi
                );
                for l in &p.lines {
                    let conf = l.words.iter().map(|w| w.conf).fold(1.0f32, f32::min);
                    println!("{conf:.2} | {}", l.text());
                }
            }
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "record": a.record,
                "reread": a.record.reread,
                // Why each field in `needs_review` is there: code and words.
                "review_reasons": a.record.needs_review.iter().filter_map(|f| {
                    let r = a.record.review_reason(f)?;
                    Some((f.clone(), json!({"code": r.code(), "reason": r.to_string()})))
                }).collect::<serde_json::Map<_, _>>(),
                "classification": a.classified,
                // What preparation did to each page (null for a page read
                // from a PDF's text layer), with what decided its
                // orientation.
                "prepare": a.prepare_steps,
            }))?
        );
        Ok(ExitCode::SUCCESS)
    }
}
