//! PNG and JPEG through the `image` crate, after their headers are read
//! (`crate::headers`) to check the size and find the resolution.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError};

use super::{normalize, Budget, DecodeError, Limits};
use crate::headers::{JpegHeader, PngHeader};
use crate::model::Page;

/// Decoder limits for the `image` crate: a generous bound on its buffers
/// (16-bit RGBA at the pixel limit, plus the 8-bit copy) so that a lying
/// header cannot make it allocate more.
fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_pixels.saturating_mul(12).max(1 << 20));
    l
}

/// Maps an `image` error on page `page` of a `format` file to a [`DecodeError`].
pub(super) fn image_error(format: &'static str, page: usize, err: ImageError) -> DecodeError {
    match err {
        ImageError::Unsupported(e) => DecodeError::Unsupported {
            page,
            feature: format!("a {format} variant that cannot be read ({e})"),
        },
        ImageError::Limits(e) => DecodeError::Corrupt {
            format,
            detail: format!("page {page} would need more memory than allowed ({e})"),
        },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Corrupt {
                format,
                detail: "the file ends early".into(),
            }
        }
        other => DecodeError::Corrupt {
            format,
            detail: other.to_string(),
        },
    }
}

/// Decodes a PNG (gray, RGB, palette, with or without alpha, 1 to 16 bits).
pub(crate) fn decode_png(bytes: &[u8], budget: &Budget) -> Result<Page, DecodeError> {
    let limits = budget.limits();
    let header = PngHeader::read(bytes).ok_or_else(|| DecodeError::Corrupt {
        format: "PNG",
        detail: "the header (IHDR) is missing or cut short".into(),
    })?;
    budget.admit_page(1, header.width.into(), header.height.into())?;
    let decoder = PngDecoder::with_limits(Cursor::new(bytes), image_limits(limits))
        .map_err(|e| image_error("PNG", 1, e))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error("PNG", 1, e))?;
    // Gray and RGB without transparency come out of decoding unchanged, so
    // their compressed data stands for the page.
    let keep = header.pdf_colors().is_some()
        && matches!(
            image,
            DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_)
        );
    Ok(Page {
        image: normalize(image),
        dpi: header.dpi,
        original: keep.then(|| bytes.to_vec()),
    })
}

/// Decodes a JPEG (gray, colour or CMYK, baseline or progressive); `page` is
/// the page number used in errors. Exif orientation is applied to the pixels
/// when `exif_orientation` is set (a PDF ignores it); the original bytes are
/// kept when they can be embedded as is.
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    budget: &Budget,
    page: usize,
    exif_orientation: bool,
) -> Result<Page, DecodeError> {
    let limits = budget.limits();
    let info = JpegHeader::read(bytes).ok_or_else(|| DecodeError::Corrupt {
        format: "JPEG",
        detail: "no frame header before the image data".into(),
    })?;
    budget.admit_page(page, info.width.into(), info.height.into())?;
    if info.precision != 8 {
        return Err(DecodeError::Unsupported {
            page,
            feature: format!("{}-bit JPEG", info.precision),
        });
    }
    let mut decoder =
        JpegDecoder::new(Cursor::new(bytes)).map_err(|e| image_error("JPEG", page, e))?;
    decoder
        .set_limits(image_limits(limits))
        .map_err(|e| image_error("JPEG", page, e))?;
    let orientation = if exif_orientation {
        decoder.orientation().unwrap_or(Orientation::NoTransforms)
    } else {
        Orientation::NoTransforms
    };
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| image_error("JPEG", page, e))?;
    image.apply_orientation(orientation);
    let keep = info.embeddable() && orientation == Orientation::NoTransforms;
    Ok(Page {
        image: normalize(image),
        dpi: info.dpi,
        original: keep.then(|| bytes.to_vec()),
    })
}
