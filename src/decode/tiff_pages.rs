//! TIFF, every full-resolution image of the main IFD chain a page, through
//! the `tiff` crate.
//!
//! The IFD chain is walked here first (a few bytes per page, no tag values
//! read) so that the page count is checked before any page is decoded.
//! Palette images, which the `tiff` crate does not decode, are read as gray
//! indices from a copy of the file whose PhotometricInterpretation entry says
//! BlackIsZero, then looked up in the ColorMap here.

use std::collections::HashSet;
use std::io::Cursor;

use ::tiff::decoder::ifd::Value;
use ::tiff::decoder::{Decoder, DecodingResult};
use ::tiff::tags::{CompressionMethod, Tag};
use ::tiff::{ColorType, TiffError, TiffUnsupportedError};
use image::{DynamicImage, GrayImage, RgbImage};

use super::dpi_from_density;
use crate::codec::samples::{cmyk_to_rgb, unpack_row};
use crate::codec::{check_pages, check_pixels, over_white, Budget, DecodeError, Resource};
use crate::model::Page;

/// One directory of the main chain, as the walk saw it.
#[derive(Debug, Clone, Copy)]
struct Ifd {
    /// A reduced-resolution copy (thumbnail) of another page, not a page.
    reduced: bool,
    /// Where the PhotometricInterpretation value sits, when it says RGB palette.
    palette_entry: Option<PaletteEntry>,
    /// The stated width and height, when written inline (they always are
    /// in practice: one SHORT or LONG each).
    size: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Copy)]
struct PaletteEntry {
    /// Offset of the value field.
    pos: usize,
    /// Field type (3 = SHORT, 4 = LONG).
    kind: u16,
}

/// Most directories walked before giving up on counting.
const MAX_IFDS: usize = 100_000;

/// Byte order and layout of the file.
#[derive(Debug, Clone, Copy)]
struct Layout {
    little: bool,
    big: bool,
}

impl Layout {
    fn uint(&self, bytes: &[u8], pos: usize, size: usize) -> Option<u64> {
        let b = bytes.get(pos..pos.checked_add(size)?)?;
        let mut v = 0u64;
        for i in 0..size {
            let byte = if self.little { b[size - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    }
}

fn corrupt(detail: impl Into<String>) -> DecodeError {
    DecodeError::Corrupt {
        format: "TIFF",
        detail: detail.into(),
    }
}

/// Walks the main IFD chain without reading any tag value that is not
/// stored inline.
fn walk_ifds(bytes: &[u8]) -> Result<(Layout, Vec<Ifd>), DecodeError> {
    let little = bytes.starts_with(b"II");
    let magic = Layout { little, big: false }.uint(bytes, 2, 2);
    let layout = Layout {
        little,
        big: magic == Some(43),
    };
    let (mut next, count_size, entry_size, offset_size) = if layout.big {
        (layout.uint(bytes, 8, 8), 8, 20, 8)
    } else {
        (layout.uint(bytes, 4, 4), 2, 12, 4)
    };
    let mut seen = HashSet::new();
    let mut ifds = Vec::new();
    while let Some(offset) = next.filter(|&o| o != 0) {
        if ifds.len() >= MAX_IFDS {
            break;
        }
        if !seen.insert(offset) {
            return Err(corrupt("the chain of pages loops back on itself"));
        }
        let at = usize::try_from(offset).map_err(|_| corrupt("a page offset is out of range"))?;
        let count = layout.uint(bytes, at, count_size).ok_or_else(|| {
            corrupt(format!(
                "page {} points past the end of the file",
                ifds.len() + 1
            ))
        })?;
        let count = usize::try_from(count).map_err(|_| corrupt("a page has too many tags"))?;
        let entries = at + count_size;
        let end = count
            .checked_mul(entry_size)
            .and_then(|n| n.checked_add(entries))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| corrupt(format!("page {} is cut short", ifds.len() + 1)))?;
        let mut ifd = Ifd {
            reduced: false,
            palette_entry: None,
            size: None,
        };
        let (mut width, mut height) = (None, None);
        for i in 0..count {
            let e = entries + i * entry_size;
            let tag = layout.uint(bytes, e, 2).unwrap_or(0);
            let kind = layout.uint(bytes, e + 2, 2).unwrap_or(0) as u16;
            let value_pos = e + 4 + offset_size;
            let value = match kind {
                3 => layout.uint(bytes, value_pos, 2),
                4 => layout.uint(bytes, value_pos, 4),
                _ => None,
            };
            match (tag, value) {
                (254, Some(v)) => ifd.reduced |= v & 1 == 1,
                (256, Some(v)) => width = Some(v),
                (257, Some(v)) => height = Some(v),
                (255, Some(v)) => ifd.reduced |= v == 2,
                (262, Some(3)) => {
                    ifd.palette_entry = Some(PaletteEntry {
                        pos: value_pos,
                        kind,
                    })
                }
                _ => {}
            }
        }
        ifd.size = width.zip(height);
        ifds.push(ifd);
        next = layout.uint(bytes, end, offset_size);
    }
    Ok((layout, ifds))
}

/// Decodes every page of a TIFF.
pub(super) fn decode_tiff(bytes: &[u8], budget: &Budget) -> Result<Vec<Page>, DecodeError> {
    let limits = budget.limits();
    let (layout, ifds) = walk_ifds(bytes)?;
    let pages = ifds.iter().filter(|i| !i.reduced).count();
    check_pages(pages, limits)?;
    if pages == 0 {
        return Err(DecodeError::NoImages);
    }
    // The pixels every page states, against the submission's budget, before
    // any page is decoded (each page is admitted again as it is decoded).
    let mut stated = 0u64;
    for (index, (w, h)) in ifds
        .iter()
        .filter(|i| !i.reduced)
        .enumerate()
        .filter_map(|(n, i)| Some((n, i.size?)))
    {
        check_pixels(index + 1, w, h, limits)?;
        stated = stated.saturating_add(w.saturating_mul(h));
    }
    if stated > limits.max_total_pixels {
        return Err(DecodeError::OverBudget(crate::codec::Exceeded {
            resource: Resource::Pixels,
            limit: limits.max_total_pixels,
            page: None,
        }));
    }

    // Palette pages are decoded as gray indices from a patched copy.
    let patched;
    let data: &[u8] = if ifds.iter().any(|i| i.palette_entry.is_some()) {
        let mut copy = bytes.to_vec();
        for entry in ifds.iter().filter_map(|i| i.palette_entry) {
            let size = if entry.kind == 3 { 2 } else { 4 };
            let one = if layout.little {
                1u32.to_le_bytes()
            } else {
                1u32.to_be_bytes()
            };
            let value = if layout.little {
                &one[..size]
            } else {
                &one[4 - size..]
            };
            copy[entry.pos..entry.pos + size].copy_from_slice(value);
        }
        patched = copy;
        &patched
    } else {
        bytes
    };

    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_pages(data, &ifds, budget)
    }))
    .unwrap_or_else(|_| Err(corrupt("the TIFF reader failed on this file")))
}

fn decode_pages(data: &[u8], ifds: &[Ifd], budget: &Budget) -> Result<Vec<Page>, DecodeError> {
    let limits = budget.limits();
    let mut tiff_limits = ::tiff::decoder::Limits::default();
    // 16-bit RGBA at the pixel limit; the size itself is checked per page first.
    tiff_limits.decoding_buffer_size =
        usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut decoder = Decoder::new(Cursor::new(data))
        .map_err(|e| tiff_error(1, e))?
        .with_limits(tiff_limits);
    let mut pages = Vec::new();
    for (index, ifd) in ifds.iter().enumerate() {
        if index > 0 {
            decoder
                .next_image()
                .map_err(|e| tiff_error(pages.len() + 1, e))?;
        }
        if ifd.reduced {
            continue;
        }
        let number = pages.len() + 1;
        pages.push(decode_page(
            &mut decoder,
            number,
            ifd.palette_entry.is_some(),
            budget,
        )?);
    }
    Ok(pages)
}

fn decode_page(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    page: usize,
    palette: bool,
    budget: &Budget,
) -> Result<Page, DecodeError> {
    let (width, height) = decoder.dimensions().map_err(|e| tiff_error(page, e))?;
    budget.admit_page(page, width.into(), height.into())?;
    let color = decoder.colortype().map_err(|e| tiff_error(page, e))?;
    let dpi = resolution(decoder);
    let colormap = if palette {
        let map = decoder
            .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
            .map_err(|e| tiff_error(page, e))?
            .ok_or_else(|| corrupt(format!("page {page} is a palette image without a ColorMap")))?;
        Some(map)
    } else {
        None
    };
    let mut samples = DecodingResult::U8(Vec::new());
    let layout = decoder
        .read_image_to_buffer(&mut samples)
        .map_err(|e| tiff_error(page, e))?;
    if samples.as_buffer(0).byte_len() < layout.complete_len {
        return Err(corrupt(format!(
            "page {page} would need more memory than allowed"
        )));
    }
    let image = to_image(
        page,
        width,
        height,
        color,
        samples,
        layout.planes,
        colormap.as_deref(),
    )?;
    Ok(Page {
        image,
        dpi,
        original: None,
    })
}

/// XResolution with ResolutionUnit (inch by default).
fn resolution(decoder: &mut Decoder<Cursor<&[u8]>>) -> Option<u32> {
    let x = match decoder.find_tag(Tag::XResolution).ok()?? {
        Value::Rational(n, d) if d != 0 => f64::from(n) / f64::from(d),
        Value::Float(v) => f64::from(v),
        Value::Double(v) => v,
        Value::Short(v) => f64::from(v),
        Value::Unsigned(v) => f64::from(v),
        _ => return None,
    };
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    match unit {
        2 => dpi_from_density(x, true),
        3 => dpi_from_density(x, false),
        _ => None,
    }
}

/// Turns the samples the `tiff` crate gives (`planes` separate planes, or
/// one of interleaved samples) into an 8-bit gray or RGB image. After the
/// crate, 0 is black for gray images whatever the file's
/// PhotometricInterpretation said.
fn to_image(
    page: usize,
    width: u32,
    height: u32,
    color: ColorType,
    samples: DecodingResult,
    planes: usize,
    colormap: Option<&[u16]>,
) -> Result<DynamicImage, DecodeError> {
    let unsupported = |what: String| DecodeError::Unsupported {
        page,
        feature: what,
    };
    let (w, h) = (width as usize, height as usize);
    // 16-bit samples keep their high byte.
    let bytes: Vec<u8> = match samples {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.iter().map(|s| (s >> 8) as u8).collect(),
        _ => {
            return Err(unsupported(
                "TIFF samples of 32 bits or floating point".to_string(),
            ))
        }
    };
    let short = || corrupt(format!("page {page} has fewer pixels than its size says"));
    let bytes = if planes > 1 {
        let plane = w * h;
        let planar = bytes.get(..plane * planes).ok_or_else(short)?;
        let mut chunky = vec![0u8; plane * planes];
        for (p, src) in planar.chunks_exact(plane).enumerate() {
            for (i, &v) in src.iter().enumerate() {
                chunky[i * planes + p] = v;
            }
        }
        chunky
    } else {
        bytes
    };
    let channels =
        |n: usize| -> Result<&[u8], DecodeError> { bytes.get(..w * h * n).ok_or_else(short) };
    let image = match (color, colormap) {
        (ColorType::Gray(bits @ (1 | 2 | 4 | 8)), Some(map)) => {
            let entries = 1usize << bits;
            if map.len() < 3 * entries {
                return Err(corrupt(format!(
                    "page {page} has a ColorMap too short for its bit depth"
                )));
            }
            let stride = (w * usize::from(bits)).div_ceil(8);
            let mut rgb = Vec::with_capacity(w * h * 3);
            let mut row = Vec::with_capacity(w);
            for y in 0..h {
                let src = bytes.get(y * stride..(y + 1) * stride).ok_or_else(short)?;
                row.clear();
                unpack_row(src, bits, w, false, &mut row);
                for &i in &row {
                    let i = usize::from(i);
                    rgb.extend([
                        (map[i] >> 8) as u8,
                        (map[entries + i] >> 8) as u8,
                        (map[2 * entries + i] >> 8) as u8,
                    ]);
                }
            }
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(short)?)
        }
        (ColorType::Gray(bits @ (1 | 2 | 4)), None) => {
            let stride = (w * usize::from(bits)).div_ceil(8);
            let mut gray = Vec::with_capacity(w * h);
            for y in 0..h {
                let src = bytes.get(y * stride..(y + 1) * stride).ok_or_else(short)?;
                unpack_row(src, bits, w, true, &mut gray);
            }
            DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, gray).ok_or_else(short)?)
        }
        (ColorType::Gray(8 | 16), None) => DynamicImage::ImageLuma8(
            GrayImage::from_raw(width, height, channels(1)?.to_vec()).ok_or_else(short)?,
        ),
        (
            ColorType::Multiband {
                bit_depth: 8 | 16,
                num_samples: 2,
            },
            None,
        ) => {
            let la = channels(2)?;
            let gray = la.chunks_exact(2).map(|p| over_white(p[0], p[1])).collect();
            DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, gray).ok_or_else(short)?)
        }
        (ColorType::RGB(8 | 16), None) => DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, channels(3)?.to_vec()).ok_or_else(short)?,
        ),
        (ColorType::RGBA(8 | 16), None) => {
            let rgba = channels(4)?;
            let rgb = rgba
                .chunks_exact(4)
                .flat_map(|p| {
                    [
                        over_white(p[0], p[3]),
                        over_white(p[1], p[3]),
                        over_white(p[2], p[3]),
                    ]
                })
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(short)?)
        }
        (ColorType::CMYK(8 | 16), None) => {
            let cmyk = channels(4)?;
            let rgb = cmyk
                .chunks_exact(4)
                .flat_map(|p| cmyk_to_rgb(p[0], p[1], p[2], p[3]))
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(short)?)
        }
        (ColorType::YCbCr(8), None) => {
            let ycc = channels(3)?;
            let rgb = ycc
                .chunks_exact(3)
                .flat_map(|p| ycbcr_to_rgb(p[0], p[1], p[2]))
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(short)?)
        }
        (other, _) => return Err(unsupported(format!("the TIFF colour type {other:?}"))),
    };
    Ok(image)
}

/// JFIF YCbCr to RGB.
fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [
        clamp(y + 1.402 * cr),
        clamp(y - 0.344_136 * cb - 0.714_136 * cr),
        clamp(y + 1.772 * cb),
    ]
}

/// Maps a `tiff` crate error on page `page` to a [`DecodeError`].
fn tiff_error(page: usize, err: TiffError) -> DecodeError {
    match err {
        TiffError::UnsupportedError(e) => DecodeError::Unsupported {
            page,
            feature: unsupported_feature(&e),
        },
        TiffError::LimitsExceeded => {
            corrupt(format!("page {page} would need more memory than allowed"))
        }
        TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            corrupt(format!("page {page} ends early; the file may be truncated"))
        }
        other => corrupt(format!("page {page}: {other}")),
    }
}

fn unsupported_feature(e: &TiffUnsupportedError) -> String {
    match e {
        TiffUnsupportedError::UnsupportedCompressionMethod(m) => match m {
            CompressionMethod::Fax3 => "CCITT G3 compression in TIFF".into(),
            CompressionMethod::Huffman => "CCITT modified Huffman compression in TIFF".into(),
            CompressionMethod::JPEG => "old-style JPEG compression in TIFF".into(),
            other => format!("TIFF compression {other:?}"),
        },
        TiffUnsupportedError::UnknownCompressionMethod => "an unknown TIFF compression".into(),
        other => format!("an unusual TIFF layout ({other})"),
    }
}
