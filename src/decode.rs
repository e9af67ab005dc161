//! Scan bytes into page images: PNG, JPEG, TIFF (multi-page; CCITT G4, LZW,
//! JPEG) and PDF (the images of its pages), within configurable limits.
//!
//! The format comes from the bytes' signature, never from the file name, so a
//! text file renamed `.pdf` gets a clear error instead of a parser panic.
//!
//! - PNG, JPEG: every colour type and depth the `image` crate reads; 16-bit
//!   comes down to 8, alpha is composited over white, Exif orientation is
//!   applied to JPEG. Resolution from pHYs, JFIF or Exif.
//! - TIFF: every full-resolution image of the main IFD chain is a page
//!   (reduced-resolution thumbnails are skipped); CCITT G4, LZW, Deflate,
//!   PackBits, JPEG; 1/2/4/8/16-bit gray (WhiteIsZero or BlackIsZero), RGB,
//!   palette, CMYK, YCbCr, chunky or planar. Resolution from XResolution.
//! - PDF: per page, the largest image XObject of the page or of a Form
//!   XObject it uses; DCT, Flate (with PNG or TIFF predictors), CCITT G4 and
//!   G3 1-D (honouring `BlackIs1`), unfiltered; 1–16 bits, gray, RGB, CMYK,
//!   ICC, Indexed, Separation, image masks, `/Decode`, `/Rotate`. Resolution
//!   from image and page size (read in `crate::pdf::read`). A page whose
//!   visible text can be trusted (Unicode-mapped, not invisible) comes with
//!   that text, so it is not OCRed; such a page without an image gets a blank
//!   stand-in image of its size. Pages with neither are skipped.
//!
//! Pages are always 8-bit gray or 8-bit RGB. Sizes and page counts are
//! checked against [`Limits`] before any pixel is decoded.

use crate::codec::raster;
pub use crate::codec::{Budget, DecodeError, Exceeded, Limits, Resource};
pub(crate) use crate::headers::dpi_from_density;
use crate::model::{Format, OcrPage, Page};

#[cfg(test)]
mod tests;
mod tiff_pages;

/// Identifies the format from the leading bytes.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(Format::Tiff)
    } else if bytes.len() >= 5
        && bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        Some(Format::Pdf)
    } else {
        None
    }
}

/// A decoded scan: its pages, and for each page the text its PDF text layer
/// carries when that text can be used instead of OCR.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The pages, in order.
    pub pages: Vec<Page>,
    /// For each page, its text layer (source [`crate::model::TextSource::TextLayer`],
    /// boxes in its own coordinate space), or `None` to OCR the page.
    pub text: Vec<Option<OcrPage>>,
}

/// Decodes every page of a scan (see [`decode_with_text`]), dropping text layers.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Vec<Page>, DecodeError> {
    decode_with_text(bytes, limits).map(|d| d.pages)
}

/// Decodes every page of a scan, with the usable text layers of PDF pages.
///
/// The format comes from [`sniff`]. Every page is checked against `limits`
/// before its pixels are decoded, and the page count before any page is.
/// Pages come back as 8-bit gray or 8-bit RGB images.
pub fn decode_with_text(bytes: &[u8], limits: &Limits) -> Result<Decoded, DecodeError> {
    decode_within(bytes, &Budget::new(limits))
}

/// [`decode_with_text`] spending `budget`, which the caller may go on
/// spending (on OCR, say) after the pages are decoded: pixels across all
/// pages, bytes out of stream filters, content-stream operations and time.
pub fn decode_within(bytes: &[u8], budget: &Budget) -> Result<Decoded, DecodeError> {
    let limits = budget.limits();
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let (pages, text) = match sniff(bytes) {
        None => return Err(DecodeError::UnknownFormat(describe_unknown(bytes))),
        Some(Format::Png) => (vec![raster::decode_png(bytes, budget)?], vec![None]),
        Some(Format::Jpeg) => (
            vec![raster::decode_jpeg(bytes, budget, 1, true)?],
            vec![None],
        ),
        Some(Format::Tiff) => {
            let pages = tiff_pages::decode_tiff(bytes, budget)?;
            let text = vec![None; pages.len()];
            (pages, text)
        }
        Some(Format::Pdf) => crate::pdf::read::decode_pdf(bytes, budget)?
            .into_iter()
            .unzip(),
    };
    budget.check()?;
    if pages.is_empty() {
        return Err(DecodeError::NoImages);
    }
    Ok(Decoded { pages, text })
}

fn describe_unknown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the window is still text.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if text {
        "it looks like text".to_string()
    } else {
        "unrecognised binary data".to_string()
    }
}
