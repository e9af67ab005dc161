//! Pixels from encoded image data, within limits: the bounds on what one
//! submission may cost ([`Limits`]), the error every decoder returns
//! ([`DecodeError`]), JPEG and PNG (`raster`), and the sample decoders that
//! TIFF and PDF images share (`samples`: Flate, predictors, CCITT fax).
//! `decode` and `pdf::read` both build on it; it knows neither.

use image::DynamicImage;

pub(crate) mod raster;
pub(crate) mod samples;

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
pub(crate) fn normalize(image: DynamicImage) -> DynamicImage {
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

pub(crate) fn over_white(value: u8, alpha: u8) -> u8 {
    let v = u32::from(value) * u32::from(alpha) + 255 * (255 - u32::from(alpha));
    ((v + 127) / 255) as u8
}
