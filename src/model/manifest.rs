//! The manifest of an issued document: what its signature asserts (the
//! record, the original scan, the pipeline version, the issuer, the issue
//! time and the signing key).

use serde::{Deserialize, Serialize};

use crate::model::{IssuedAt, Record};

/// Who issued a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// The issuing office, e.g. `UBND phường Bến Nghé, TP. Hồ Chí Minh`.
    pub office: String,
    /// The operator who ran the conversion.
    pub operator: String,
}

/// The original scan a document was converted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// SHA-256 of the scan bytes, lower-case hex.
    pub sha256: String,
    /// Pages in the scan.
    pub pages: u32,
    /// The scan's media type, e.g. `image/tiff`.
    pub media_type: String,
}

/// What an issued document asserts; signed as its RFC 8785 canonical bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format, `docseal-manifest/1`.
    pub format: String,
    /// The document id.
    pub document_id: String,
    /// The document type id.
    pub doc_type: String,
    /// The `$id` of the schema the record was validated against.
    pub schema_id: String,
    /// The record.
    pub record: Record,
    /// The original scan.
    pub source: SourceInfo,
    /// The pipeline version that produced the record.
    pub pipeline_version: String,
    /// Who issued it.
    pub issuer: Issuer,
    /// When, written as RFC 3339 in UTC (`2024-07-05T09:30:00Z`).
    pub issued_at: IssuedAt,
    /// The id of the signing key.
    pub key_id: String,
    /// The person who approved the record, when a person did; absent from
    /// a document issued without review (and from every manifest written
    /// before approval existed, which still verify byte for byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ManifestReview>,
    /// The dossier, procedure and result code, when the submission was given
    /// a dossier code; absent otherwise (and from older manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<crate::dossier::DossierResult>,
    /// The certificate page's layout: absent for the first one (QR seal at
    /// the bottom right), [`LAYOUT_QR_TOP_LEFT`] for the QR seal at the top left
    /// with the issuing system and the lookup id beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<u32>,
}

/// The certificate layout with the QR seal at the top left (Vietnam's
/// convention for an electronic result), written by this version.
pub const LAYOUT_QR_TOP_LEFT: u32 = 2;

/// A person's approval of a record that went to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestReview {
    /// Who approved.
    pub approved_by: String,
    /// When the approval was recorded (also the document's issue time).
    pub approved_at: IssuedAt,
    /// Fields whose value the person changed, sorted.
    pub corrected: Vec<String>,
    /// Fields up for review whose value the person kept, sorted.
    pub confirmed: Vec<String>,
}

/// The manifest format this version writes.
pub const MANIFEST_FORMAT: &str = "docseal-manifest/1";
