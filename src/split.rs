//! A multi-document scan split into its documents, with no I/O of its own.
//!
//! Each page gets a [`PageRole`]:
//! - a **blank** sheet (less ink than [`BLANK_INK_SHARE`] of the page, ink
//!   being what is much darker than the page's own paper) or a **separator**
//!   sheet bearing a QR code with a dossier code (`DOSSIER:CODE` or a bare
//!   code; a docseal seal `DS1:` is not one) ends the document before it and
//!   is left out of every part; a separator's dossier code applies to the
//!   documents after it, until the next separator;
//! - otherwise the page is prepared and the top of it OCRed (the national
//!   header and the title sit there): a page whose title is of a known type,
//!   or that bears the national header, **starts** a document; any other page
//!   **continues** the current one.
//!
//! [`plan`] turns the roles into page ranges; [`part_bytes`] makes a part's
//! own file: for a PDF, the same PDF with the other pages deleted (lopdf;
//! the page images are kept as they are), for an image scan a PDF of its
//! pages. Both are deterministic, so the parts of a scan, whose ids are the
//! SHA-256 of their bytes, are the same on every run.

use std::io::Cursor;

use crate::classify::{classify, has_national_header};
use crate::decode::{self, Budget, DecodeError};
use crate::model::{Format, OcrPage, Page};
use crate::ocr::{self, OcrError};
use crate::pdf::write::{Content, PdfBuilder, PdfError};
use crate::pipeline::PipelineOptions;
use crate::prepare::{page_dpi, prepare};
use crate::schema::DocType;

/// A page with less ink than this share of its area is a blank sheet.
pub const BLANK_INK_SHARE: f64 = 0.002;

/// How much of a prepared page, from the top, is read for its role.
const TOP_SHARE: f32 = 0.45;

/// Why a scan could not be split.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// The scan could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Tesseract failed on a page.
    #[error(transparent)]
    Ocr(#[from] OcrError),
    /// A part's PDF could not be made.
    #[error("cannot make the PDF of pages {first}-{last}: {reason}")]
    Part {
        /// First page, from 1.
        first: u32,
        /// Last page.
        last: u32,
        /// What went wrong.
        reason: String,
    },
}

impl From<PdfError> for SplitError {
    fn from(e: PdfError) -> Self {
        SplitError::Part {
            first: 0,
            last: 0,
            reason: e.to_string(),
        }
    }
}

/// What one page of a scan is to the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRole {
    /// A blank sheet: a separator.
    Blank,
    /// A separator sheet with a dossier code in a QR code.
    Separator(String),
    /// The first page of a document: its type, when its title is known.
    Start(Option<DocType>),
    /// A page continuing the document before it.
    Continuation,
}

/// One document found in a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPart {
    /// Its first page, counted from 1.
    pub first_page: u32,
    /// Its last page.
    pub last_page: u32,
    /// The dossier code of the separator sheet before it, if any.
    pub dossier_code: Option<String>,
    /// Its type, as its first page's title reads.
    pub doc_type: Option<DocType>,
}

/// The share of a gray page's area that is ink: pixels much darker than the
/// paper (the page's 90th percentile of brightness).
pub fn ink_share(gray: &image::GrayImage) -> f64 {
    let mut hist = [0u64; 256];
    for p in gray.pixels() {
        hist[usize::from(p.0[0])] += 1;
    }
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 0.0;
    }
    // The paper: the level below which 90% of the pixels lie.
    let mut seen = 0u64;
    let mut paper = 255usize;
    for (level, &n) in hist.iter().enumerate() {
        seen += n;
        if seen * 10 >= total * 9 {
            paper = level;
            break;
        }
    }
    // Ink is well under half the paper's brightness.
    let cut = paper * 11 / 20;
    let ink: u64 = hist[..cut.min(256)].iter().sum();
    ink as f64 / total as f64
}

/// The dossier code a separator sheet's QR text carries, if it is one.
pub fn separator_code(qr_text: &str) -> Option<String> {
    let text = qr_text.trim();
    if text.starts_with("DS1:") {
        return None;
    }
    let code = text
        .strip_prefix("DOSSIER:")
        .or_else(|| text.strip_prefix("dossier:"))
        .unwrap_or(text)
        .trim();
    let ok = (1..=64).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ok.then(|| code.to_string())
}

/// The role of one page (blocking: QR reading, preparation and OCR of the
/// page's top). `text` is the page's trusted PDF text layer, if it has one.
pub fn page_role(
    page: &mut Page,
    text: Option<OcrPage>,
    options: &PipelineOptions,
) -> Result<PageRole, SplitError> {
    let gray = page.image.to_luma8();
    if let Ok(qr) = crate::qrseal::decode_image(&gray) {
        if let Some(code) = separator_code(&qr) {
            return Ok(PageRole::Separator(code));
        }
    }
    let ocr_page = match text {
        Some(t) => t,
        None => {
            let prepared = prepare(page, &options.prepare);
            if ink_share(&prepared.gray) < BLANK_INK_SHARE {
                return Ok(PageRole::Blank);
            }
            let (w, h) = prepared.gray.dimensions();
            let top = ((h as f32 * TOP_SHARE) as u32).clamp(1, h.max(1));
            let band = image::imageops::crop_imm(&prepared.gray, 0, 0, w, top).to_image();
            ocr::recognize(&band, prepared.dpi, &options.ocr)?
        }
    };
    if ocr_page.lines.is_empty() && ink_share(&gray) < BLANK_INK_SHARE {
        return Ok(PageRole::Blank);
    }
    let classified = classify(std::slice::from_ref(&ocr_page));
    if classified.doc_type.is_some() || has_national_header(&ocr_page) {
        Ok(PageRole::Start(classified.doc_type))
    } else {
        Ok(PageRole::Continuation)
    }
}

/// The roles of every page of a scan, within `options.limits`.
pub fn roles(bytes: &[u8], options: &PipelineOptions) -> Result<Vec<PageRole>, SplitError> {
    let budget = Budget::new(&options.limits);
    let decoded = decode::decode_within(bytes, &budget)?;
    let mut out = Vec::with_capacity(decoded.pages.len());
    for (number, (mut page, text)) in decoded.pages.into_iter().zip(decoded.text).enumerate() {
        budget.on_page(number + 1);
        budget.check_time().map_err(DecodeError::from)?;
        out.push(page_role(&mut page, text, options)?);
    }
    Ok(out)
}

/// The documents the page roles make, in page order.
pub fn plan(roles: &[PageRole]) -> Vec<PlannedPart> {
    let mut parts: Vec<PlannedPart> = Vec::new();
    let mut dossier: Option<String> = None;
    // Whether the next content page starts a document whatever its role.
    let mut boundary = true;
    for (i, role) in roles.iter().enumerate() {
        let page = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match role {
            PageRole::Blank => boundary = true,
            PageRole::Separator(code) => {
                dossier = Some(code.clone());
                boundary = true;
            }
            PageRole::Start(_) | PageRole::Continuation => {
                let starts = boundary || matches!(role, PageRole::Start(_));
                match parts.last_mut() {
                    Some(last) if !starts => last.last_page = page,
                    _ => parts.push(PlannedPart {
                        first_page: page,
                        last_page: page,
                        dossier_code: dossier.clone(),
                        doc_type: match role {
                            PageRole::Start(t) => *t,
                            _ => None,
                        },
                    }),
                }
                boundary = false;
            }
        }
    }
    parts
}

/// The bytes of pages `first..=last` (from 1) of a scan as a file of their
/// own: a PDF keeps its page objects and images as they are; the pages of
/// an image scan are put in a PDF (an original JPEG embedded as is).
pub fn part_bytes(
    bytes: &[u8],
    first: u32,
    last: u32,
    options: &PipelineOptions,
) -> Result<Vec<u8>, SplitError> {
    let fail = |reason: String| SplitError::Part {
        first,
        last,
        reason,
    };
    if decode::sniff(bytes) == Some(Format::Pdf) {
        let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| fail(e.to_string()))?;
        let count = u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX);
        if first == 0 || first > last || last > count {
            return Err(fail(format!("the PDF has {count} pages")));
        }
        let drop: Vec<u32> = (1..=count).filter(|p| *p < first || *p > last).collect();
        doc.delete_pages(&drop);
        doc.prune_objects();
        let mut out = Cursor::new(Vec::new());
        doc.save_to(&mut out).map_err(|e| fail(e.to_string()))?;
        return Ok(out.into_inner());
    }
    let pages = decode::decode(bytes, &options.limits)?;
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if first == 0 || first > last || last > count {
        return Err(fail(format!("the scan has {count} pages")));
    }
    let mut pdf = PdfBuilder::new();
    for page in &pages[(first - 1) as usize..last as usize] {
        let image = match page.original.as_deref().and_then(|o| pdf.add_jpeg(o)) {
            Some(img) => img,
            None => pdf.add_pixels(&page.image),
        };
        let dpi = page_dpi(page) as f32;
        let (w, h) = (
            page.image.width() as f32 * 72.0 / dpi,
            page.image.height() as f32 * 72.0 / dpi,
        );
        let mut content = Content::new();
        content.image("Im0", 0.0, 0.0, w, h);
        pdf.add_page(w, h, content, &[], &[("Im0", image)]);
    }
    pdf.finish().map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> PageRole {
        PageRole::Start(None)
    }

    #[test]
    fn titles_blanks_and_separators_make_the_ranges() {
        use PageRole::*;
        let roles = vec![
            start(),
            Continuation,
            Blank,
            Continuation,
            start(),
            Separator("HS-7".into()),
            Blank,
            Continuation,
            start(),
        ];
        let ranges: Vec<_> = plan(&roles)
            .iter()
            .map(|p| (p.first_page, p.last_page, p.dossier_code.clone()))
            .collect();
        assert_eq!(
            ranges,
            vec![
                (1, 2, None),
                (4, 4, None),
                (5, 5, None),
                (8, 8, Some("HS-7".into())),
                (9, 9, Some("HS-7".into())),
            ]
        );
    }

    #[test]
    fn separator_codes_are_plain_codes_not_seals() {
        assert_eq!(
            separator_code("DOSSIER:000.12.30.H56-250701-0001").as_deref(),
            Some("000.12.30.H56-250701-0001")
        );
        assert_eq!(separator_code(" HS-42 ").as_deref(), Some("HS-42"));
        assert_eq!(separator_code("DS1:NCFOXN"), None);
        assert_eq!(separator_code("https://example.org/x?y"), None);
    }

    #[test]
    fn ink_share_is_relative_to_the_paper() {
        let mut page = image::GrayImage::from_pixel(400, 500, image::Luma([200]));
        assert!(ink_share(&page) < BLANK_INK_SHARE);
        for y in 100..110 {
            for x in 50..350 {
                page.put_pixel(x, y, image::Luma([60]));
            }
        }
        assert!(ink_share(&page) > BLANK_INK_SHARE);
    }
}
