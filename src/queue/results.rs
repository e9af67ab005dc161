//! Result codes (`<dossier code>-KQ<n>`), written once as SQL both databases
//! run: table `result_codes`, one row per document, `UNIQUE (dossier_code,
//! n)`. A document's number is assigned before it is rendered and never
//! changes, so a retried job rebuilds the same bytes.

use super::sql::{Backend, Db, Fields as _, Stmt};
use super::{QueueError, ResultCodes};
use crate::dossier::{result_code, DossierResult, MAX_RESULT_NUMBER};

/// How often an assignment that lost a race for the same number is tried
/// again (each round, one of the racers wins).
const ATTEMPTS: usize = 32;

impl<B: Backend> ResultCodes for B {
    async fn result_for(
        &self,
        document_id: &str,
        submission_id: &str,
    ) -> Result<Option<DossierResult>, QueueError> {
        let db = self.db();
        let mut last = None;
        for _ in 0..ATTEMPTS {
            // One statement: the number is the dossier's largest plus one, taken
            // from the submission's facts as they stand now; a document that
            // has its row keeps it. SQLite holds its write lock for the whole
            // statement; two PostgreSQL transactions racing for one number
            // meet the UNIQUE constraint and the loser tries again.
            let assign = Stmt::new(
                "INSERT INTO result_codes (document_id, dossier_code, procedure_code, n)
                 SELECT $1, m.dossier_code, m.procedure_code,
                        COALESCE((SELECT MAX(r.n) FROM result_codes r
                                  WHERE r.dossier_code = m.dossier_code), 0) + 1
                 FROM submission_meta m
                 WHERE m.submission_id = $2 AND m.dossier_code IS NOT NULL
                 ON CONFLICT (document_id) DO NOTHING",
            )
            .text(document_id)
            .text(submission_id);
            let mut tx = db.begin().await?;
            match db.execute(Some(&mut tx), assign).await {
                Ok(()) => {
                    B::Db::commit(tx).await?;
                    last = None;
                    break;
                }
                Err(e) => {
                    drop(tx);
                    last = Some(e);
                }
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        self.result_code(document_id).await
    }

    async fn result_code(&self, document_id: &str) -> Result<Option<DossierResult>, QueueError> {
        let row = Stmt::new(
            "SELECT dossier_code, procedure_code, n FROM result_codes WHERE document_id = $1",
        )
        .text(document_id);
        let Some(row) = self.db().fetch_optional(None, row).await? else {
            return Ok(None);
        };
        let dossier_code = row.text("dossier_code")?;
        let n = row.int("n")?;
        let n = u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_RESULT_NUMBER).contains(n))
            .ok_or_else(|| {
                QueueError::Corrupt(format!(
                    "result number {n} of dossier {dossier_code} is out of range (1 to {MAX_RESULT_NUMBER})"
                ))
            })?;
        Ok(Some(DossierResult {
            result_code: result_code(&dossier_code, n),
            procedure_code: row.maybe_text("procedure_code")?,
            dossier_code,
        }))
    }
}
