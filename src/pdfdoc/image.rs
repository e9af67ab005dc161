//! Image XObjects: a JPEG embedded as is (`/DCTDecode`), or pixels compressed with
//! Flate as 1-bit (pages that are pure black and white), 8-bit gray or 8-bit RGB.

use image::DynamicImage;
use lopdf::{Dictionary, Object, Stream};

use super::deflate_level;

/// What a JPEG's frame header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour components: 1 gray, 3 YCbCr/RGB, 4 CMYK.
    pub components: u8,
    /// Whether an Adobe APP14 marker is present (its CMYK is stored inverted).
    pub adobe: bool,
}

/// Reads the frame header of a JPEG that a PDF reader can decode with
/// `/DCTDecode`: baseline or progressive Huffman, 8 bits, 1, 3 or 4 components.
/// `None` for anything else (arithmetic coding, 12 bits, damaged markers).
pub fn jpeg_info(data: &[u8]) -> Option<JpegInfo> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return None;
    }
    let mut adobe = false;
    let mut i = 2usize;
    loop {
        // Skip to the next marker (0xFF, possibly padded with more 0xFF).
        while *data.get(i)? != 0xFF {
            i += 1;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *data.get(i)?;
        i += 1;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]));
        if len < 2 {
            return None;
        }
        let seg = data.get(i + 2..i + len)?;
        match marker {
            0xEE if seg.starts_with(b"Adobe") => adobe = true,
            0xC0..=0xC2 => {
                let precision = *seg.first()?;
                let height = u32::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
                let width = u32::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
                let components = *seg.get(5)?;
                if precision != 8 || width == 0 || height == 0 {
                    return None;
                }
                if !matches!(components, 1 | 3 | 4) {
                    return None;
                }
                return Some(JpegInfo {
                    width,
                    height,
                    components,
                    adobe,
                });
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            _ => {}
        }
        i += len;
    }
}

/// An image XObject holding a JPEG byte for byte.
pub fn jpeg_xobject(data: &[u8], info: JpegInfo) -> Stream {
    let mut dict = image_dict(info.width, info.height);
    let space = match info.components {
        1 => "DeviceGray",
        4 => "DeviceCMYK",
        _ => "DeviceRGB",
    };
    dict.set("ColorSpace", space);
    dict.set("BitsPerComponent", 8);
    if info.components == 4 && info.adobe {
        dict.set(
            "Decode",
            [1, 0, 1, 0, 1, 0, 1, 0]
                .into_iter()
                .map(Object::Integer)
                .collect::<Vec<_>>(),
        );
    }
    dict.set("Filter", "DCTDecode");
    Stream::new(dict, data.to_vec()).with_compression(false)
}

/// What a PNG's header says, for a PNG whose compressed data a PDF reader
/// can use as is: gray (1, 2, 4 or 8 bits) or 8-bit RGB, not interlaced,
/// without transparency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour components: 1 gray, 3 RGB.
    pub colors: u8,
    /// Bits per component.
    pub bits: u8,
}

/// The chunks of a PNG after its signature: (type, data). Stops at the
/// first chunk cut short.
pub fn png_chunks(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let body = data
        .strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice())
        .unwrap_or_default();
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let head = body.get(pos..pos + 8)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let chunk = body.get(pos + 8..(pos + 8).checked_add(len)?)?;
        pos = pos + 12 + len; // length, type, data, CRC
        Some((&head[4..8], chunk))
    })
}

/// A PNG's image data: its IDAT chunks joined, one zlib stream.
pub fn png_idat(data: &[u8]) -> Vec<u8> {
    png_chunks(data)
        .filter(|(kind, _)| *kind == b"IDAT")
        .flat_map(|(_, chunk)| chunk.iter().copied())
        .collect()
}

/// Reads a PNG's header; `None` unless its data can be embedded as is (see
/// [`PngInfo`]) and its image data is complete.
pub fn png_info(data: &[u8]) -> Option<PngInfo> {
    let mut info = None;
    let mut ended = false;
    for (kind, chunk) in png_chunks(data) {
        match kind {
            b"IHDR" if chunk.len() == 13 && info.is_none() => {
                let width = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                let height = u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
                let (bits, color) = (chunk[8], chunk[9]);
                let (compression, filter, interlace) = (chunk[10], chunk[11], chunk[12]);
                let colors = match (color, bits) {
                    (0, 1 | 2 | 4 | 8) => 1,
                    (2, 8) => 3,
                    _ => return None,
                };
                if width == 0 || height == 0 || (compression, filter, interlace) != (0, 0, 0) {
                    return None;
                }
                info = Some(PngInfo {
                    width,
                    height,
                    colors,
                    bits,
                });
            }
            b"IHDR" | b"tRNS" => return None,
            b"IEND" => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    info.filter(|_| ended)
}

/// An image XObject holding a PNG's compressed rows as is: Flate with the
/// PNG row predictors. `None` when the PNG has no image data.
pub fn png_xobject(data: &[u8], info: PngInfo) -> Option<Stream> {
    let idat = png_idat(data);
    if idat.is_empty() {
        return None;
    }
    let mut dict = image_dict(info.width, info.height);
    dict.set(
        "ColorSpace",
        if info.colors == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        },
    );
    dict.set("BitsPerComponent", i64::from(info.bits));
    dict.set("Filter", "FlateDecode");
    let mut params = Dictionary::new();
    params.set("Predictor", 15);
    params.set("Colors", i64::from(info.colors));
    params.set("BitsPerComponent", i64::from(info.bits));
    params.set("Columns", i64::from(info.width));
    dict.set("DecodeParms", params);
    Some(Stream::new(dict, idat).with_compression(false))
}

/// An image XObject holding pixels: 1-bit when every pixel is black or white,
/// else 8-bit gray or RGB (alpha dropped), Flate-compressed.
pub fn pixel_xobject(img: &DynamicImage) -> Stream {
    let (width, height) = (img.width(), img.height());
    let mut dict = image_dict(width, height);
    let raw = if img.color().has_color() {
        dict.set("ColorSpace", "DeviceRGB");
        dict.set("BitsPerComponent", 8);
        img.to_rgb8().into_raw()
    } else {
        let gray = img.to_luma8();
        dict.set("ColorSpace", "DeviceGray");
        if gray.as_raw().iter().all(|&p| p == 0 || p == 255) {
            dict.set("BitsPerComponent", 1);
            dict.set("Filter", "FlateDecode");
            let packed = pack_bits(gray.as_raw(), width as usize);
            return Stream::new(dict, deflate_level(&packed, 9)).with_compression(false);
        }
        dict.set("BitsPerComponent", 8);
        gray.into_raw()
    };
    // 8-bit samples are large: a middle compression level.
    dict.set("Filter", "FlateDecode");
    Stream::new(dict, deflate_level(&raw, 6)).with_compression(false)
}

/// Packs 0/255 gray rows into 1-bit rows (1 = white), each row padded to a byte.
fn pack_bits(gray: &[u8], width: usize) -> Vec<u8> {
    if width == 0 {
        return Vec::new();
    }
    let row_bytes = width.div_ceil(8);
    let mut out = Vec::with_capacity(row_bytes * (gray.len() / width));
    for row in gray.chunks(width) {
        for byte in row.chunks(8) {
            let mut b = 0u8;
            for (k, &p) in byte.iter().enumerate() {
                if p != 0 {
                    b |= 0x80 >> k;
                }
            }
            out.push(b);
        }
    }
    out
}

fn image_dict(width: u32, height: u32) -> Dictionary {
    let mut dict = Dictionary::new();
    dict.set("Type", "XObject");
    dict.set("Subtype", "Image");
    dict.set("Width", i64::from(width));
    dict.set("Height", i64::from(height));
    dict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_black_and_white_rows_to_bits() {
        let gray = [
            0, 255, 255, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 255,
        ];
        assert_eq!(
            pack_bits(&gray, 9),
            vec![0b0110_0000, 0b1000_0000, 0b1000_0000, 0b1000_0000]
        );
    }

    #[test]
    fn only_pngs_a_pdf_can_draw_as_they_are_pass() {
        let gray = image::GrayImage::from_fn(9, 5, |x, y| image::Luma([(x * 20 + y) as u8]));
        let mut png = Vec::new();
        gray.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let info = png_info(&png).expect("an 8-bit gray PNG");
        assert_eq!(
            (info.width, info.height, info.colors, info.bits),
            (9, 5, 1, 8)
        );
        assert!(!png_idat(&png).is_empty());
        // IHDR's data starts at byte 16: colour type at 25, interlace at 28.
        let with = |at: usize, v: u8| {
            let mut p = png.clone();
            p[at] = v;
            p
        };
        assert_eq!(png_info(&with(25, 3)), None, "palette");
        assert_eq!(png_info(&with(25, 4)), None, "gray with alpha");
        assert_eq!(png_info(&with(24, 16)), None, "16 bits");
        assert_eq!(png_info(&with(28, 1)), None, "interlaced");
        assert_eq!(png_info(&png[..png.len() - 12]), None, "no IEND");
        let mut trns = png[..33].to_vec();
        trns.extend_from_slice(&[0, 0, 0, 2, b't', b'R', b'N', b'S', 0, 0, 0, 0, 0, 0]);
        trns.extend_from_slice(&png[33..]);
        assert_eq!(png_info(&trns), None, "transparency");
        assert_eq!(png_info(b"not a png"), None);
    }

    #[test]
    fn rejects_what_is_not_a_jpeg() {
        assert_eq!(jpeg_info(b""), None);
        assert_eq!(jpeg_info(b"\xFF\xD8\xFF"), None);
        assert_eq!(jpeg_info(b"%PDF-1.7"), None);
    }
}
