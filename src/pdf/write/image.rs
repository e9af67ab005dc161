//! Image XObjects: a JPEG embedded as is (`/DCTDecode`), or pixels compressed with
//! Flate as 1-bit (pages that are pure black and white), 8-bit gray or 8-bit RGB.

use image::DynamicImage;
use lopdf::{Dictionary, Object, Stream};

use super::deflate_level;
use crate::headers::{png_idat, JpegHeader, PngHeader};

/// An image XObject holding a JPEG byte for byte.
pub fn jpeg_xobject(data: &[u8], info: JpegHeader) -> Stream {
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

/// An image XObject holding a PNG's compressed rows as is: Flate with the
/// PNG row predictors. `None` when the PNG has no image data.
/// `colors` is [`PngHeader::pdf_colors`].
pub fn png_xobject(data: &[u8], info: &PngHeader, colors: u8) -> Option<Stream> {
    let idat = png_idat(data);
    if idat.is_empty() {
        return None;
    }
    let mut dict = image_dict(info.width, info.height);
    dict.set(
        "ColorSpace",
        if colors == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        },
    );
    let bits = info.format.map_or(8, |f| f.bit_depth);
    dict.set("BitsPerComponent", i64::from(bits));
    dict.set("Filter", "FlateDecode");
    let mut params = Dictionary::new();
    params.set("Predictor", 15);
    params.set("Colors", i64::from(colors));
    params.set("BitsPerComponent", i64::from(bits));
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
}
