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
    fn rejects_what_is_not_a_jpeg() {
        assert_eq!(jpeg_info(b""), None);
        assert_eq!(jpeg_info(b"\xFF\xD8\xFF"), None);
        assert_eq!(jpeg_info(b"%PDF-1.7"), None);
    }
}
