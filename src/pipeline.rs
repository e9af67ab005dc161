//! One submission through every stage, as plain functions with no I/O of their
//! own: [`analyze`] (decode → prepare → OCR → classify → extract) and [`issue`]
//! (seal → render). The worker does the storing.

use sha2::{Digest, Sha256};

use crate::classify::{classify, Classified};
use crate::decode::{self, Budget, DecodeError, Limits};
use crate::extract::{extract, ExtractOptions};
use crate::model::{
    Format, IssuedAt, Issuer, Manifest, OcrPage, Page, Record, SourceInfo, TextSource,
    MANIFEST_FORMAT,
};
use crate::ocr::{self, OcrError, OcrOptions};
use crate::office::{Credentials, Signer};
use crate::pdf::sign::{self as pdfsign, PdfAlgorithm, PdfKey, PdfSignError};
use crate::prepare::{prepare, PrepareOptions};
use crate::qrseal::{self, QrPayload};
use crate::render::{self, FontSet, RenderError, RenderInput};
use crate::seal::{self, SealError, SignedManifest};

/// How to run the pipeline.
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    /// Input limits.
    pub limits: Limits,
    /// Page preparation steps.
    pub prepare: PrepareOptions,
    /// Tesseract settings.
    pub ocr: OcrOptions,
    /// Extraction settings.
    pub extract: ExtractOptions,
    /// Which key signs result PDFs (`pdf_signature`).
    pub pdf_signature: PdfAlgorithm,
}

/// Why a submission could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The scan could not be decoded (bad input: the job fails for good).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Tesseract failed.
    #[error(transparent)]
    Ocr(#[from] OcrError),
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The PDF signature could not be made.
    #[error("the result document cannot be signed: {0}")]
    Sign(#[from] PdfSignError),
    /// `pdf_signature = "ecdsa-p256"` but the credentials have no P-256
    /// PDF-signing key.
    #[error("the result document cannot be signed: pdf_signature is ecdsa-p256 but the office has no P-256 PDF-signing key; run `docseal keys init` (or set pdf_signature = \"ed25519\")")]
    NoPdfKey,
}

/// Everything learned from a scan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// SHA-256 of the scan bytes (the submission id).
    pub source_sha256: String,
    /// The scan's media type.
    pub media_type: &'static str,
    /// The decoded pages, each turned upright as preparation found it.
    pub pages: Vec<Page>,
    /// The clockwise quarter turns each decoded page was given (0 for a
    /// page not turned), so the pages can be rebuilt from the scan.
    pub quarter_turns: Vec<u8>,
    /// Their text, in the decoded pages' pixel coordinates.
    pub ocr: Vec<OcrPage>,
    /// The classification.
    pub classified: Classified,
    /// The record.
    pub record: Record,
}

/// The media type of a format.
pub fn media_type(format: Option<Format>) -> &'static str {
    match format {
        Some(Format::Png) => "image/png",
        Some(Format::Jpeg) => "image/jpeg",
        Some(Format::Tiff) => "image/tiff",
        Some(Format::Pdf) => "application/pdf",
        None => "application/octet-stream",
    }
}

/// Decodes, prepares, OCRs, classifies and extracts, within the budgets of
/// `options.limits` (time included: the deadline is checked before each
/// page is recognised).
pub fn analyze(bytes: &[u8], options: &PipelineOptions) -> Result<Analysis, PipelineError> {
    let budget = Budget::new(&options.limits);
    let decoded = decode::decode_within(bytes, &budget)?;
    let pages = decoded.pages;
    let mut ocr_pages = Vec::with_capacity(pages.len());
    let mut quarter_turns = vec![0u8; pages.len()];
    let mut pages = pages;
    for (number, (page, layer)) in pages.iter_mut().zip(decoded.text).enumerate() {
        budget.on_page(number + 1);
        budget.check_time().map_err(DecodeError::from)?;
        // A PDF page with trustworthy visible text is not OCRed (see decode).
        if let Some(text) = layer {
            ocr_pages.push(text);
            continue;
        }
        let prepared = prepare(page, &options.prepare);
        quarter_turns[number] = prepared.steps.quarter_turns;
        let mut text = ocr::recognize(&prepared.gray, prepared.dpi, &options.ocr)?;
        prepared.map_back(&mut text, page);
        ocr_pages.push(text);
    }
    budget.check_time().map_err(DecodeError::from)?;
    let classified = classify(&ocr_pages);
    let mut record = match classified.doc_type {
        Some(t) => extract(t, classified.confidence, &ocr_pages, &options.extract),
        None => Record::unknown(classified.confidence),
    };
    // Said in the record only when it is not the usual OCR, so a record of
    // scanned pages keeps the contract's shape.
    if ocr_pages.iter().any(|p| p.source != TextSource::Ocr) {
        record.text_sources = ocr_pages.iter().map(|p| p.source).collect();
    }
    record.round_confidences();
    Ok(Analysis {
        source_sha256: hex::encode(Sha256::digest(bytes)),
        media_type: media_type(decode::sniff(bytes)),
        pages,
        quarter_turns,
        ocr: ocr_pages,
        classified,
        record,
    })
}

/// The id of the document issued for a submission by a pipeline version:
/// `DS-` and 16 Crockford base-32 digits of a hash of both, grouped by four.
/// The same submission and version always get the same id.
pub fn document_id(submission_id: &str, pipeline_version: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut h = Sha256::new();
    h.update(b"docseal/document-id\0");
    h.update(submission_id.as_bytes());
    h.update(b"\0");
    h.update(pipeline_version.as_bytes());
    let digest = h.finalize();
    let mut bits: u128 = 0;
    for b in &digest[..10] {
        bits = (bits << 8) | u128::from(*b);
    }
    let mut out = String::from("DS");
    for i in 0..16 {
        if i % 4 == 0 {
            out.push('-');
        }
        let shift = 80 - 5 * (i + 1);
        out.push(ALPHABET[((bits >> shift) & 31) as usize] as char);
    }
    out
}

/// What is needed to issue a document, besides the analysis.
pub struct IssueContext<'a> {
    /// The issuing office and operator.
    pub issuer: &'a Issuer,
    /// Issue time (the job's first start, so retries agree).
    pub issued_at: IssuedAt,
    /// The office's signing key and certificates.
    pub credentials: &'a Credentials,
    /// Fonts for the result PDF.
    pub fonts: &'a FontSet,
    /// The pipeline version.
    pub pipeline_version: &'a str,
    /// Which key signs the PDF (the manifest and QR seal are Ed25519 either way).
    pub pdf_signature: PdfAlgorithm,
}

/// An issued document.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The signed manifest.
    pub signed: SignedManifest,
    /// The attached manifest bytes.
    pub attachment: Vec<u8>,
    /// The result PDF.
    pub pdf: Vec<u8>,
}

/// Builds the manifest of an analysis for issue.
pub fn manifest(analysis: &Analysis, ctx: &IssueContext) -> Manifest {
    let doc_type = analysis.record.doc_type_str().to_string();
    let schema_id = analysis
        .record
        .doc_type
        .map(|t| t.schema().id.clone())
        .unwrap_or_default();
    Manifest {
        format: MANIFEST_FORMAT.to_string(),
        document_id: document_id(&analysis.source_sha256, ctx.pipeline_version),
        doc_type,
        schema_id,
        record: analysis.record.clone(),
        source: SourceInfo {
            sha256: analysis.source_sha256.clone(),
            pages: analysis.pages.len() as u32,
            media_type: analysis.media_type.to_string(),
        },
        pipeline_version: ctx.pipeline_version.to_string(),
        issuer: ctx.issuer.clone(),
        issued_at: ctx.issued_at,
        key_id: ctx.credentials.signer.key_id().to_string(),
        review: None,
    }
}

/// The QR seal of a manifest: the signed record in compact form, or `None`
/// when the record is too large for a printable QR code (the PDF signature and
/// the attached manifest still cover it).
pub fn qr_seal(m: &Manifest, signer: &Signer) -> Option<String> {
    let mut sha = [0u8; 32];
    hex::decode_to_slice(&m.source.sha256, &mut sha).ok()?;
    let payload = QrPayload {
        document_id: m.document_id.clone(),
        doc_type: m.doc_type.clone(),
        fields: m.record.fields.clone(),
        source_sha256: sha,
        key_id: m.key_id.clone(),
        issued_at: m.issued_at,
    };
    let text = qrseal::encode(&payload, signer).ok()?;
    qrseal::qr_modules(&text).ok().map(|_| text)
}

/// Seals, renders and signs a result document. Deterministic: the same
/// analysis and context give byte-identical output.
pub fn issue(analysis: &Analysis, ctx: &IssueContext) -> Result<Issued, PipelineError> {
    issue_manifest(analysis, manifest(analysis, ctx), ctx)
}

/// Seals, renders and signs a result document for a manifest made by
/// [`manifest`] (and possibly completed, e.g. with a person's approval).
/// Deterministic like [`issue`].
pub fn issue_manifest(
    analysis: &Analysis,
    manifest: Manifest,
    ctx: &IssueContext,
) -> Result<Issued, PipelineError> {
    let creds = ctx.credentials;
    let (signed, attachment) = seal::seal(manifest, &creds.signer)?;
    let qr = qr_seal(&signed.manifest, &creds.signer);
    if qr.is_none() {
        tracing::warn!(document_id = %signed.manifest.document_id, "The record is too large for a QR seal; issuing without one.");
    }
    let trust = creds
        .trust
        .to_json()
        .map_err(|e| RenderError::Snapshot(e.to_string()))?;
    let pdf = render::render(
        &RenderInput {
            pages: &analysis.pages,
            ocr: &analysis.ocr,
            manifest: &signed.manifest,
            attachment: &attachment,
            qr: qr.as_deref(),
            trust: Some(&trust),
        },
        ctx.fonts,
    )?;
    let (key, cert, root) = match ctx.pdf_signature {
        PdfAlgorithm::Ed25519 => (PdfKey::Ed25519(&creds.signer), &creds.cert, &creds.root),
        PdfAlgorithm::EcdsaP256 => {
            let p = creds.pdf.as_ref().ok_or(PipelineError::NoPdfKey)?;
            (PdfKey::P256(p.signer.signing_key()), &p.cert, &p.root)
        }
    };
    let pdf = pdfsign::sign_pdf_with(
        &pdf,
        key,
        cert,
        root,
        ctx.issued_at.unix_seconds(),
        "Bản điện tử chuyển đổi từ bản giấy / Electronic copy converted from a paper original",
        &signed.manifest.issuer.office,
    )?;
    Ok(Issued {
        signed,
        attachment,
        pdf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_are_stable_and_distinct() {
        let a = document_id("abc", "docseal/0.1.0");
        assert_eq!(a, document_id("abc", "docseal/0.1.0"));
        assert_ne!(a, document_id("abd", "docseal/0.1.0"));
        assert_ne!(a, document_id("abc", "docseal/0.2.0"));
        assert_eq!(a.len(), "DS-XXXX-XXXX-XXXX-XXXX".len());
        assert!(a.starts_with("DS-"));
    }
}
