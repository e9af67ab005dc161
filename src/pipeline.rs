//! One submission through every stage, as plain functions with no I/O of their
//! own: [`analyze`] (decode → prepare → OCR → classify → extract) and [`issue`]
//! (seal → render). The worker does the storing.

use sha2::{Digest, Sha256};

use crate::classify::{classify, Classified};
use crate::decode::{self, Budget, DecodeError, Limits};
use crate::extract::{extract, ExtractOptions};
use crate::model::{
    Format, IssuedAt, Issuer, Manifest, OcrPage, Page, Record, SourceInfo, TextSource,
    LAYOUT_QR_TOP_LEFT, MANIFEST_FORMAT,
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
    // Fields in review for doubt about their reading are read once more.
    crate::reread::reread(
        &mut record,
        &pages,
        &ocr_pages,
        &options.ocr,
        &options.extract,
    )?;
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
        dossier: None,
        layout: Some(LAYOUT_QR_TOP_LEFT),
    }
}

/// The QR seal of a manifest: the signed record in compact form with, for a
/// manifest of the top-left layout, Vietnam's fields ([`qr_payload`]). When
/// the record's fields make the code larger than version 25 at level M, the
/// seal carries no fields (they stay in the PDF and behind the online lookup);
/// `None` only when even that does not fit.
pub fn qr_seal(m: &Manifest, signer: &Signer) -> Option<String> {
    [true, false].into_iter().find_map(|full| {
        let text = qrseal::encode(&qr_payload(m, full)?, signer).ok()?;
        qrseal::qr_modules(&text).ok().map(|_| text)
    })
}

/// The QR payload of a manifest: with the record's fields when `full`, and
/// with Vietnam's fields ([`crate::dossier::qr_conventions`]) when the
/// manifest's certificate has the QR seal at the top left.
pub fn qr_payload(m: &Manifest, full: bool) -> Option<QrPayload> {
    let mut sha = [0u8; 32];
    hex::decode_to_slice(&m.source.sha256, &mut sha).ok()?;
    Some(QrPayload {
        document_id: m.document_id.clone(),
        doc_type: m.doc_type.clone(),
        fields: if full {
            m.record.fields.clone()
        } else {
            Default::default()
        },
        source_sha256: sha,
        key_id: m.key_id.clone(),
        issued_at: m.issued_at,
        conventions: m
            .layout
            .is_some()
            .then(|| crate::dossier::qr_conventions(m)),
    })
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
    use crate::dossier::{DossierResult, MAX_DOSSIER_CODE, MAX_PROCEDURE_CODE, MAX_RESULT_NUMBER};
    use crate::schema::DocType;

    /// A manifest of `doc_type` whose every field holds `value` (with the
    /// field's number, so no two are alike), with the longest codes and office
    /// the QR seal can carry.
    fn worst_case(doc_type: DocType, value: &str) -> Manifest {
        let mut record = Record::unknown(1.0);
        record.doc_type = Some(doc_type);
        for (i, f) in doc_type.schema().fields.iter().enumerate() {
            let v = if f.form == crate::schema::Form::Id12 {
                "079324012345".to_string()
            } else {
                format!("{i} {value}")
            };
            record
                .fields
                .insert(f.name.clone(), serde_json::Value::String(v));
        }
        let long_dossier: String = "000.00.12.H29-250701-123456"
            .chars()
            .chain(std::iter::repeat('9'))
            .take(MAX_DOSSIER_CODE)
            .collect();
        Manifest {
            format: MANIFEST_FORMAT.into(),
            document_id: "DS-7K3M-Q9PX-2HWD-R4TB".into(),
            doc_type: doc_type.as_str().into(),
            schema_id: doc_type.schema().id.clone(),
            record,
            source: SourceInfo {
                sha256: "a5".repeat(32),
                pages: 1,
                media_type: "image/png".into(),
            },
            pipeline_version: "docseal/0.1.0".into(),
            issuer: Issuer {
                office: "Ủy ban nhân dân phường Bến Nghé, quận Một, Thành phố Hồ Chí Minh "
                    .repeat(5),
                operator: "Trần Thị Hường".into(),
            },
            issued_at: IssuedAt::from_unix_seconds(1_751_337_000),
            key_id: "ubnd-ben-nghe-2025-xxxxxxxx".into(),
            review: None,
            dossier: Some(DossierResult {
                result_code: crate::dossier::result_code(&long_dossier, MAX_RESULT_NUMBER),
                dossier_code: long_dossier,
                procedure_code: Some(
                    "1.004227.000.00.00.H29"
                        .chars()
                        .chain(std::iter::repeat('9'))
                        .take(MAX_PROCEDURE_CODE)
                        .collect(),
                ),
            }),
            layout: Some(LAYOUT_QR_TOP_LEFT),
        }
    }

    #[test]
    fn the_qr_seal_fits_version_25_at_the_longest_fields() {
        let signer = Signer::from_secret(&[3u8; 32]);
        // Values that hardly compress: 300 pseudo-random Vietnamese letters.
        let mut x = 12345u32;
        let noise: String = (0..300)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                char::from_u32(0x1EA0 + (x >> 16) % 90).unwrap_or('x')
            })
            .collect();
        let mut worst = 0;
        for t in DocType::ALL {
            let m = worst_case(t, &noise);
            let full = qrseal::encode(&qr_payload(&m, true).unwrap(), &signer).unwrap();
            assert!(
                qrseal::qr_version(&full).is_err(),
                "{t:?}: the full record is too large"
            );
            let text = qr_seal(&m, &signer).expect("the compact seal always fits");
            let decoded = qrseal::decode(&text).unwrap().payload;
            assert!(decoded.fields.is_empty(), "{t:?}: compact");
            let c = decoded.conventions.unwrap();
            let has_id = t
                .schema()
                .fields
                .iter()
                .any(|f| f.form == crate::schema::Form::Id12);
            assert_eq!(c.holder_id.is_some(), has_id, "{t:?}");
            assert!(c.result_code.unwrap().ends_with("-KQ9999"));
            let v = qrseal::qr_version(&text).unwrap();
            worst = worst.max(v);
        }
        assert!(worst <= qrseal::MAX_VERSION, "version {worst}");
        eprintln!("worst-case compact QR seal: version {worst}");

        // A usual record keeps its fields in the seal, with Vietnam's fields.
        let m = worst_case(
            DocType::CitizenId,
            "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        );
        let text = qr_seal(&m, &signer).unwrap();
        let p = qrseal::decode(&text).unwrap().payload;
        assert_eq!(p.fields.len(), m.record.fields.len());
        assert!(qrseal::qr_version(&text).unwrap() <= qrseal::MAX_VERSION);
        // An old seal (no layout) carries no conventions.
        let mut old = m.clone();
        old.layout = None;
        assert_eq!(qr_payload(&old, true).unwrap().conventions, None);
    }

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
