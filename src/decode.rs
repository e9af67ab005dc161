//! Scan bytes into page images: PNG, JPEG, TIFF (multi-page; CCITT G4, LZW,
//! JPEG) and PDF (the images of its pages), within configurable limits.
//!
//! The format comes from the bytes' signature, never from the file name, so a
//! text file renamed `.pdf` gets a clear error instead of a parser panic.

use image::DynamicImage;

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
    /// The page's original JPEG bytes when the page is a JPEG as is, so the
    /// result PDF can embed it without re-encoding.
    pub jpeg: Option<Vec<u8>>,
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
    /// The document contains no page image.
    #[error("the document has no page images (is it a born-digital PDF without a scan?)")]
    NoImages,
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
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
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

/// Decodes every page of a scan.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Vec<Page>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    match sniff(bytes) {
        None => Err(DecodeError::UnknownFormat(describe_unknown(bytes))),
        Some(_) => Err(DecodeError::Corrupt {
            format: "scan",
            detail: "decoder not implemented yet".into(),
        }),
    }
}

fn describe_unknown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(512)];
    if std::str::from_utf8(head).is_ok() {
        "it looks like text".to_string()
    } else {
        "unrecognised binary data".to_string()
    }
}
