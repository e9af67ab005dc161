//! A dossier scan: several generated documents of several pages each in one
//! image-only PDF, as a back office scans a batch, with or without
//! separator sheets between the documents, and the page ranges that are
//! its truth.
//!
//! Each document is the generator's document at an index (its title page,
//! drawn and spoiled as [`super::generate`] draws it) followed by
//! continuation pages (`PHẦN GHI TIẾP`, the document's annex and running
//! text, `Trang k/n`), which bear no national header and no title.

use rand::seq::SliceRandom;
use rand::Rng;

use super::degrade::Raster;
use super::draw::{self, Fonts};
use super::encode::{self, PdfPage};
use super::{content, handling, kind_at, optics, stream, Plan, SampleError};

/// What stands between two documents of a dossier scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// Nothing: the next title page follows the last page of the document.
    None,
    /// A blank sheet (with the dust a scanner sees).
    Blank,
    /// A sheet with a QR code `DOSSIER:CODE` naming the dossier that follows.
    Qr,
}

/// One document of a dossier scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DossierDoc {
    /// The generator's document index (its type: see [`super::generate`]).
    pub index: usize,
    /// Its pages: the title page and `pages - 1` continuation pages.
    pub pages: usize,
    /// What comes before it (nothing before the first unless asked).
    pub before: Separator,
}

/// A generated dossier scan and its truth.
#[derive(Debug, Clone)]
pub struct DossierScan {
    /// The image-only PDF.
    pub pdf: Vec<u8>,
    /// Each document's pages in the scan (first, last; from 1).
    pub ranges: Vec<(u32, u32)>,
    /// The dossier code each document falls under (the last QR separator's).
    pub dossier_codes: Vec<Option<String>>,
    /// Each document's kind (`doc_type` or `unknown`).
    pub kinds: Vec<String>,
}

/// Running text for continuation pages.
const RUNNING: [&str; 8] = [
    "Điều 1. Người được cấp giấy có trách nhiệm giữ gìn, bảo quản giấy tờ đã được cấp.",
    "Điều 2. Mọi sự tẩy xóa, sửa chữa làm sai lệch nội dung đều không có giá trị pháp lý.",
    "Điều 3. Cơ quan, tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành văn bản này.",
    "Các thông tin ghi tại trang trước được ghi tiếp theo đúng thứ tự và nội dung đã đăng ký.",
    "Trường hợp có thay đổi, người sử dụng phải đăng ký biến động tại cơ quan có thẩm quyền.",
    "Việc khai thác, sử dụng thông tin phải tuân thủ quy định của pháp luật về bảo vệ dữ liệu.",
    "Bản sao được cấp từ sổ gốc có giá trị sử dụng thay cho bản chính trong các giao dịch.",
    "Người ký xác nhận chịu trách nhiệm về tính chính xác của các thông tin đã ghi trên đây.",
];

/// Builds a dossier scan of `docs` with `seed` (clean pages unless
/// `degrade`); QR separators name dossiers with valid dossier codes of an
/// agency `000.00.12.H29`, dated 1 December 2025, numbered from the seed.
pub fn dossier(seed: u64, docs: &[DossierDoc], degrade: bool) -> Result<DossierScan, SampleError> {
    let fonts = Fonts::load()?;
    let families = fonts.families.len();
    let mut pages: Vec<PdfPage> = Vec::new();
    let mut ranges = Vec::new();
    let mut codes = Vec::new();
    let mut kinds = Vec::new();
    let mut code: Option<String> = None;
    for (n, d) in docs.iter().enumerate() {
        let kind = kind_at(d.index);
        let doc = content::document(
            kind,
            &mut stream(seed, d.index, 0),
            content::Variant::default(),
        )?;
        let mut rng = stream(seed, d.index, if degrade { 2 } else { 1 });
        let mut plan = if degrade {
            Plan::degraded(&mut rng, families)
        } else {
            Plan::clean(d.index, &mut rng, families)
        };
        // One container for the dossier; the pages keep their own look.
        plan.pdf_annex = false;
        let look = plan.look.clone();
        let dpi = look.dpi;
        let quality = plan.jpeg_quality;
        let push = |pages: &mut Vec<PdfPage>, raster: Raster| add(pages, raster, quality, dpi);
        match d.before {
            Separator::None => {}
            Separator::Blank => {
                let mut sheet = Raster::Gray(image::GrayImage::from_pixel(
                    draw::a4(dpi).0,
                    draw::a4(dpi).1,
                    image::Luma([250]),
                ));
                sheet.speckle(&mut rng, dpi);
                push(&mut pages, sheet)?;
            }
            Separator::Qr => {
                let c = format!(
                    "000.00.12.H29-251201-{:06}",
                    (seed % 99_000) * 10 + n as u64 + 1
                );
                push(
                    &mut pages,
                    Raster::Gray(qr_sheet(&format!("DOSSIER:{c}"), dpi)?),
                )?;
                code = Some(c);
            }
        }
        let first = pages.len() + 1;
        let rows = draw::rows(&doc.items, &look, &mut rng);
        let (mut gray, anchors) = draw::render(&fonts, &look, &doc, &rows);
        draw::scribble(
            &mut gray,
            anchors.signature,
            look.ink.max(30),
            dpi,
            &mut rng,
        );
        let title = handling(optics(Raster::Gray(gray), &plan), &plan, &mut rng);
        push(&mut pages, title)?;
        for k in 2..=d.pages {
            let mut lines: Vec<String> = doc.annex.clone();
            let mut running: Vec<&str> = RUNNING.to_vec();
            running.shuffle(&mut rng);
            let take = rng.gen_range(5..=RUNNING.len());
            lines.extend(running[..take].iter().map(|s| s.to_string()));
            let page = draw::render_continuation(&fonts, &look, &lines, k, d.pages);
            push(
                &mut pages,
                handling(optics(Raster::Gray(page), &plan), &plan, &mut rng),
            )?;
        }
        let last = pages.len();
        ranges.push((first as u32, last as u32));
        codes.push(code.clone());
        kinds.push(kind.as_str().to_string());
    }
    Ok(DossierScan {
        pdf: encode::pdf(pages)?,
        ranges,
        dossier_codes: codes,
        kinds,
    })
}

/// Encodes a page as JPEG and adds it.
fn add(pages: &mut Vec<PdfPage>, raster: Raster, quality: u8, dpi: u32) -> Result<(), SampleError> {
    pages.push(PdfPage {
        jpeg: encode::jpeg(&raster, quality, Some(dpi))?,
        width: raster.width(),
        height: raster.height(),
        gray: matches!(raster, Raster::Gray(_)),
        dpi,
    });
    Ok(())
}

/// A separator sheet: a QR code of `text` in the middle of a white A4 page.
fn qr_sheet(text: &str, dpi: u32) -> Result<image::GrayImage, SampleError> {
    let (w, h) = draw::a4(dpi);
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| SampleError::Pdf {
        source: std::io::Error::other(e.to_string()),
    })?;
    let modules = code.width();
    let colors = code.to_colors();
    // About 50 mm wide with its quiet zone.
    let module_px = ((50.0 / 25.4 * dpi as f32) / (modules + 8) as f32).max(2.0) as u32;
    let side = module_px * modules as u32;
    let (x0, y0) = ((w - side) / 2, (h - side) / 2);
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = ((i % modules) as u32, (i / modules) as u32);
            for y in 0..module_px {
                for x in 0..module_px {
                    img.put_pixel(
                        x0 + mx * module_px + x,
                        y0 + my * module_px + y,
                        image::Luma([0]),
                    );
                }
            }
        }
    }
    Ok(img)
}
