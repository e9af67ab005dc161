//! Where data lives and how the pipeline is tuned.

use std::path::{Path, PathBuf};

use crate::decode::Limits;
use crate::extract::ExtractOptions;
use crate::ocr::OcrOptions;
use crate::pipeline::PipelineOptions;
use crate::seal::Issuer;

/// The default data directory when none is given.
pub const DEFAULT_DATA_DIR: &str = "docseal-data";

/// Settings of one docseal installation.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory of the embedded default (registry, objects, keys).
    pub data_dir: PathBuf,
    /// The issuing office, written into every manifest.
    pub office: String,
    /// The operator, written into every manifest.
    pub operator: String,
    /// Pipeline settings.
    pub pipeline: PipelineOptions,
}

impl Config {
    /// A configuration for a data directory, with defaults for the rest.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            office: "Bộ phận một cửa docseal".to_string(),
            operator: std::env::var("USER").unwrap_or_else(|_| "operator".to_string()),
            pipeline: PipelineOptions {
                limits: Limits::default(),
                ocr: OcrOptions::default(),
                extract: ExtractOptions::default(),
            },
        }
    }

    /// The SQLite registry file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("docseal.sqlite")
    }

    /// The object directory.
    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }

    /// The keys directory.
    pub fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    /// The trust file verifiers use by default.
    pub fn trust_path(&self) -> PathBuf {
        self.keys_dir().join(crate::seal::TRUST_FILE)
    }

    /// Who issues documents.
    pub fn issuer(&self) -> Issuer {
        Issuer {
            office: self.office.clone(),
            operator: self.operator.clone(),
        }
    }
}

/// Whether a path names a file a directory walk should pick up as a scan.
pub fn is_scan_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.starts_with('.') {
        return false;
    }
    matches!(
        path.extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref(),
        Some("png" | "jpg" | "jpeg" | "tif" | "tiff" | "pdf")
    )
}

/// Expands files and directories (recursively, sorted) into the list of inputs.
/// Files named explicitly are always taken; in directories only scan files.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    let path = e.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if is_scan_file(&path) {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}
