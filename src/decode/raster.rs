//! PNG and JPEG through the `image` crate, after their headers are read here
//! to check the size and find the resolution.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError};

use super::{check_pixels, dpi_from_density, normalize, DecodeError, Limits};
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
pub(super) fn decode_png(bytes: &[u8], limits: &Limits) -> Result<Page, DecodeError> {
    let header = png_header(bytes).ok_or_else(|| DecodeError::Corrupt {
        format: "PNG",
        detail: "the header (IHDR) is missing or cut short".into(),
    })?;
    check_pixels(1, header.width.into(), header.height.into(), limits)?;
    let decoder = PngDecoder::with_limits(Cursor::new(bytes), image_limits(limits))
        .map_err(|e| image_error("PNG", 1, e))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error("PNG", 1, e))?;
    // Gray and RGB without transparency come out of decoding unchanged, so
    // their compressed data stands for the page.
    let keep = crate::pdfdoc::png_info(bytes).is_some()
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

struct PngHeader {
    width: u32,
    height: u32,
    dpi: Option<u32>,
}

/// Reads IHDR and, if it comes before the image data, pHYs.
fn png_header(bytes: &[u8]) -> Option<PngHeader> {
    let mut header: Option<PngHeader> = None;
    for (kind, d) in crate::pdfdoc::png_chunks(bytes) {
        match kind {
            b"IHDR" if d.len() >= 8 => {
                header = Some(PngHeader {
                    width: u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
                    height: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
                    dpi: None,
                });
            }
            b"pHYs" if d.len() >= 9 => {
                let x = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
                if let Some(h) = header.as_mut() {
                    // Unit 1 is the metre; 0 states only an aspect ratio.
                    if d[8] == 1 {
                        h.dpi = dpi_from_density(f64::from(x) / 100.0, false);
                    }
                }
            }
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        // IHDR must be the first chunk.
        header.as_ref()?;
    }
    header
}

/// What the markers before the first scan of a JPEG say.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct JpegInfo {
    /// The start-of-frame marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive...).
    pub sof: u8,
    /// Bits per sample.
    pub precision: u8,
    /// Colour components.
    pub components: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Resolution from JFIF or, failing that, Exif.
    pub dpi: Option<u32>,
}

impl JpegInfo {
    /// A JPEG that a PDF can carry as a DCTDecode stream as is and that shows
    /// the same pixels the decoder gives: sequential, 8-bit, gray or colour.
    pub fn embeddable(&self) -> bool {
        matches!(self.sof, 0xC0 | 0xC1) && self.precision == 8 && matches!(self.components, 1 | 3)
    }
}

/// Walks the JPEG markers up to the first scan.
pub(super) fn jpeg_info(bytes: &[u8]) -> Option<JpegInfo> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut info = JpegInfo::default();
    let mut jfif_dpi = None;
    let mut exif_dpi = None;
    let mut pos = 2;
    loop {
        // Skip fill bytes before a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = match bytes.get(pos..pos + 2) {
            Some([0xFF, m]) => *m,
            _ => return None,
        };
        pos += 2;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes(
            bytes.get(pos..pos + 2)?.try_into().ok()?,
        ));
        let seg = bytes.get(pos + 2..pos + len.max(2))?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seg.len() < 6 {
                    return None;
                }
                info.sof = marker;
                info.precision = seg[0];
                info.height = u16::from_be_bytes([seg[1], seg[2]]);
                info.width = u16::from_be_bytes([seg[3], seg[4]]);
                info.components = seg[5];
            }
            0xE0 if seg.len() >= 12 && seg.starts_with(b"JFIF\0") => {
                let units = seg[7];
                let x = u16::from_be_bytes([seg[8], seg[9]]);
                jfif_dpi = match units {
                    1 => dpi_from_density(f64::from(x), true),
                    2 => dpi_from_density(f64::from(x), false),
                    _ => None,
                };
            }
            0xE1 if seg.starts_with(b"Exif\0\0") => {
                exif_dpi = exif_dpi_of(&seg[6..]);
            }
            0xDA => break,
            _ => {}
        }
        pos += len;
    }
    if info.sof == 0 {
        return None;
    }
    info.dpi = jfif_dpi.or(exif_dpi);
    Some(info)
}

/// Resolution from the first IFD of an Exif block.
fn exif_dpi_of(tiff: &[u8]) -> Option<u32> {
    let little = match tiff.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return None,
    };
    let u16_at = |p: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(p..p + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |p: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(p..p + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)?;
    let mut x_res = None;
    let mut unit = 2;
    for i in 0..usize::from(count) {
        let entry = ifd + 2 + i * 12;
        let (Some(tag), Some(kind)) = (u16_at(entry), u16_at(entry + 2)) else {
            break;
        };
        match (tag, kind) {
            (0x0128, 3) => unit = u16_at(entry + 8).unwrap_or(2),
            (0x011A, 5) => {
                x_res = u32_at(entry + 8).and_then(|off| {
                    let off = off as usize;
                    let (n, d) = (u32_at(off)?, u32_at(off + 4)?);
                    (d != 0).then(|| f64::from(n) / f64::from(d))
                });
            }
            _ => {}
        }
    }
    x_res.and_then(|x| match unit {
        2 => dpi_from_density(x, true),
        3 => dpi_from_density(x, false),
        _ => None,
    })
}

/// Decodes a JPEG (gray, colour or CMYK, baseline or progressive); `page` is
/// the page number used in errors. Exif orientation is applied to the pixels
/// when `exif_orientation` is set (a PDF ignores it); the original bytes are
/// kept when they can be embedded as is.
pub(super) fn decode_jpeg(
    bytes: &[u8],
    limits: &Limits,
    page: usize,
    exif_orientation: bool,
) -> Result<Page, DecodeError> {
    let info = jpeg_info(bytes).ok_or_else(|| DecodeError::Corrupt {
        format: "JPEG",
        detail: "no frame header before the image data".into(),
    })?;
    check_pixels(page, info.width.into(), info.height.into(), limits)?;
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
