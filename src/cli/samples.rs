//! `docseal samples`: synthetic scans with ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::samples;

/// Generate synthetic scans with ground truth.
#[derive(Debug, clap::Args)]
pub struct Samples {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Number of documents.
    #[arg(long, default_value_t = 18)]
    count: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Degrade the scans as real back offices do (skew, rotation, noise, seals...).
    #[arg(long)]
    degrade: bool,
    /// Stray from the pages the pipeline is tuned on: other Debian font
    /// families (those installed), scans without a resolution tag, documents
    /// dated after the 2025 reorganisation, business household applications.
    #[arg(long)]
    wide: bool,
}

impl Execute for Samples {
    fn execute(self, _ctx: &Context) -> Result<ExitCode> {
        let options = samples::SampleOptions {
            count: self.count,
            seed: self.seed,
            degrade: self.degrade,
        };
        let variety = if self.wide {
            samples::Variety::Wide
        } else {
            samples::Variety::Standard
        };
        let files = samples::generate_with(&self.out, &options, variety)
            .with_context(|| format!("cannot generate samples in {}", self.out.display()))?;
        println!(
            "Wrote {} scans with truth files to {}",
            files.len(),
            self.out.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
