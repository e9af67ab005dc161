//! Scan containers: PNG, JPEG, multi-page CCITT G4 TIFF and image-only PDF.

use std::io::Cursor;

use fax::encoder::Encoder;
use fax::{Color, VecWriter};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder};
use lopdf::{dictionary, Document, Object, Stream};

use super::degrade::Raster;
use super::SampleError;

/// PNG of a gray or colour page, with its resolution in a `pHYs` chunk
/// (none when `dpi` is `None`, as many phone apps write).
pub(crate) fn png(page: &Raster, dpi: Option<u32>) -> Result<Vec<u8>, SampleError> {
    let mut out = Vec::new();
    let enc = PngEncoder::new(&mut out);
    let (w, h) = (page.width(), page.height());
    let res = match page {
        Raster::Gray(g) => enc.write_image(g.as_raw(), w, h, ExtendedColorType::L8),
        Raster::Rgb(c) => enc.write_image(c.as_raw(), w, h, ExtendedColorType::Rgb8),
    };
    res.map_err(|source| SampleError::Image {
        what: "PNG",
        source,
    })?;
    Ok(match dpi {
        Some(dpi) => with_phys(out, dpi),
        None => out,
    })
}

/// Inserts a `pHYs` chunk (pixels per metre) right after `IHDR`.
fn with_phys(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
    const AFTER_IHDR: usize = 8 + 25;
    if png.len() < AFTER_IHDR || &png[12..16] != b"IHDR" {
        return png;
    }
    let ppm = (f64::from(dpi) / 0.0254).round() as u32;
    let mut body = Vec::with_capacity(13);
    body.extend_from_slice(b"pHYs");
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1);
    let mut crc = flate2::Crc::new();
    crc.update(&body);
    let mut out = Vec::with_capacity(png.len() + 21);
    out.extend_from_slice(&png[..AFTER_IHDR]);
    out.extend_from_slice(&9u32.to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out.extend_from_slice(&png[AFTER_IHDR..]);
    out
}

/// Baseline JPEG of a page (gray pages stay single-channel); without `dpi`
/// the JFIF header gives only a 1:1 aspect ratio.
pub(crate) fn jpeg(page: &Raster, quality: u8, dpi: Option<u32>) -> Result<Vec<u8>, SampleError> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(dpi) = dpi {
        enc.set_pixel_density(PixelDensity::dpi(u16::try_from(dpi).unwrap_or(300)));
    }
    let (w, h) = (page.width(), page.height());
    let res = match page {
        Raster::Gray(g) => enc.encode(g.as_raw(), w, h, ExtendedColorType::L8),
        Raster::Rgb(c) => enc.encode(c.as_raw(), w, h, ExtendedColorType::Rgb8),
    };
    res.map_err(|source| SampleError::Image {
        what: "JPEG",
        source,
    })?;
    Ok(out)
}

/// A 1-bit page: `true` is black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bilevel {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) black: Vec<bool>,
}

impl Bilevel {
    /// Pixels darker than `threshold` become black.
    pub(crate) fn threshold(page: &GrayImage, threshold: u8) -> Bilevel {
        Bilevel {
            width: page.width(),
            height: page.height(),
            black: page.as_raw().iter().map(|&v| v < threshold).collect(),
        }
    }

    /// Rows packed MSB first, one bit per pixel, 1 is black, each row padded to a byte.
    #[cfg(test)]
    pub(crate) fn packed(&self) -> Vec<u8> {
        let w = self.width as usize;
        let mut out = Vec::new();
        for row in self.black.chunks_exact(w.max(1)) {
            for byte in row.chunks(8) {
                let mut v = 0u8;
                for (i, &b) in byte.iter().enumerate() {
                    v |= u8::from(b) << (7 - i);
                }
                out.push(v);
            }
        }
        out
    }
}

/// CCITT Group 4 (T.6) bits of one page.
fn g4(page: &Bilevel) -> Result<Vec<u8>, SampleError> {
    let width =
        u16::try_from(page.width).map_err(|_| SampleError::PageTooWide { width: page.width })?;
    let mut enc = Encoder::new(VecWriter::new());
    let w = page.width as usize;
    if w > 0 {
        for row in page.black.chunks_exact(w) {
            let pels = row
                .iter()
                .map(|&b| if b { Color::Black } else { Color::White });
            // VecWriter never fails.
            let Ok(()) = enc.encode_line(pels, width);
        }
    }
    let Ok(writer) = enc.finish();
    Ok(writer.finish())
}

/// One IFD entry: tag, type, count, value or offset.
struct Tag(u16, u16, u32, u32);

const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

/// A little-endian multi-page TIFF, one CCITT G4 strip per page,
/// `PhotometricInterpretation` WhiteIsZero; without `dpi`, no resolution tags.
pub(crate) fn tiff_g4(pages: &[Bilevel], dpi: Option<u32>) -> Result<Vec<u8>, SampleError> {
    let mut out: Vec<u8> = vec![b'I', b'I', 42, 0, 0, 0, 0, 0];
    // Where the previous "next IFD" pointer lives (first: in the header).
    let mut link_at = 4usize;
    let total = u16::try_from(pages.len()).unwrap_or(u16::MAX);
    for (n, page) in pages.iter().enumerate() {
        let data = g4(page)?;
        let strip_at = out.len() as u32;
        out.extend_from_slice(&data);
        // Resolution rationals, word aligned.
        if !out.len().is_multiple_of(2) {
            out.push(0);
        }
        let res_at = out.len() as u32;
        if let Some(dpi) = dpi {
            for _ in 0..2 {
                out.extend_from_slice(&dpi.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
            }
        }
        let ifd_at = out.len() as u32;
        let page_number = u32::from(n as u16) | (u32::from(total) << 16);
        let mut tags = vec![
            Tag(254, LONG, 1, if pages.len() > 1 { 2 } else { 0 }), // NewSubfileType: page
            Tag(256, LONG, 1, page.width),                          // ImageWidth
            Tag(257, LONG, 1, page.height),                         // ImageLength
            Tag(258, SHORT, 1, 1),                                  // BitsPerSample
            Tag(259, SHORT, 1, 4),                                  // Compression: CCITT T.6
            Tag(262, SHORT, 1, 0),                                  // Photometric: WhiteIsZero
            Tag(273, LONG, 1, strip_at),                            // StripOffsets
            Tag(277, SHORT, 1, 1),                                  // SamplesPerPixel
            Tag(278, LONG, 1, page.height),                         // RowsPerStrip
            Tag(279, LONG, 1, data.len() as u32),                   // StripByteCounts
            Tag(282, RATIONAL, 1, res_at),                          // XResolution
            Tag(283, RATIONAL, 1, res_at + 8),                      // YResolution
            Tag(293, LONG, 1, 0),                                   // T6Options
            Tag(296, SHORT, 1, 2),                                  // ResolutionUnit: inch
            Tag(297, SHORT, 2, page_number),                        // PageNumber
        ];
        if dpi.is_none() {
            tags.retain(|t| !matches!(t.0, 282 | 283 | 296));
        }
        out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
        for Tag(tag, typ, count, value) in tags {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        link_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    Ok(out)
}

/// One page of an image-only PDF: JPEG bytes and their geometry.
pub(crate) struct PdfPage {
    pub(crate) jpeg: Vec<u8>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) gray: bool,
    pub(crate) dpi: u32,
}

/// An image-only PDF: each page one DCT image filling the page, no text layer.
pub(crate) fn pdf(pages: Vec<PdfPage>) -> Result<Vec<u8>, SampleError> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for p in pages {
        let w_pt = f64::from(p.width) * 72.0 / f64::from(p.dpi);
        let h_pt = f64::from(p.height) * 72.0 / f64::from(p.dpi);
        let mut image = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => i64::from(p.width),
                "Height" => i64::from(p.height),
                "ColorSpace" => if p.gray { "DeviceGray" } else { "DeviceRGB" },
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            p.jpeg,
        );
        image.allows_compression = false;
        let image_id = doc.add_object(image);
        let content = format!("q {w_pt:.2} 0 0 {h_pt:.2} 0 0 cm /Im0 Do Q\n");
        let mut content = Stream::new(dictionary! {}, content.into_bytes());
        content.allows_compression = false;
        let content_id = doc.add_object(content);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(w_pt as f32), Object::Real(h_pt as f32)],
            "Resources" => dictionary! {
                "XObject" => dictionary! { "Im0" => image_id },
            },
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Cursor::new(Vec::new());
    doc.save_to(&mut out)
        .map_err(|source| SampleError::Pdf { source })?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn pattern(w: u32, h: u32, seed: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let v = (x * 7 + y * 13 + seed) % 23;
            let on = v < 5 || (x / 9 + y / 5 + seed).is_multiple_of(7) || x == 0 || x == w - 1;
            Luma([if on { 0 } else { 255 }])
        })
    }

    #[test]
    fn g4_tiff_round_trips_through_the_tiff_crate() {
        let pages = [
            Bilevel::threshold(&pattern(301, 77, 1), 128),
            Bilevel::threshold(&pattern(120, 40, 5), 128),
        ];
        let bytes = tiff_g4(&pages, Some(200)).unwrap();
        let mut dec = tiff::decoder::Decoder::new(Cursor::new(bytes)).unwrap();
        for (i, page) in pages.iter().enumerate() {
            if i > 0 {
                dec.next_image().unwrap();
            }
            assert_eq!(dec.dimensions().unwrap(), (page.width, page.height));
            let tiff::decoder::DecodingResult::U8(bits) = dec.read_image().unwrap() else {
                panic!("page {i} is not 8-bit packed");
            };
            // The decoder normalizes WhiteIsZero to BlackIsZero: 1 is white.
            let expected: Vec<u8> = page.packed().iter().map(|b| !b).collect();
            assert_eq!(bits, expected, "page {i}");
        }
        assert!(!dec.more_images());
    }

    #[test]
    fn png_carries_its_resolution() {
        let g = Raster::Gray(pattern(10, 10, 0));
        let bytes = png(&g, Some(200)).unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!(img.width(), 10);
        let at = bytes.windows(4).position(|w| w == b"pHYs").unwrap();
        let ppm = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        assert_eq!(ppm, 7874);
    }

    #[test]
    fn untagged_containers_carry_no_resolution() {
        let g = Raster::Gray(pattern(10, 10, 0));
        let png = png(&g, None).unwrap();
        assert!(image::load_from_memory(&png).is_ok());
        assert!(!png.windows(4).any(|w| w == b"pHYs"));
        let jpg = jpeg(&g, 80, None).unwrap();
        // JFIF APP0: density unit 0 (aspect ratio only) after "JFIF\0" and the version.
        let at = jpg.windows(5).position(|w| w == b"JFIF\0").unwrap();
        assert_eq!(jpg[at + 7], 0);
        let tagged = jpeg(&g, 80, Some(200)).unwrap();
        let at = tagged.windows(5).position(|w| w == b"JFIF\0").unwrap();
        assert_eq!(tagged[at + 7], 1);
        let bits = Bilevel::threshold(&pattern(40, 20, 1), 128);
        let tif = tiff_g4(std::slice::from_ref(&bits), None).unwrap();
        let mut dec = tiff::decoder::Decoder::new(Cursor::new(tif)).unwrap();
        assert_eq!(dec.dimensions().unwrap(), (40, 20));
        let x = dec.get_tag(tiff::tags::Tag::XResolution);
        assert!(x.is_err(), "{x:?}");
        dec.read_image().unwrap();
    }

    #[test]
    fn pdf_has_one_dct_image_per_page() {
        let g = Raster::Gray(pattern(60, 80, 2));
        let page = |dpi| PdfPage {
            jpeg: jpeg(&g, 80, Some(dpi)).unwrap(),
            width: 60,
            height: 80,
            gray: true,
            dpi,
        };
        let bytes = pdf(vec![page(300), page(150)]).unwrap();
        let doc = Document::load_mem(&bytes).unwrap();
        let pages = doc.get_pages();
        assert_eq!(pages.len(), 2);
        for (_, id) in pages {
            let images = doc.get_page_images(id).unwrap();
            assert_eq!(images.len(), 1);
            assert_eq!(
                images[0].filters.as_deref(),
                Some(&["DCTDecode".to_string()][..])
            );
        }
    }
}
