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

use image::DynamicImage;

use crate::headers::dpi_from_density;
use crate::ocr::OcrPage;

pub(crate) mod raster;
pub(crate) mod samples;
#[cfg(test)]
mod tests;
mod tiff_pages;

/// Bounds on what one submission may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: u64,
    /// Most pages in one submission.
    pub max_pages: usize,
    /// Most pixels in one page (width × height).
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 200 * 1024 * 1024,
            max_pages: 50,
            max_pixels: 60_000_000,
        }
    }
}

/// The container format of a scan, from its leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG / JFIF.
    Jpeg,
    /// TIFF (little or big endian).
    Tiff,
    /// PDF.
    Pdf,
}

/// One decoded page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page image (gray, RGB or bilevel expanded to gray).
    pub image: DynamicImage,
    /// The resolution the file states, if it states one.
    pub dpi: Option<u32>,
    /// The page's original JPEG or PNG file when the page is that file as
    /// is, so that the result PDF can embed its compressed data without
    /// compressing the pixels again.
    pub original: Option<Vec<u8>>,
}

/// Why a scan could not be decoded. Every message names the cause and what to do;
/// the caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not a supported format.
    #[error("not a scan: the content is not PNG, JPEG, TIFF or PDF ({0})")]
    UnknownFormat(String),
    /// The file is larger than the configured limit.
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A page is larger than the configured limit.
    #[error("page {page} is {width}×{height} pixels, more than the limit of {limit} pixels; rescan at 300 dpi")]
    TooManyPixels {
        /// 1-based page number.
        page: usize,
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The limit.
        limit: u64,
    },
    /// The document has more pages than the configured limit.
    #[error("the document has {pages} pages, more than the limit of {limit}; split it")]
    TooManyPages {
        /// Pages found.
        pages: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is damaged or cut short.
    #[error("the {format} data is corrupt or truncated: {detail}")]
    Corrupt {
        /// Format name.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The PDF is encrypted.
    #[error("the PDF is encrypted; submit an unprotected copy")]
    Encrypted,
    /// The document contains no page image and no usable text.
    #[error("the document has no page images and no text to read")]
    NoImages,
    /// A page has visible text that cannot be trusted and no image to OCR.
    #[error(
        "page {page} has text docseal cannot read reliably (fonts without a Unicode map, \
         or a legacy TCVN3/VNI encoding) and no scanned image; export it again as PDF \
         with embedded Unicode fonts, or print and scan it"
    )]
    UnreadableText {
        /// 1-based page number.
        page: usize,
    },
    /// A page uses a feature docseal does not decode.
    #[error("page {page} uses {feature}, which is not supported; rescan as TIFF (G4) or PNG")]
    Unsupported {
        /// 1-based page number.
        page: usize,
        /// The feature, e.g. `JBIG2`.
        feature: String,
    },
}

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
    /// For each page, its text layer (source [`crate::ocr::TextSource::TextLayer`],
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
        Some(Format::Png) => (vec![raster::decode_png(bytes, limits)?], vec![None]),
        Some(Format::Jpeg) => (
            vec![raster::decode_jpeg(bytes, limits, 1, true)?],
            vec![None],
        ),
        Some(Format::Tiff) => {
            let pages = tiff_pages::decode_tiff(bytes, limits)?;
            let text = vec![None; pages.len()];
            (pages, text)
        }
        Some(Format::Pdf) => crate::pdf::read::decode_pdf(bytes, limits)?
            .into_iter()
            .unzip(),
    };
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

/// Refuses a page whose stated size is zero or above the pixel limit; called
/// before any pixel buffer of that page is allocated.
pub(crate) fn check_pixels(
    page: usize,
    width: u64,
    height: u64,
    limits: &Limits,
) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt {
            format: "image",
            detail: format!("page {page} states a size of {width}×{height} pixels"),
        });
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            page,
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Refuses a document with more pages than the limit.
pub(crate) fn check_pages(pages: usize, limits: &Limits) -> Result<(), DecodeError> {
    if pages > limits.max_pages {
        return Err(DecodeError::TooManyPages {
            pages,
            limit: limits.max_pages,
        });
    }
    Ok(())
}

/// Brings any decoded image to 8-bit gray or 8-bit RGB; transparent pixels are
/// composited over white paper.
fn normalize(image: DynamicImage) -> DynamicImage {
    use image::{GrayImage, RgbImage};
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
            DynamicImage::ImageRgb8(image.to_rgb8())
        }
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLumaA16(_) => {
            let la = image.to_luma_alpha8();
            let gray = GrayImage::from_fn(la.width(), la.height(), |x, y| {
                let [l, a] = la.get_pixel(x, y).0;
                image::Luma([over_white(l, a)])
            });
            DynamicImage::ImageLuma8(gray)
        }
        _ => {
            let rgba = image.to_rgba8();
            let rgb = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                image::Rgb([over_white(r, a), over_white(g, a), over_white(b, a)])
            });
            DynamicImage::ImageRgb8(rgb)
        }
    }
}

fn over_white(value: u8, alpha: u8) -> u8 {
    let v = u32::from(value) * u32::from(alpha) + 255 * (255 - u32::from(alpha));
    ((v + 127) / 255) as u8
}
