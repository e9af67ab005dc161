//! Image samples as PDF stores them: Flate with PNG or TIFF predictors, CCITT
//! fax (G4, and G3 one-dimensional), packed 1 to 16-bit samples, Decode
//! arrays, and the colour spaces a scan uses.

use std::convert::Infallible;
use std::io::Read;

use fax::decoder::{pels, DecodeStatus, Group4Decoder};
use fax::maps::{black, white};
use fax::{BitReader, ByteReader, Color};
use image::{DynamicImage, GrayImage, RgbImage};

/// Appends `count` samples of `bits` bits each (1, 2, 4, 8 or 16, packed
/// most significant bit first) from `src` to `out` as bytes: scaled to 0–255
/// when `scale` is set, raw values otherwise (16-bit keeps its high byte).
pub(crate) fn unpack_row(src: &[u8], bits: u8, count: usize, scale: bool, out: &mut Vec<u8>) {
    match bits {
        8 => out.extend(src.iter().take(count)),
        16 => out.extend(src.chunks_exact(2).take(count).map(|s| s[0])),
        1 | 2 | 4 => {
            let per_byte = 8 / usize::from(bits);
            let max = (1u16 << bits) - 1;
            let mut left = count;
            for &byte in src {
                for i in 0..per_byte {
                    if left == 0 {
                        return;
                    }
                    let shift = 8 - usize::from(bits) * (i + 1);
                    let v = (u16::from(byte) >> shift) & max;
                    out.push(if scale {
                        (v * 255 / max) as u8
                    } else {
                        v as u8
                    });
                    left -= 1;
                }
            }
        }
        _ => {}
    }
}

/// Naive CMYK to RGB, the conversion PDF viewers use without a profile.
pub(crate) fn cmyk_to_rgb(c: u8, m: u8, y: u8, k: u8) -> [u8; 3] {
    let ink = |v: u8| ((255 - u32::from(v)) * (255 - u32::from(k)) / 255) as u8;
    [ink(c), ink(m), ink(y)]
}

/// Inflates zlib (or, failing that, raw deflate) data, keeping at most `max`
/// bytes. Data after a damaged point is dropped; whether what is left is
/// enough is for the caller to judge.
pub(crate) fn inflate(data: &[u8], max: usize) -> Vec<u8> {
    let limit = u64::try_from(max).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() {
        let _ = flate2::read::DeflateDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out);
    }
    out
}

/// Undoes a Flate/LZW predictor. `colors`, `bpc` and `columns` describe a
/// row; `Err` says what is not supported.
pub(crate) fn unpredict(
    data: Vec<u8>,
    predictor: i32,
    colors: usize,
    bpc: usize,
    columns: usize,
) -> Result<Vec<u8>, String> {
    let row_len = (columns * colors * bpc).div_ceil(8);
    match predictor {
        ..=1 => Ok(data),
        2 => {
            let mut data = data;
            if row_len == 0 {
                return Ok(data);
            }
            match bpc {
                8 => {
                    for row in data.chunks_mut(row_len) {
                        for i in colors..row.len() {
                            row[i] = row[i].wrapping_add(row[i - colors]);
                        }
                    }
                }
                16 => {
                    for row in data.chunks_mut(row_len) {
                        for i in (2 * colors..row.len().saturating_sub(1)).step_by(2) {
                            let prev =
                                u16::from_be_bytes([row[i - 2 * colors], row[i + 1 - 2 * colors]]);
                            let cur = u16::from_be_bytes([row[i], row[i + 1]]);
                            let [hi, lo] = cur.wrapping_add(prev).to_be_bytes();
                            row[i] = hi;
                            row[i + 1] = lo;
                        }
                    }
                }
                _ => return Err(format!("the TIFF predictor with {bpc}-bit samples")),
            }
            Ok(data)
        }
        10..=15 => {
            let bpp = (colors * bpc).div_ceil(8).max(1);
            let mut out = Vec::with_capacity(data.len());
            let mut prev = vec![0u8; row_len];
            let mut cur = vec![0u8; row_len];
            for chunk in data.chunks(row_len + 1) {
                if chunk.len() < row_len + 1 {
                    break;
                }
                let kind = chunk[0];
                cur.copy_from_slice(&chunk[1..]);
                for i in 0..row_len {
                    let a = if i >= bpp { cur[i - bpp] } else { 0 };
                    let b = prev[i];
                    let c = if i >= bpp { prev[i - bpp] } else { 0 };
                    let add = match kind {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                        4 => paeth(a, b, c),
                        other => return Err(format!("PNG predictor row type {other}")),
                    };
                    cur[i] = cur[i].wrapping_add(add);
                }
                out.extend_from_slice(&cur);
                std::mem::swap(&mut prev, &mut cur);
            }
            Ok(out)
        }
        other => Err(format!("predictor {other}")),
    }
}

/// The PNG Paeth predictor.
pub(crate) fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// How a CCITT fax stream is coded (the PDF `CCITTFaxDecode` parameters).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaxParams {
    /// `K`: negative for G4, zero for G3 one-dimensional, positive for G3
    /// two-dimensional.
    pub k: i32,
    /// Pixels per coded row.
    pub columns: u32,
    /// Rows to decode.
    pub rows: u32,
    /// Whether a 1 sample is black.
    pub black_is_1: bool,
    /// Rows start on a byte boundary.
    pub byte_align: bool,
}

/// Why a fax stream could not be decoded.
#[derive(Debug)]
pub(crate) enum FaxError {
    /// A coding variant this decoder does not read.
    Unsupported(String),
    /// The data is damaged.
    Corrupt(String),
}

/// Decodes a CCITT fax stream into packed 1-bit rows of `width` pixels, in
/// PDF sample order: a sample is 1 for black when `black_is_1`, else 0 is
/// black. Missing rows at the end are white.
pub(crate) fn decode_fax(data: &[u8], p: FaxParams, width: u32) -> Result<Vec<u8>, FaxError> {
    let columns = u16::try_from(p.columns)
        .map_err(|_| FaxError::Unsupported(format!("CCITT rows of {} pixels", p.columns)))?;
    let out_width = u16::try_from(width)
        .map_err(|_| FaxError::Unsupported(format!("CCITT rows of {width} pixels")))?;
    let stride = usize::from(out_width).div_ceil(8);
    let rows = p.rows as usize;
    let white_bit = !p.black_is_1;
    let white_byte = if white_bit { 0xFF } else { 0x00 };
    let mut out = Vec::with_capacity(stride * rows);
    let push_row = |transitions: &[u16], out: &mut Vec<u8>| {
        let start = out.len();
        out.resize(start + stride, 0);
        let row = &mut out[start..];
        for (x, color) in pels(transitions, out_width).enumerate() {
            let bit = if color == Color::Black {
                p.black_is_1
            } else {
                white_bit
            };
            if bit {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
    };
    let reader = || data.iter().map(|&b| Ok::<u8, Infallible>(b));
    if p.k < 0 {
        if p.byte_align {
            return Err(FaxError::Unsupported("byte-aligned CCITT G4".into()));
        }
        let mut decoder = Group4Decoder::new(reader(), columns)
            .map_err(|_| FaxError::Corrupt("the CCITT data is empty".into()))?;
        let mut decoded = 0;
        while decoded < rows {
            match decoder.advance() {
                Ok(DecodeStatus::Incomplete) => {
                    push_row(decoder.transition(), &mut out);
                    decoded += 1;
                }
                Ok(DecodeStatus::End) => break,
                Err(_) => {
                    return Err(FaxError::Corrupt(format!(
                        "the CCITT G4 data is damaged at row {}",
                        decoded + 1
                    )))
                }
            }
        }
    } else if p.k == 0 {
        let mut bits = ByteReader::new(reader())
            .map_err(|_| FaxError::Corrupt("the CCITT data is empty".into()))?;
        let mut transitions = Vec::new();
        for row in 0..rows {
            if p.byte_align {
                let skip = bits.bits_to_byte_boundary();
                let _ = bits.consume(skip);
            }
            skip_eols(&mut bits);
            if bits.peek(1).is_none() {
                break;
            }
            transitions.clear();
            if !read_mh_row(&mut bits, columns, &mut transitions) {
                return Err(FaxError::Corrupt(format!(
                    "the CCITT G3 data is damaged at row {}",
                    row + 1
                )));
            }
            push_row(&transitions, &mut out);
        }
    } else {
        return Err(FaxError::Unsupported("CCITT G3 2-D (K > 0)".into()));
    }
    out.resize(stride * rows, white_byte);
    Ok(out)
}

/// Skips fill bits and end-of-line codes before a G3 row.
fn skip_eols<R: BitReader>(bits: &mut R) {
    loop {
        match bits.peek(12) {
            Some(1) => {
                let _ = bits.consume(12);
            }
            Some(0) => {
                let _ = bits.consume(1);
            }
            _ => return,
        }
    }
}

/// Reads one modified Huffman row of `width` pixels as change positions.
fn read_mh_row<R: BitReader>(bits: &mut R, width: u16, transitions: &mut Vec<u16>) -> bool {
    let mut a0: u16 = 0;
    let mut color = Color::White;
    while a0 < width {
        let mut run: u16 = 0;
        loop {
            let code = match color {
                Color::White => white::decode(bits),
                Color::Black => black::decode(bits),
            };
            let Some(n) = code else {
                return false;
            };
            run = match run.checked_add(n) {
                Some(r) => r,
                None => return false,
            };
            if n < 64 {
                break;
            }
        }
        a0 = a0.saturating_add(run).min(width);
        transitions.push(a0);
        color = !color;
    }
    true
}

/// The colour space of PDF image samples, reduced to what a scan needs.
#[derive(Debug, Clone)]
pub(crate) enum ColorModel {
    /// One component, 0 is black.
    Gray,
    /// One component of ink, 0 is white (a Separation).
    Ink,
    /// Red, green, blue.
    Rgb,
    /// Cyan, magenta, yellow, black.
    Cmyk,
    /// Indexes into `lookup`, entries of the base model.
    Indexed {
        /// The base colour model (not itself indexed).
        base: Box<ColorModel>,
        /// Largest valid index.
        hival: u8,
        /// The palette, `(hival + 1) × components(base)` bytes.
        lookup: Vec<u8>,
    },
}

impl ColorModel {
    /// Components per sample.
    pub fn components(&self) -> usize {
        match self {
            ColorModel::Gray | ColorModel::Ink | ColorModel::Indexed { .. } => 1,
            ColorModel::Rgb => 3,
            ColorModel::Cmyk => 4,
        }
    }

    fn is_gray(&self) -> bool {
        match self {
            ColorModel::Gray | ColorModel::Ink => true,
            ColorModel::Rgb | ColorModel::Cmyk => false,
            ColorModel::Indexed { base, .. } => base.is_gray(),
        }
    }
}

/// Packed image samples and how to read them.
pub(crate) struct Samples<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bits per component: 1, 2, 4, 8 or 16.
    pub bpc: u8,
    /// Colour space.
    pub model: &'a ColorModel,
    /// The `Decode` array, if any.
    pub decode: Option<&'a [f32]>,
    /// Rows of samples, each starting on a byte boundary.
    pub data: &'a [u8],
}

/// Turns packed samples into an 8-bit gray or RGB image. `Err` says how much
/// data was missing.
pub(crate) fn to_image(s: &Samples<'_>) -> Result<DynamicImage, String> {
    let (w, h) = (s.width as usize, s.height as usize);
    let comps = s.model.components();
    let stride = (w * comps * usize::from(s.bpc)).div_ceil(8);
    let needed = stride * h;
    if s.data.len() < needed {
        return Err(format!(
            "the image data has {} of the {needed} bytes its size needs",
            s.data.len()
        ));
    }
    let indexed = matches!(s.model, ColorModel::Indexed { .. });
    let max = f32::from((1u16 << s.bpc.min(8)) - 1);
    // Per component: output = lo + v × (hi − lo), on the 0–1 (or index) scale.
    let decode: Option<Vec<(f32, f32)>> = s
        .decode
        .filter(|d| d.len() >= 2 * comps)
        .map(|d| {
            d.chunks_exact(2)
                .take(comps)
                .map(|p| (p[0], p[1]))
                .collect()
        })
        .filter(|d: &Vec<(f32, f32)>| {
            let identity = if indexed { (0.0, max) } else { (0.0, 1.0) };
            d.iter().any(|&p| p != identity)
        });
    let gray_out = s.model.is_gray();
    let mut out = Vec::with_capacity(w * h * if gray_out { 1 } else { 3 });
    let mut row = Vec::with_capacity(w * comps);
    for y in 0..h {
        row.clear();
        unpack_row(
            &s.data[y * stride..(y + 1) * stride],
            s.bpc,
            w * comps,
            !indexed,
            &mut row,
        );
        if let Some(d) = &decode {
            for (i, v) in row.iter_mut().enumerate() {
                let (lo, hi) = d[i % comps];
                *v = if indexed {
                    (lo + f32::from(*v) * (hi - lo) / max)
                        .round()
                        .clamp(0.0, 255.0) as u8
                } else {
                    ((lo + f32::from(*v) / 255.0 * (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8
                };
            }
        }
        push_pixels(s.model, &row, &mut out);
    }
    let image = if gray_out {
        GrayImage::from_raw(s.width, s.height, out).map(DynamicImage::ImageLuma8)
    } else {
        RgbImage::from_raw(s.width, s.height, out).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| "the image data does not fill the image".to_string())
}

fn push_pixels(model: &ColorModel, row: &[u8], out: &mut Vec<u8>) {
    match model {
        ColorModel::Gray => out.extend_from_slice(row),
        ColorModel::Ink => out.extend(row.iter().map(|v| 255 - v)),
        ColorModel::Rgb => out.extend_from_slice(row),
        ColorModel::Cmyk => {
            for p in row.chunks_exact(4) {
                out.extend(cmyk_to_rgb(p[0], p[1], p[2], p[3]));
            }
        }
        ColorModel::Indexed {
            base,
            hival,
            lookup,
        } => {
            let n = base.components();
            let mut entry = Vec::with_capacity(n);
            for &i in row {
                let i = usize::from(i.min(*hival));
                entry.clear();
                match lookup.get(i * n..(i + 1) * n) {
                    Some(e) => entry.extend_from_slice(e),
                    None => entry.resize(n, 0),
                }
                push_pixels(base, &entry, out);
            }
        }
    }
}
