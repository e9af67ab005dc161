//! Taking in a scan: its bytes stored first, under their SHA-256, then its
//! job queued; shared by `docseal submit` and the service's upload. A
//! multi-document scan can instead be split ([`take_in_split`], see
//! [`crate::split`]): its bytes are stored as they came, and each document
//! becomes a submission of its own, linked to the scan and its page range.

use std::sync::Arc;

use crate::pipeline::{self, PipelineOptions};
use crate::queue::{Intake, Jobs, NewSubmission, QueueError, Reviews, SubmissionPart, Submitted};
use crate::split::{self, SplitError};
use crate::store::{sha256_hex, ObjectKind, ObjectStore, StoreError};

/// Why a scan could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The scan could not be stored.
    #[error("cannot store the scan: {0}")]
    Store(#[from] StoreError),
    /// Its job could not be queued.
    #[error("cannot queue the submission: {0}")]
    Queue(#[from] QueueError),
    /// The scan could not be split into its documents.
    #[error("cannot split the scan into documents: {0}")]
    Split(#[from] SplitError),
    /// The splitting thread stopped.
    #[error("cannot split the scan into documents: {0}")]
    Task(String),
}

/// A scan taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenIn {
    /// The submission id (SHA-256 of the bytes).
    pub id: String,
    /// Its sniffed media type.
    pub media_type: &'static str,
    /// What the queue did.
    pub submitted: Submitted,
}

/// Stores `bytes` (named `name`) and queues their job for this pipeline
/// version; the same bytes again change nothing unless `force`.
pub async fn take_in<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    name: &str,
    bytes: Vec<u8>,
    force: bool,
) -> Result<TakenIn, IntakeError> {
    let id = sha256_hex(&bytes);
    take_in_hashed(queue, store, name, bytes, id, force).await
}

/// [`take_in`] for bytes whose SHA-256 (`id`, lower-case hex) was computed
/// while they were read.
pub async fn take_in_hashed<Q: Jobs, S: ObjectStore>(
    queue: &Q,
    store: &S,
    name: &str,
    bytes: Vec<u8>,
    id: String,
    force: bool,
) -> Result<TakenIn, IntakeError> {
    let media_type = pipeline::media_type(crate::decode::sniff(&bytes));
    let scan_key = ObjectKind::Scan.key_for_sha256(&id);
    let size = bytes.len() as u64;
    store.put(&scan_key, bytes).await?;
    let sub = NewSubmission {
        id: id.clone(),
        name: name.to_string(),
        size,
        media_type: media_type.to_string(),
        scan_key,
    };
    let submitted = queue.submit(&sub, crate::pipeline_version(), force).await?;
    Ok(TakenIn {
        id,
        media_type,
        submitted,
    })
}

/// What is known of a scan before its job is queued (an archive's CSV line,
/// the codes given at submission). [`Known::record`] writes it on each
/// submission the scan gives before that submission's job is queued, so a
/// worker never issues a document without its dossier code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// The dossier code, validated.
    pub dossier_code: Option<String>,
    /// The procedure code, validated.
    pub procedure_code: Option<String>,
    /// When the paper was received, Unix ms.
    pub received_at_ms: Option<i64>,
}

impl Known {
    /// Records what is known on submission `id`: the codes given replace
    /// those recorded; a separator sheet's dossier code (`separator`) fills
    /// only a missing one. Idempotent.
    pub async fn record<Q: Intake + Reviews>(
        &self,
        queue: &Q,
        id: &str,
        separator: Option<&str>,
    ) -> Result<(), QueueError> {
        let before = queue.meta(id).await?;
        let mut meta = before.clone();
        if let Some(code) = &self.dossier_code {
            meta.dossier_code = Some(code.clone());
        }
        if let Some(code) = &self.procedure_code {
            meta.procedure_code = Some(code.clone());
        }
        if meta.dossier_code.is_none() {
            meta.dossier_code = separator.map(str::to_string);
        }
        if meta != before {
            queue.set_meta(id, &meta).await?;
        }
        if let Some(at) = self.received_at_ms {
            queue.set_received(id, at).await?;
        }
        Ok(())
    }
}

/// What [`take_in_split`] did with a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitTakenIn {
    /// The scan holds one document: taken in whole, as [`take_in`] does.
    Whole(TakenIn),
    /// The scan was split; its parts by first page (known already when the
    /// scan was split before).
    Parts {
        /// The scan (the SHA-256 of its bytes).
        source_id: String,
        /// Its parts.
        parts: Vec<SubmissionPart>,
    },
}

/// Splits a multi-document scan into its documents (see [`crate::split`])
/// and takes each in as a submission of its own, linked to the scan and its
/// page range; a scan of one document is taken in whole.
///
/// Crash-safe and idempotent: the scan's bytes are stored first; each part's
/// id is the SHA-256 of its bytes, which the same scan always gives again,
/// so a retry stores and queues the same parts; the links are recorded last,
/// all in one statement, and a scan with links recorded is not split again.
/// What is `known` of the scan is recorded on each submission before its job
/// is queued; a separator's dossier code is set on its parts unless they have
/// one, and only when it is a valid dossier code (a code refused is logged,
/// naming the scan and the pages).
pub async fn take_in_split<Q: Jobs + Intake + Reviews, S: ObjectStore>(
    queue: &Q,
    store: &S,
    name: &str,
    bytes: Vec<u8>,
    options: &PipelineOptions,
    known: &Known,
    force: bool,
) -> Result<SplitTakenIn, IntakeError> {
    let source_id = sha256_hex(&bytes);
    let recorded = queue.parts_of(&source_id).await?;
    if !recorded.is_empty() {
        return Ok(SplitTakenIn::Parts {
            source_id,
            parts: recorded,
        });
    }
    let bytes = Arc::new(bytes);
    let roles = {
        let (bytes, options) = (Arc::clone(&bytes), options.clone());
        tokio::task::spawn_blocking(move || split::roles(&bytes, &options))
            .await
            .map_err(|e| IntakeError::Task(e.to_string()))??
    };
    let planned = split::plan(&roles);
    let pages = u32::try_from(roles.len()).ok();
    let whole = match planned.as_slice() {
        [] => true,
        [one] => one.first_page == 1 && Some(one.last_page) == pages,
        _ => false,
    };
    if whole {
        let bytes = Arc::try_unwrap(bytes).unwrap_or_else(|b| b.as_ref().clone());
        let separator = planned.first().and_then(|p| valid_separator_code(name, p));
        known
            .record(queue, &source_id, separator.as_deref())
            .await?;
        let taken = take_in_hashed(queue, store, name, bytes, source_id, force).await?;
        return Ok(SplitTakenIn::Whole(taken));
    }
    store
        .put(
            &ObjectKind::Scan.key_for_sha256(&source_id),
            bytes.as_ref().clone(),
        )
        .await?;
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let mut parts = Vec::with_capacity(planned.len());
    for p in &planned {
        let part = {
            let (bytes, options) = (Arc::clone(&bytes), options.clone());
            let (first, last) = (p.first_page, p.last_page);
            tokio::task::spawn_blocking(move || split::part_bytes(&bytes, first, last, &options))
                .await
                .map_err(|e| IntakeError::Task(e.to_string()))??
        };
        let part_name = format!("{stem}.p{}-{}.pdf", p.first_page, p.last_page);
        let part_id = sha256_hex(&part);
        let separator = valid_separator_code(name, p);
        known.record(queue, &part_id, separator.as_deref()).await?;
        let taken = take_in_hashed(queue, store, &part_name, part, part_id, force).await?;
        parts.push(SubmissionPart {
            source_id: source_id.clone(),
            first_page: p.first_page,
            last_page: p.last_page,
            part_id: taken.id,
        });
    }
    queue.add_parts(&parts).await?;
    Ok(SplitTakenIn::Parts { source_id, parts })
}

/// The dossier code a separator sheet gave a planned part, when it is a
/// valid one; a code refused is logged with the scan's name and the pages.
fn valid_separator_code(name: &str, part: &split::PlannedPart) -> Option<String> {
    let code = part.dossier_code.as_deref()?;
    match crate::dossier::dossier_code(code) {
        Ok(code) => Some(code),
        Err(e) => {
            tracing::warn!(
                "{name}: pages {}-{}: the separator sheet's dossier code is not used: {e}",
                part.first_page,
                part.last_page
            );
            None
        }
    }
}
