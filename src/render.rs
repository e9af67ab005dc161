//! The result PDF: the scanned pages with an invisible text layer, then a
//! certificate page that prints the record and states what the document is; the
//! signed manifest is attached as an embedded file.
//!
//! Each scanned page becomes a PDF page of the scan's physical size (from its
//! pixels and resolution), the image filling it, and every OCR word drawn
//! invisibly (`3 Tr`) over its box, so the page can be searched, selected and
//! read by `pdftotext`. A page whose text came from the input PDF's own
//! visible text layer gets that text drawn visibly instead (its image may be a
//! blank stand-in). The certificate page is A4 and prints exactly
//! [`certificate_lines`], one text object per line, with a square
//! ([`QR_AREA`]) left empty for the QR seal.
//!
//! The bytes [`render`] returns end with a complete cross-reference table and
//! trailer, so a PDF signature can be added as an incremental update.

mod certificate;

use std::path::{Path, PathBuf};

use crate::model::{Manifest, OcrPage, Page, TextSource};
use crate::pdf::write::{
    Attachment, Content, FontError, FontFile, FontId, Info, PdfBuilder, PdfError,
};

pub use certificate::{qr_area, Rect, PAGE_HEIGHT, PAGE_WIDTH, QR_AREA, QR_AREA_TOP_LEFT, QR_SIDE};

/// The name the signed manifest is attached under.
pub const MANIFEST_ATTACHMENT: &str = "manifest.json";
/// Name of the attached QR seal text.
pub const QR_ATTACHMENT: &str = "qr-seal.txt";
/// Name of the attached snapshot of the office's root-signed trust list at
/// issue time: with it, a verifier needs only the office's root certificate.
pub const TRUST_ATTACHMENT: &str = "trust.json";

/// Resolution assumed for a page whose file states none.
pub const DEFAULT_DPI: u32 = 300;

/// The largest page side a PDF reader must support, in points (200 inches).
const MAX_PAGE_SIDE: f32 = 14_400.0;

/// Default places of the regular font, with the Debian package of each.
const REGULAR_FONTS: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "fonts-noto-core",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "fonts-dejavu-core",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "fonts-dejavu-core",
    ),
];

/// Default places of the bold font, with the Debian package of each.
const BOLD_FONTS: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
        "fonts-noto-core",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
        "fonts-dejavu-core",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "fonts-dejavu-core",
    ),
];

/// The fonts of the result PDF: a regular face for values, statements and the
/// invisible text layer, and a bold face for headings and labels. Both must cover
/// Vietnamese. Load once and share (cloning is cheap).
#[derive(Debug, Clone)]
pub struct FontSet {
    /// The regular face.
    pub regular: FontFile,
    /// The bold face.
    pub bold: FontFile,
}

impl FontSet {
    /// Loads the two TrueType fonts at these paths.
    pub fn load(regular: &Path, bold: &Path) -> Result<FontSet, FontError> {
        Ok(FontSet {
            regular: FontFile::open(regular)?,
            bold: FontFile::open(bold)?,
        })
    }

    /// Loads Noto Serif (Debian `fonts-noto-core`), or else DejaVu
    /// (`fonts-dejavu-core`), from their usual places.
    pub fn find() -> Result<FontSet, FontError> {
        Ok(FontSet {
            regular: find_font("regular", REGULAR_FONTS)?,
            bold: find_font("bold", BOLD_FONTS)?,
        })
    }
}

fn find_font(
    role: &'static str,
    candidates: &[(&str, &'static str)],
) -> Result<FontFile, FontError> {
    for (path, _) in candidates {
        let path = PathBuf::from(path);
        if path.is_file() {
            return FontFile::open(&path);
        }
    }
    Err(FontError::NotInstalled {
        role,
        tried: candidates
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", "),
        package: candidates.first().map_or("fonts-noto-core", |(_, pkg)| pkg),
    })
}

/// Why a result PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// There are no scanned pages.
    #[error("nothing to render: the document has no pages")]
    NoPages,
    /// The page images and OCR results do not pair up.
    #[error(
        "{pages} page images but {ocr} OCR results; every page needs its OCR result \
         (an empty one for a blank page)"
    )]
    OcrMismatch {
        /// Page images given.
        pages: usize,
        /// OCR results given.
        ocr: usize,
    },
    /// The record is too long for one certificate page.
    #[error(
        "the record does not fit on one certificate page even in the smallest type; \
         its longest value is field {field} ({chars} characters): check it in review"
    )]
    CertificateTooLong {
        /// The field with the longest value.
        field: String,
        /// That value's length in characters.
        chars: usize,
    },
    /// The office's trust list could not be written for the document.
    #[error("the trust list cannot be attached to the document: {0}")]
    Snapshot(String),
    /// A font could not be used.
    #[error(transparent)]
    Font(#[from] FontError),
    /// The QR seal could not be drawn.
    #[error("the QR seal cannot be drawn: {0}")]
    Qr(#[from] crate::qrseal::QrError),
    /// The PDF could not be written.
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// What goes into a result PDF.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    /// The scanned pages, in order.
    pub pages: &'a [Page],
    /// The OCR result of each page, in the same order.
    pub ocr: &'a [OcrPage],
    /// The manifest the certificate page prints.
    pub manifest: &'a Manifest,
    /// The signed manifest JSON, attached as [`MANIFEST_ATTACHMENT`].
    pub attachment: &'a [u8],
    /// The QR seal's text (`DS1:…`), drawn in [`QR_AREA`] and attached as
    /// [`QR_ATTACHMENT`]; `None` leaves the area empty.
    pub qr: Option<&'a str>,
    /// The office's root-signed trust list (JSON) at issue time, attached as
    /// [`TRUST_ATTACHMENT`]; `None` attaches none.
    pub trust: Option<&'a [u8]>,
}

/// The text lines the certificate page prints, in order, derived only from the
/// manifest; `docseal verify` compares these with
/// [`crate::pdf::write::page_text`] of the last page.
pub fn certificate_lines(m: &Manifest) -> Vec<String> {
    certificate::blocks(m).iter().map(|b| b.line()).collect()
}

/// The document's name: its type's Vietnamese title, as the certificate prints it.
pub fn document_title(m: &Manifest) -> String {
    certificate::title(m)
}

/// The page size in points of a scanned page, from its pixels and resolution.
fn page_size(page: &Page, ocr: &OcrPage) -> (f32, f32) {
    let plausible = |d: u32| (50..=2400).contains(&d);
    let dpi = page
        .dpi
        .filter(|&d| plausible(d))
        .or(Some(ocr.dpi).filter(|&d| plausible(d)))
        .unwrap_or(DEFAULT_DPI) as f32;
    let (w, h) = (
        page.image.width().max(1) as f32,
        page.image.height().max(1) as f32,
    );
    let (mut pw, mut ph) = (w * 72.0 / dpi, h * 72.0 / dpi);
    let shrink = (MAX_PAGE_SIDE / pw).min(MAX_PAGE_SIDE / ph).min(1.0);
    pw *= shrink;
    ph *= shrink;
    (pw, ph)
}

/// The text layer of one page: each OCR line one text object, each word at
/// its box, scaled horizontally to the box's width; invisible over a scan,
/// visible for text that came from the input's own text layer.
fn text_layer(
    c: &mut Content,
    font: &mut crate::pdf::write::UnicodeFont<'_>,
    ocr: &OcrPage,
    size: (f32, f32),
    image: (u32, u32),
) {
    let (pw, ph) = size;
    let (ow, oh) = if ocr.width > 0 && ocr.height > 0 {
        (ocr.width, ocr.height)
    } else {
        image
    };
    let sx = pw / ow.max(1) as f32;
    let sy = ph / oh.max(1) as f32;
    // Text read from the input's own text layer was visible there and is
    // drawn visibly here (its page image may be a blank stand-in); OCR text
    // lies invisibly over the scan that shows it.
    let mode = match ocr.source {
        TextSource::TextLayer => 0,
        TextSource::Ocr => 3,
    };
    // The em box from descender to ascender covers the line's box.
    let em = (font.ascent() - font.descent()) / 1000.0;
    let descent = -font.descent() / 1000.0;
    for line in &ocr.lines {
        let words: Vec<_> = line
            .words
            .iter()
            .filter(|w| !w.text.trim().is_empty())
            .collect();
        if words.is_empty() {
            continue;
        }
        let bbox = line.bbox();
        let box_h = bbox.height().max(1) as f32 * sy;
        let font_size = (box_h / em).max(0.5);
        let baseline = ph - bbox.y1 as f32 * sy + descent * font_size;
        c.begin_text();
        c.render_mode(mode);
        c.font("F1", font_size);
        for (i, w) in words.iter().enumerate() {
            let text = w.text.trim();
            let natural = font.width(text, font_size);
            let box_w = w.bbox.width().max(1) as f32 * sx;
            let scale = if natural > 0.0 {
                (box_w / natural * 100.0).clamp(1.0, 5000.0)
            } else {
                100.0
            };
            c.horizontal_scale(scale);
            c.text_at(w.bbox.x0 as f32 * sx, baseline);
            if i + 1 < words.len() {
                c.show(font, &format!("{text} "));
            } else {
                c.show(font, text);
            }
        }
        c.end_text();
    }
}

/// Makes the result PDF: scanned pages with their text layers, the certificate
/// page, and the signed manifest attached. Deterministic: the same input and
/// fonts give the same bytes.
pub fn render(input: &RenderInput<'_>, fonts: &FontSet) -> Result<Vec<u8>, RenderError> {
    if input.pages.is_empty() {
        return Err(RenderError::NoPages);
    }
    if input.pages.len() != input.ocr.len() {
        return Err(RenderError::OcrMismatch {
            pages: input.pages.len(),
            ocr: input.ocr.len(),
        });
    }
    let m = input.manifest;
    let mut b = PdfBuilder::new();
    let regular = b.add_font(&fonts.regular)?;
    let bold = b.add_font(&fonts.bold)?;

    for (page, ocr) in input.pages.iter().zip(input.ocr) {
        let size = page_size(page, ocr);
        let original = page.original.as_deref();
        let image = match original.and_then(|o| b.add_jpeg(o).or_else(|| b.add_png(o))) {
            Some(img) => img,
            None => b.add_pixels(&page.image),
        };
        let mut c = Content::new();
        c.image("Im1", 0.0, 0.0, size.0, size.1);
        text_layer(
            &mut c,
            b.font(regular),
            ocr,
            size,
            (page.image.width(), page.image.height()),
        );
        b.add_page(size.0, size.1, c, &[("F1", regular)], &[("Im1", image)]);
    }

    let mut content = certificate_content(&mut b, m, regular, bold)?;
    if let Some(qr) = input.qr {
        content.raw(&qr_ops_at(qr, qr_area(m))?);
    }
    b.add_page(
        PAGE_WIDTH,
        PAGE_HEIGHT,
        content,
        &[("F1", regular), ("F2", bold)],
        &[],
    );

    b.attach(&Attachment {
        name: MANIFEST_ATTACHMENT,
        media_type: "application/json",
        description: "Signed manifest / Bản kê khai đã ký",
        data: input.attachment,
    });
    if let Some(qr) = input.qr {
        b.attach(&Attachment {
            name: QR_ATTACHMENT,
            media_type: "text/plain",
            description: "QR seal / Dấu QR",
            data: qr.as_bytes(),
        });
    }
    if let Some(trust) = input.trust {
        b.attach(&Attachment {
            name: TRUST_ATTACHMENT,
            media_type: "application/json",
            description:
                "Trust list signed by the office's root / Danh sách khóa tin cậy do khóa gốc ký",
            data: trust,
        });
    }
    b.set_info(Info {
        title: Some(format!("{} – {}", certificate::title(m), m.document_id)),
        subject: Some(
            "Bản điện tử chuyển đổi từ bản giấy / Electronic copy converted from a paper original"
                .into(),
        ),
        producer: Some(m.pipeline_version.clone()),
        creation_date: Some(crate::pdf::syntax::pdf_date(m.issued_at.unix_seconds())),
        lang: Some("vi-VN".into()),
    });
    Ok(b.finish()?)
}

/// The content-stream operators that draw a QR seal in [`QR_AREA`].
pub fn qr_ops(qr: &str) -> Result<Vec<u8>, RenderError> {
    qr_ops_at(qr, QR_AREA)
}

/// The content-stream operators that draw a QR seal in `area`.
pub fn qr_ops_at(qr: &str, area: Rect) -> Result<Vec<u8>, RenderError> {
    Ok(crate::qrseal::pdf_ops(
        qr,
        f64::from(area.x),
        f64::from(area.y),
        f64::from(area.width),
    )?)
}

fn certificate_content(
    b: &mut PdfBuilder<'_>,
    m: &Manifest,
    regular: FontId,
    bold: FontId,
) -> Result<Content, RenderError> {
    let blocks = certificate::blocks(m);
    let (regular_font, bold_font) = b.font_pair(regular, bold);
    let mut fonts = certificate::Fonts {
        regular: regular_font,
        regular_name: "F1",
        bold: bold_font,
        bold_name: "F2",
    };
    certificate::layout(&blocks, &mut fonts, qr_area(m)).ok_or_else(|| {
        let (field, chars) = m
            .record
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string().chars().count()))
            .max_by_key(|(_, n)| *n)
            .unwrap_or_default();
        RenderError::CertificateTooLong { field, chars }
    })
}

#[cfg(test)]
mod tests;
