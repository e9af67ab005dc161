//! The synthetic scan generator: documents of every type with ground truth.

use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SampleOptions {
    /// Number of documents.
    pub count: usize,
    /// Random seed.
    pub seed: u64,
    /// Degrade the scans.
    pub degrade: bool,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// Not implemented.
    #[error("not available")]
    Unavailable,
}

/// Writes documents into `out`; returns the scan paths.
pub fn generate(out: &Path, opts: &SampleOptions) -> Result<Vec<PathBuf>, SampleError> {
    let _ = (out, opts);
    Err(SampleError::Unavailable)
}
