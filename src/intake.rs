//! Taking in a scan: its bytes stored first, under their SHA-256, then its
//! job queued; shared by `docseal submit` and the service's upload.

use crate::pipeline;
use crate::queue::{Jobs, NewSubmission, QueueError, Submitted};
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
