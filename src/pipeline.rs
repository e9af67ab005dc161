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
use crate::ocr::{self, OcrError, OcrOptions, Reading};
use crate::office::{Credentials, Signer};
use crate::pdf::sign::{self as pdfsign, PdfAlgorithm, PdfKey, PdfSignError};
use crate::prepare::{prepare, OrientedBy, PrepareOptions, Prepared, Steps};
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
    /// What preparation did to each page, and what decided its orientation
    /// (`None` for a page whose text came from a PDF text layer).
    pub prepare_steps: Vec<Option<Steps>>,
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
    let mut prepare_steps = vec![None; pages.len()];
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
        let (prepared, mut text) = recognize_upright(page, prepared, &options.ocr)?;
        quarter_turns[number] = prepared.steps.quarter_turns;
        prepared.map_back(&mut text, page);
        prepare_steps[number] = Some(prepared.steps);
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
        prepare_steps,
        ocr: ocr_pages,
        classified,
        record,
    })
}

/// How much better, as a factor of its [`Reading::score`], another
/// orientation must read to replace the one the geometry chose.
const BETTER_READING_FACTOR: f32 = 1.5;
/// And by how many letters at least, so that a page with hardly any text is
/// not turned on a few stray fragments.
const BETTER_READING_LETTERS: f32 = 20.0;

/// Recognises a prepared page, confirming its orientation by the reading
/// when the geometry left it in doubt or the reading is poor ([`Reading`]):
/// then the other orientations in doubt
/// ([`Prepared::orientation_alternatives`]; all of them when the reading is
/// poor) are read too, and one that reads clearly better is kept, with
/// `page` turned to match it. A page is recognised once when the geometry
/// settled its orientation and it reads well, or when its reading confirms
/// the orientation by itself ([`Reading::confirms`]).
/// The text returned is in the returned preparation's pixels (see
/// [`Prepared::map_back`]).
pub fn recognize_upright(
    page: &mut Page,
    prepared: Prepared,
    options: &OcrOptions,
) -> Result<(Prepared, OcrPage), OcrError> {
    let text = ocr::recognize(&prepared.gray, prepared.dpi, options)?;
    let reading = Reading::of(&text);
    let alternatives = if reading.confirms() {
        Vec::new()
    } else {
        prepared.orientation_alternatives(reading.poor())
    };
    if alternatives.is_empty() {
        return Ok((prepared, text));
    }
    let mut best: Option<(u8, Prepared, OcrPage, Reading)> = None;
    for quarters in alternatives {
        let turned = prepared.turned(quarters);
        let t = ocr::recognize(&turned.gray, turned.dpi, options)?;
        let r = Reading::of(&t);
        let bar = best.as_ref().map_or(reading, |b| b.3);
        if r.score > bar.score * BETTER_READING_FACTOR + BETTER_READING_LETTERS {
            let good = !r.poor();
            best = Some((quarters, turned, t, r));
            if good {
                break;
            }
        }
    }
    Ok(match best {
        Some((quarters, mut turned, t, _)) => {
            page.turn(quarters);
            turned.steps.oriented_by = Some(OrientedBy::Ocr);
            (turned, t)
        }
        None => {
            let mut prepared = prepared;
            prepared.steps.oriented_by = Some(OrientedBy::Ocr);
            (prepared, text)
        }
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
    use image::DynamicImage;

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

    /// The first page of a clean generated scan of `seed`, as scanned
    /// (upright) and its bytes.
    fn generated(seed: u64) -> (Page, Vec<u8>) {
        let (bytes, _) = crate::samples::one_clean_scan(seed);
        let page = decode::decode(&bytes, &Limits::default())
            .expect("decodes")
            .remove(0);
        (page, bytes)
    }

    /// The top half of `page` as a bilevel fax-like scan: thresholded, with
    /// dark specks scattered over it, and no resolution stated.
    fn speckled_bilevel(page: &Page) -> image::GrayImage {
        let gray = page.image.to_luma8();
        let (w, h) = (gray.width(), gray.height() / 2);
        let mut out = image::GrayImage::from_fn(w, h, |x, y| {
            image::Luma([if gray.get_pixel(x, y).0[0] < 128 {
                0
            } else {
                255
            }])
        });
        let mut x = 2_463_534_242u64;
        let mut next = |n: u32| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % u64::from(n)) as u32
        };
        for _ in 0..(w * h / 2000) {
            let (cx, cy, r) = (next(w - 4), next(h - 4), 1 + next(2));
            for dy in 0..r {
                for dx in 0..r {
                    out.put_pixel(cx + dx, cy + dy, image::Luma([0]));
                }
            }
        }
        out
    }

    #[test]
    fn the_reading_turns_a_page_the_geometry_got_wrong_or_could_not_tell() {
        use crate::prepare::OrientationEvidence;
        let (page, _) = generated(5);
        let upright = speckled_bilevel(&page);
        let options = OcrOptions::default();
        // (how the page was scanned, the turns the geometry chose, what it
        // made of the evidence)
        let undecided = None;
        let upside_down_unclear = Some(OrientationEvidence {
            lines: 1.0,
            upright: Some(0.1),
        });
        let lines_unclear = Some(OrientationEvidence {
            lines: 0.1,
            upright: Some(0.8),
        });
        for (scanned, chosen, evidence) in [
            (1u8, 0u8, undecided),
            (2, 0, upside_down_unclear),
            (0, 1, lines_unclear),
        ] {
            let mut page = Page {
                image: DynamicImage::ImageLuma8(
                    crate::raster::turn_image(DynamicImage::ImageLuma8(upright.clone()), scanned)
                        .to_luma8(),
                ),
                dpi: None,
                original: None,
            };
            // The geometry's decision, as it might have gone on a scan
            // whose evidence was ambiguous.
            let mut prepared = prepare(
                &mut page,
                &PrepareOptions::default().skip(crate::prepare::Step::Orient),
            );
            if chosen != 0 {
                prepared = prepared.turned(chosen);
                page.turn(chosen);
            }
            prepared.steps.oriented_by = Some(OrientedBy::Geometry);
            prepared.steps.orientation_evidence = evidence;
            let geometry =
                Reading::of(&ocr::recognize(&prepared.gray, prepared.dpi, &options).expect("ocr"));
            let (prepared, mut text) =
                recognize_upright(&mut page, prepared, &options).expect("ocr");
            let case = format!("scanned {scanned}, chosen {chosen}");
            assert_eq!(prepared.steps.quarter_turns, (4 - scanned) % 4, "{case}");
            assert_eq!(prepared.steps.oriented_by, Some(OrientedBy::Ocr), "{case}");
            // The page itself is upright again, pixel for pixel.
            assert_eq!(page.image.to_luma8(), upright, "{case}");
            // And its text reads, with boxes on the page.
            let reading = Reading::of(&text);
            assert!(!reading.poor(), "{case}: {reading:?}");
            assert!(
                reading.score > geometry.score * 2.0,
                "{case}: {reading:?} {geometry:?}"
            );
            prepared.map_back(&mut text, &page);
            let words: Vec<_> = text.lines.iter().flat_map(|l| &l.words).collect();
            assert!(words
                .iter()
                .all(|w| w.bbox.x1 <= upright.width() && w.bbox.y1 <= upright.height()));
            let all = text.text().to_lowercase();
            assert!(all.contains("khai sinh"), "{case}: {all}");
        }
    }

    #[test]
    fn an_upright_page_that_reads_well_is_recognized_once() {
        let (page, bytes) = generated(5);
        for (name, scan) in [
            ("as generated", bytes),
            ("bilevel with specks", {
                let mut png = Vec::new();
                speckled_bilevel(&page)
                    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                    .expect("png");
                png
            }),
        ] {
            let before = ocr::pages_recognized();
            let a = analyze(&scan, &PipelineOptions::default()).expect("analysis");
            assert_eq!(
                ocr::pages_recognized() - before,
                a.pages.len() as u64,
                "{name}"
            );
            let steps = a.prepare_steps[0].as_ref().expect("an OCRed page");
            assert_eq!(steps.oriented_by, Some(OrientedBy::Geometry), "{name}");
            assert_eq!(steps.quarter_turns, 0, "{name}");
            assert!(
                steps.orientation_evidence.is_some_and(|e| e.clear()),
                "{name}"
            );
        }
        // Where the geometry could not tell, a reading that confirms the
        // orientation is not repeated either.
        let mut upright = Page {
            image: DynamicImage::ImageLuma8(speckled_bilevel(&page)),
            dpi: None,
            original: None,
        };
        let mut prepared = prepare(&mut upright, &PrepareOptions::default());
        assert_eq!(prepared.steps.quarter_turns, 0);
        prepared.steps.orientation_evidence = None;
        let before = ocr::pages_recognized();
        let (prepared, text) =
            recognize_upright(&mut upright, prepared, &OcrOptions::default()).expect("ocr");
        assert_eq!(ocr::pages_recognized() - before, 1);
        assert!(Reading::of(&text).confirms());
        assert_eq!(prepared.steps.quarter_turns, 0);
    }

    /// A number from the environment, or `default`.
    fn env_or(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    #[test]
    #[ignore = "survey: prints how orientation by evidence does on many pages (SURVEY_SEED, SURVEY_COUNT, SURVEY_ALL=1 to read every orientation)"]
    fn survey_orientation_by_evidence() {
        use crate::decode::decode;
        use crate::samples::degraded_scans;
        let (seed, count) = (env_or("SURVEY_SEED", 99), env_or("SURVEY_COUNT", 60));
        let all = env_or("SURVEY_ALL", 0) == 1;
        // SURVEY_UNDECIDED=1: the geometry's decision is dropped, as if it
        // could not tell, so the reading alone orients each page.
        let undecided = env_or("SURVEY_UNDECIDED", 0) == 1;
        let dir = tempfile::tempdir().expect("temp dir");
        let options = OcrOptions::default();
        let (mut pages, mut geometry_right, mut right, mut readings) = (0, 0, 0, 0);
        for (f, bytes, truth) in degraded_scans(dir.path(), count as usize, seed) {
            let turns = truth["scan"]["quarter_turns"].as_u64().unwrap_or(0) as u8;
            let want = (4 - turns) % 4;
            let Ok(decoded) = decode(&bytes, &Default::default()) else {
                continue;
            };
            for mut page in decoded.into_iter().take(1) {
                pages += 1;
                let mut prepared = if undecided {
                    let mut p = prepare(
                        &mut page,
                        &PrepareOptions::default().skip(crate::prepare::Step::Orient),
                    );
                    p.steps.oriented_by = Some(OrientedBy::Geometry);
                    p
                } else {
                    prepare(&mut page, &PrepareOptions::default())
                };
                if undecided {
                    prepared.steps.orientation_evidence = None;
                }
                let geometry = prepared.steps.quarter_turns;
                if all {
                    for k in 0..4u8 {
                        let t = prepared.turned(k);
                        let text = ocr::recognize(&t.gray, t.dpi, &options).expect("ocr");
                        let r = Reading::of(&text);
                        eprintln!(
                            "  reading {} turns {} ({}): letters {} read {} share {:.2} score {:.0}",
                            f.display(),
                            t.steps.quarter_turns,
                            if t.steps.quarter_turns == want { "right" } else { "wrong" },
                            r.letters,
                            r.read_letters,
                            r.share(),
                            r.score
                        );
                    }
                }
                let before = ocr::pages_recognized();
                let (prepared, text) =
                    recognize_upright(&mut page, prepared, &options).expect("ocr");
                let n = ocr::pages_recognized() - before;
                readings += n;
                let got = prepared.steps.quarter_turns;
                geometry_right += usize::from(geometry == want);
                right += usize::from(got == want);
                let r = Reading::of(&text);
                eprintln!(
                    "{} want {want} geometry {geometry} got {got} by {:?} evidence {:?} readings {n} share {:.2} score {:.0}{}",
                    f.display(),
                    prepared.steps.oriented_by,
                    prepared.steps.orientation_evidence,
                    r.share(),
                    r.score,
                    if got == want { "" } else { "  WRONG" }
                );
            }
        }
        eprintln!(
            "seed {seed}: {pages} pages, geometry right {geometry_right}, by evidence right {right}, {readings} readings"
        );
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
