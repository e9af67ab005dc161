//! The dossier and procedure codes given with scans at submission (`submit`,
//! `run`): `--dossier-code`/`--procedure-code` for every scan given, or
//! `--meta FILE.csv` (columns `file,dossier_code,procedure_code`) per scan,
//! validated by [`crate::dossier`] before anything is submitted.

use std::path::{Path, PathBuf};

use crate::dossier::{self, CsvLine};
use crate::queue::{QueueError, Reviews, SubmissionMeta};

/// The flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DossierArgs {
    /// Dossier code (mã hồ sơ) of the scans given, e.g. 000.00.12.H29-250701-0001;
    /// a document issued for one gets the result code `<dossier code>-KQ<n>`.
    #[arg(long, value_name = "CODE")]
    dossier_code: Option<String>,
    /// Procedure code (mã thủ tục) of the scans given, e.g. 1.004227.
    #[arg(long, value_name = "CODE")]
    procedure_code: Option<String>,
    /// A CSV of codes per scan: a header `file,dossier_code,procedure_code`,
    /// then one line per scan (`file`: its path as given, or its file name);
    /// a code left empty there falls back to the flag's.
    #[arg(long, value_name = "FILE.csv")]
    meta: Option<PathBuf>,
}

/// The codes to record, validated.
#[derive(Debug, Clone, Default)]
pub struct DossierMeta {
    dossier_code: Option<String>,
    procedure_code: Option<String>,
    lines: Vec<CsvLine>,
}

impl DossierArgs {
    /// Validates the flags and reads the CSV; an error names the flag or the
    /// file, line and column.
    pub fn load(&self) -> Result<DossierMeta, String> {
        let dossier_code = self
            .dossier_code
            .as_deref()
            .map(dossier::dossier_code)
            .transpose()
            .map_err(|e| format!("--dossier-code: {e}"))?;
        let procedure_code = self
            .procedure_code
            .as_deref()
            .map(dossier::procedure_code)
            .transpose()
            .map_err(|e| format!("--procedure-code: {e}"))?;
        let lines = match &self.meta {
            None => Vec::new(),
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--meta {name}: cannot read the file: {e}"))?;
                dossier::parse_csv(&name, &text)?
            }
        };
        Ok(DossierMeta {
            dossier_code,
            procedure_code,
            lines,
        })
    }
}

impl DossierMeta {
    /// The codes of one input, `None` when it has none.
    pub fn for_path(&self, path: &Path) -> Option<(Option<String>, Option<String>)> {
        let line = self
            .lines
            .iter()
            .find(|l| path == Path::new(&l.file) || path.ends_with(&l.file));
        let dossier_code = line
            .and_then(|l| l.dossier_code.clone())
            .or_else(|| self.dossier_code.clone());
        let procedure_code = line
            .and_then(|l| l.procedure_code.clone())
            .or_else(|| self.procedure_code.clone());
        (dossier_code.is_some() || procedure_code.is_some())
            .then_some((dossier_code, procedure_code))
    }

    /// The CSV's lines that name none of `inputs`.
    pub fn unmatched<'a>(&'a self, inputs: &[PathBuf]) -> Vec<&'a str> {
        self.lines
            .iter()
            .filter(|l| {
                !inputs
                    .iter()
                    .any(|p| p == Path::new(&l.file) || p.ends_with(&l.file))
            })
            .map(|l| l.file.as_str())
            .collect()
    }

    /// Records the codes of `path` on its submission (the SHA-256 of its
    /// bytes) before it is queued, so a worker never takes it without them;
    /// keeps what else was said of it (the operator).
    pub async fn record<Q: Reviews>(&self, queue: &Q, path: &Path) -> Result<(), String> {
        let Some((dossier_code, procedure_code)) = self.for_path(path) else {
            return Ok(());
        };
        let source = path.display().to_string();
        let submission_id = submission_id_of(path).await?;
        self.set(queue, &submission_id, dossier_code, procedure_code)
            .await
            .map_err(|e| format!("{source}: cannot record its dossier code: {e}"))
    }

    async fn set<Q: Reviews>(
        &self,
        queue: &Q,
        submission_id: &str,
        dossier_code: Option<String>,
        procedure_code: Option<String>,
    ) -> Result<(), QueueError> {
        let before = queue.meta(submission_id).await?;
        let meta = SubmissionMeta {
            dossier_code,
            procedure_code,
            ..before.clone()
        };
        if meta != before {
            queue.set_meta(submission_id, &meta).await?;
        }
        Ok(())
    }
}

/// The submission id a scan file will have (the SHA-256 of its bytes),
/// read on a blocking thread; the error names the file.
pub async fn submission_id_of(path: &Path) -> Result<String, String> {
    let source = path.display().to_string();
    let read = path.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(read))
        .await
        .map_err(|e| format!("{source}: cannot read the file: {e}"))?
        .map_err(|e| format!("{source}: cannot read the file: {e}"))?;
    Ok(crate::store::sha256_hex(&bytes))
}
