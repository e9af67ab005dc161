//! Round trips through every format and colour type, and bad input that must
//! fail with the right error. Fixtures are built here (PNG and TIFF written
//! by hand where the encoders cannot express a case, PDFs with `lopdf`, fax
//! data with `fax`), plus a few files made by other tools in
//! `tests/fixtures/decode/`.

use std::io::{Cursor, Write};

use fax::encoder::Encoder;
use fax::{BitWriter, Color, VecWriter};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use lopdf::{dictionary, Dictionary, Document, Object, Stream};

use super::*;

// ---------------------------------------------------------------- images

/// A page-like bilevel image: white paper, black bars and a frame.
fn bilevel(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let frame = x == 0 || y == 0 || x == w - 1 || y == h - 1;
        let text = (y / 4) % 3 == 1 && (x / 3 + y) % 7 < 4;
        Luma([if frame || text { 0 } else { 255 }])
    })
}

/// A gray ramp with structure in both directions.
fn gray(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]))
}

fn rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 5 % 256) as u8,
            (y * 9 % 256) as u8,
            ((x + y) * 3 % 256) as u8,
        ])
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode fixture");
    out.into_inner()
}

fn jpeg(image: &DynamicImage, dpi: Option<u16>) -> Vec<u8> {
    use image::codecs::jpeg::{JpegEncoder, PixelDensity, PixelDensityUnit};
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, 92);
    if let Some(d) = dpi {
        enc.set_pixel_density(PixelDensity {
            density: (d, d),
            unit: PixelDensityUnit::Inches,
        });
    }
    enc.encode_image(image).expect("encode jpeg");
    out
}

/// Packs 8-bit gray into 1-bit rows; a set bit is white when `one_is_white`.
fn pack_bits(image: &GrayImage, one_is_white: bool) -> Vec<u8> {
    let stride = (image.width() as usize).div_ceil(8);
    let mut out = vec![0u8; stride * image.height() as usize];
    for (x, y, p) in image.enumerate_pixels() {
        let white = p.0[0] >= 128;
        if white == one_is_white {
            out[y as usize * stride + x as usize / 8] |= 0x80 >> (x % 8);
        }
    }
    out
}

fn invert(image: &GrayImage) -> GrayImage {
    let mut i = image.clone();
    image::imageops::invert(&mut i);
    i
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("zlib");
    e.finish().expect("zlib")
}

/// CCITT G4 of a bilevel image (dark pixels black).
fn g4(image: &GrayImage) -> Vec<u8> {
    let mut enc = Encoder::new(VecWriter::new());
    for y in 0..image.height() {
        let row = (0..image.width()).map(|x| {
            if image.get_pixel(x, y).0[0] < 128 {
                Color::Black
            } else {
                Color::White
            }
        });
        enc.encode_line(row, image.width() as u16).expect("g4");
    }
    enc.finish().expect("g4").finish()
}

/// CCITT G3 one-dimensional (modified Huffman) of a bilevel image, with or
/// without an end-of-line code before each row.
fn g3(image: &GrayImage, eol: bool) -> Vec<u8> {
    let mut w = VecWriter::new();
    let mut put = |bits: Option<fax::Bits>| w.write(bits.expect("code")).expect("write");
    for y in 0..image.height() {
        if eol {
            put(Some(fax::Bits { data: 1, len: 12 }));
        }
        let mut color = Color::White;
        let mut x = 0;
        while x < image.width() {
            let mut run = 0;
            while x < image.width() && (image.get_pixel(x, y).0[0] < 128) == (color == Color::Black)
            {
                run += 1;
                x += 1;
            }
            let code = |v: u16| match color {
                Color::White => fax::maps::white::encode(v),
                Color::Black => fax::maps::black::encode(v),
            };
            if run >= 64 {
                put(code(run / 64 * 64));
            }
            put(code(run % 64));
            color = !color;
        }
    }
    w.finish()
}

fn assert_same(name: &str, got: &DynamicImage, want: &DynamicImage) {
    assert_eq!(got.color(), want.color(), "{name}: colour type");
    assert_eq!(got.dimensions(), want.dimensions(), "{name}: size");
    assert!(got.as_bytes() == want.as_bytes(), "{name}: pixels differ");
}

fn assert_close(name: &str, got: &DynamicImage, want: &DynamicImage, max_mean: f64) {
    assert_eq!(got.color(), want.color(), "{name}: colour type");
    assert_eq!(got.dimensions(), want.dimensions(), "{name}: size");
    let diff: u64 = got
        .as_bytes()
        .iter()
        .zip(want.as_bytes())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = diff as f64 / got.as_bytes().len() as f64;
    assert!(mean <= max_mean, "{name}: mean difference {mean}");
}

use image::GenericImageView;

// ---------------------------------------------------------------- PNG by hand

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A PNG from unfiltered rows (a filter byte 0 is added to each).
fn png_raw(
    w: u32,
    h: u32,
    color_type: u8,
    depth: u8,
    rows: &[u8],
    plte: Option<&[u8]>,
    ppm: Option<u32>,
) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([depth, color_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    if let Some(ppm) = ppm {
        let mut phys = Vec::new();
        phys.extend(ppm.to_be_bytes());
        phys.extend(ppm.to_be_bytes());
        phys.push(1);
        chunk(&mut out, b"pHYs", &phys);
    }
    if let Some(p) = plte {
        chunk(&mut out, b"PLTE", p);
    }
    let channels = match color_type {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    let stride = (w as usize * channels * usize::from(depth)).div_ceil(8);
    let mut filtered = Vec::new();
    for row in rows.chunks(stride.max(1)).take(h as usize) {
        filtered.push(0);
        filtered.extend(row);
    }
    chunk(&mut out, b"IDAT", &zlib(&filtered));
    chunk(&mut out, b"IEND", &[]);
    out
}

// ---------------------------------------------------------------- TIFF by hand

struct TiffPage {
    width: u32,
    height: u32,
    bits: u16,
    samples: u16,
    photometric: u16,
    compression: u16,
    data: Vec<u8>,
    colormap: Option<Vec<u16>>,
    subfile: u32,
    dpi: Option<u32>,
}

impl TiffPage {
    fn new(
        width: u32,
        height: u32,
        bits: u16,
        photometric: u16,
        compression: u16,
        data: Vec<u8>,
    ) -> Self {
        TiffPage {
            width,
            height,
            bits,
            samples: 1,
            photometric,
            compression,
            data,
            colormap: None,
            subfile: 0,
            dpi: None,
        }
    }
}

/// A little-endian classic TIFF, one strip per page.
fn write_tiff(pages: &[TiffPage]) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut link = 4usize;
    for p in pages {
        let strip = out.len() as u32;
        out.extend(&p.data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let extra = |out: &mut Vec<u8>, bytes: &[u8]| -> u32 {
            let at = out.len() as u32;
            out.extend(bytes);
            at
        };
        let bits_at = (p.samples > 2).then(|| {
            let b: Vec<u8> = (0..p.samples).flat_map(|_| p.bits.to_le_bytes()).collect();
            extra(&mut out, &b)
        });
        let map_at = p.colormap.as_ref().map(|m| {
            let b: Vec<u8> = m.iter().flat_map(|v| v.to_le_bytes()).collect();
            extra(&mut out, &b)
        });
        let res_at = p.dpi.map(|d| {
            let b: Vec<u8> = [d, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
            extra(&mut out, &b)
        });
        // (tag, type, count, value)
        let mut entries: Vec<(u16, u16, u32, u32)> = vec![
            (254, 4, 1, p.subfile),
            (256, 4, 1, p.width),
            (257, 4, 1, p.height),
            match bits_at {
                Some(at) => (258, 3, u32::from(p.samples), at),
                None if p.samples == 2 => (258, 3, 2, u32::from(p.bits) | u32::from(p.bits) << 16),
                None => (258, 3, 1, u32::from(p.bits)),
            },
            (259, 3, 1, u32::from(p.compression)),
            (262, 3, 1, u32::from(p.photometric)),
            (273, 4, 1, strip),
            (277, 3, 1, u32::from(p.samples)),
            (278, 4, 1, p.height),
            (279, 4, 1, p.data.len() as u32),
        ];
        if let Some(at) = res_at {
            entries.push((282, 5, 1, at));
            entries.push((283, 5, 1, at));
            entries.push((296, 3, 1, 2));
        }
        if let Some(at) = map_at {
            entries.push((
                320,
                3,
                p.colormap.as_ref().map_or(0, |m| m.len() as u32),
                at,
            ));
        }
        let ifd = out.len() as u32;
        out[link..link + 4].copy_from_slice(&ifd.to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, count, value) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(count.to_le_bytes());
            out.extend(value.to_le_bytes());
        }
        link = out.len();
        out.extend(0u32.to_le_bytes());
    }
    out
}

fn tiff_encoded<C>(
    pages: &[(u32, u32, &[C::Inner])],
    compression: ::tiff::encoder::Compression,
) -> Vec<u8>
where
    C: ::tiff::encoder::colortype::ColorType,
    [C::Inner]: ::tiff::encoder::TiffValue,
{
    let mut out = Cursor::new(Vec::new());
    {
        let mut enc = ::tiff::encoder::TiffEncoder::new(&mut out)
            .expect("tiff")
            .with_compression(compression);
        for (w, h, data) in pages {
            enc.write_image::<C>(*w, *h, data).expect("tiff page");
        }
    }
    out.into_inner()
}

// ---------------------------------------------------------------- PDF with lopdf

/// One PDF page: its size in points, an optional /Rotate, and its images
/// (name, dictionary, data); `form` wraps them in a Form XObject.
#[derive(Clone)]
struct PdfPage {
    size: (f32, f32),
    rotate: i64,
    images: Vec<(Dictionary, Vec<u8>)>,
    form: bool,
}

fn pdf_page(dict: Dictionary, data: Vec<u8>, size: (f32, f32)) -> PdfPage {
    PdfPage {
        size,
        rotate: 0,
        images: vec![(dict, data)],
        form: false,
    }
}

fn image_dict(w: u32, h: u32, cs: &str, bpc: i64, filter: Option<&str>) -> Dictionary {
    let mut d = dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => w,
        "Height" => h,
        "ColorSpace" => cs,
        "BitsPerComponent" => bpc,
    };
    if let Some(f) = filter {
        d.set("Filter", f);
    }
    d
}

fn build_pdf(pages: &[PdfPage], trailer_extra: Option<Dictionary>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for page in pages {
        let mut xobjects = Dictionary::new();
        let mut ops = String::new();
        for (i, (dict, data)) in page.images.iter().enumerate() {
            let id = doc.add_object(Stream::new(dict.clone(), data.clone()));
            let name = format!("Im{i}");
            xobjects.set(name.as_bytes().to_vec(), Object::Reference(id));
            ops.push_str(&format!(
                "q {} 0 0 {} 0 0 cm /{name} Do Q\n",
                page.size.0, page.size.1
            ));
        }
        let (xobjects, ops) = if page.form {
            let form = Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), page.size.0.into(), page.size.1.into()],
                    "Resources" => dictionary! { "XObject" => xobjects },
                },
                ops.into_bytes(),
            );
            let id = doc.add_object(form);
            (
                dictionary! { "Fm0" => Object::Reference(id) },
                "/Fm0 Do\n".to_string(),
            )
        } else {
            (xobjects, ops)
        };
        let contents = doc.add_object(Stream::new(Dictionary::new(), ops.into_bytes()));
        let mut dict = dictionary! {
            "Type" => "Page",
            "Parent" => Object::Reference(pages_id),
            "MediaBox" => vec![0.into(), 0.into(), page.size.0.into(), page.size.1.into()],
            "Resources" => dictionary! { "XObject" => xobjects },
            "Contents" => Object::Reference(contents),
        };
        if page.rotate != 0 {
            dict.set("Rotate", page.rotate);
        }
        kids.push(Object::Reference(doc.add_object(dict)));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog =
        doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => Object::Reference(pages_id) });
    doc.trailer.set("Root", Object::Reference(catalog));
    if let Some(extra) = trailer_extra {
        for (k, v) in extra.iter() {
            doc.trailer.set(k.clone(), v.clone());
        }
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

fn ccitt_dict(w: u32, h: u32, k: i64, black_is_1: bool) -> Dictionary {
    let mut d = image_dict(w, h, "DeviceGray", 1, Some("CCITTFaxDecode"));
    d.set(
        "DecodeParms",
        dictionary! { "K" => k, "Columns" => w, "Rows" => h, "BlackIs1" => black_is_1 },
    );
    d
}

/// Rows with a PNG filter byte each, cycling through all five filter types.
fn png_predict(raw: &[u8], row_len: usize, bpp: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = vec![0u8; row_len];
    for (y, row) in raw.chunks(row_len).enumerate() {
        let kind = (y % 5) as u8;
        out.push(kind);
        for i in 0..row_len {
            let a = if i >= bpp { row[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let p = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                _ => crate::codec::samples::paeth(a, b, c),
            };
            out.push(row[i].wrapping_sub(p));
        }
        prev.copy_from_slice(row);
    }
    out
}

/// Horizontal differencing (TIFF predictor 2) for 8-bit samples.
fn tiff_predict(raw: &[u8], row_len: usize, colors: usize) -> Vec<u8> {
    let mut out = raw.to_vec();
    for row in out.chunks_mut(row_len) {
        for i in (colors..row.len()).rev() {
            row[i] = row[i].wrapping_sub(row[i - colors]);
        }
    }
    out
}

// ---------------------------------------------------------------- round trips

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    want: Vec<DynamicImage>,
    /// Largest mean per-sample difference allowed (0 for lossless).
    tolerance: f64,
    dpi: Vec<Option<u32>>,
}

fn lossless(name: &'static str, bytes: Vec<u8>, want: Vec<DynamicImage>) -> Case {
    let n = want.len();
    Case {
        name,
        bytes,
        want,
        tolerance: 0.0,
        dpi: vec![None; n],
    }
}

impl Case {
    fn with_dpi(self, dpi: Vec<Option<u32>>) -> Case {
        Case { dpi, ..self }
    }
}

fn round_trip_cases() -> Vec<Case> {
    let (w, h) = (61, 37);
    let g = DynamicImage::ImageLuma8(gray(w, h));
    let c = DynamicImage::ImageRgb8(rgb(w, h));
    let bl = bilevel(w, h);
    let bld = DynamicImage::ImageLuma8(bl.clone());
    let g16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_fn(w, h, |x, y| {
        Luma([u16::from(g.as_luma8().expect("gray").get_pixel(x, y).0[0]) * 257])
    }));
    let c16 = DynamicImage::ImageRgb16(c.to_rgb16());
    let ga = DynamicImage::ImageLumaA8(image::ImageBuffer::from_fn(w, h, |x, y| {
        image::LumaA([
            g.as_luma8().expect("gray").get_pixel(x, y).0[0],
            if x < 10 { 0 } else { 255 },
        ])
    }));
    let ga_want = DynamicImage::ImageLuma8(GrayImage::from_fn(w, h, |x, y| {
        Luma([if x < 10 {
            255
        } else {
            g.as_luma8().expect("gray").get_pixel(x, y).0[0]
        }])
    }));
    let rgba = DynamicImage::ImageRgba8(image::ImageBuffer::from_fn(w, h, |x, y| {
        let p = c.as_rgb8().expect("rgb").get_pixel(x, y).0;
        image::Rgba([p[0], p[1], p[2], if y < 5 { 0 } else { 255 }])
    }));
    let rgba_want = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        if y < 5 {
            Rgb([255, 255, 255])
        } else {
            *c.as_rgb8().expect("rgb").get_pixel(x, y)
        }
    }));
    // A four-colour palette image, as indexes and as the RGB it stands for.
    let palette = [[255u8, 255, 255], [0, 0, 0], [200, 30, 30], [20, 40, 160]];
    let index = |x: u32, y: u32| ((x / 8 + y / 6) % 4) as u8;
    let pal_want = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb(palette[usize::from(index(x, y))])
    }));
    let pal8: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| index(x, y)))
        .collect();
    let pal2: Vec<u8> = (0..h)
        .flat_map(|y| {
            let mut row = vec![0u8; (w as usize).div_ceil(4)];
            for x in 0..w {
                row[x as usize / 4] |= index(x, y) << (6 - 2 * (x % 4));
            }
            row
        })
        .collect();
    let plte: Vec<u8> = palette.iter().flatten().copied().collect();
    let tiff_map: Vec<u16> = (0..3)
        .flat_map(|ch| {
            (0..256).map(move |i| {
                if i < 4 {
                    u16::from(palette[i][ch]) * 257
                } else {
                    0
                }
            })
        })
        .collect();

    let mut cases = vec![
        lossless("png gray 8", encode(&g, ImageFormat::Png), vec![g.clone()]),
        lossless("png rgb 8", encode(&c, ImageFormat::Png), vec![c.clone()]),
        lossless(
            "png gray 16",
            encode(&g16, ImageFormat::Png),
            vec![g.clone()],
        ),
        lossless(
            "png rgb 16",
            encode(&c16, ImageFormat::Png),
            vec![c.clone()],
        ),
        lossless(
            "png gray alpha",
            encode(&ga, ImageFormat::Png),
            vec![ga_want.clone()],
        ),
        lossless("png rgba", encode(&rgba, ImageFormat::Png), vec![rgba_want]),
        lossless(
            "png gray 1-bit",
            png_raw(w, h, 0, 1, &pack_bits(&bl, true), None, None),
            vec![bld.clone()],
        ),
        lossless(
            "png palette 2-bit",
            png_raw(w, h, 3, 2, &pal2, Some(&plte), None),
            vec![pal_want.clone()],
        ),
        lossless(
            "tiff gray 8 (image crate)",
            encode(&g, ImageFormat::Tiff),
            vec![g.clone()],
        ),
        lossless(
            "tiff rgb 8 (image crate)",
            encode(&c, ImageFormat::Tiff),
            vec![c.clone()],
        ),
        lossless(
            "tiff gray 16 lzw",
            tiff_encoded::<::tiff::encoder::colortype::Gray16>(
                &[(w, h, g16.as_luma16().expect("g16").as_raw())],
                ::tiff::encoder::Compression::Lzw,
            ),
            vec![g.clone()],
        ),
        lossless(
            "tiff rgb 16 deflate",
            tiff_encoded::<::tiff::encoder::colortype::RGB16>(
                &[(w, h, c16.as_rgb16().expect("c16").as_raw())],
                ::tiff::encoder::Compression::Deflate(Default::default()),
            ),
            vec![c.clone()],
        ),
        lossless(
            "tiff multi-page lzw",
            tiff_encoded::<::tiff::encoder::colortype::Gray8>(
                &[
                    (w, h, g.as_luma8().expect("g").as_raw()),
                    (w, h, bl.as_raw()),
                ],
                ::tiff::encoder::Compression::Lzw,
            ),
            vec![g.clone(), bld.clone()],
        ),
        lossless(
            "tiff packbits",
            tiff_encoded::<::tiff::encoder::colortype::Gray8>(
                &[(w, h, g.as_luma8().expect("g").as_raw())],
                ::tiff::encoder::Compression::Packbits,
            ),
            vec![g.clone()],
        ),
        lossless(
            "tiff 1-bit BlackIsZero",
            write_tiff(&[TiffPage::new(w, h, 1, 1, 1, pack_bits(&bl, true))]),
            vec![bld.clone()],
        ),
        lossless(
            "tiff 1-bit WhiteIsZero",
            write_tiff(&[TiffPage::new(w, h, 1, 0, 1, pack_bits(&bl, false))]),
            vec![bld.clone()],
        ),
        lossless(
            "tiff multi-page G4 + LZW + thumbnail",
            {
                let thumb = TiffPage {
                    subfile: 1,
                    ..TiffPage::new(4, 4, 8, 1, 1, vec![0; 16])
                };
                let mut g4_page = TiffPage::new(w, h, 1, 0, 4, g4(&bl));
                g4_page.dpi = Some(300);
                let lzw = tiff_encoded::<::tiff::encoder::colortype::Gray8>(
                    &[(w, h, g.as_luma8().expect("g").as_raw())],
                    ::tiff::encoder::Compression::Lzw,
                );
                // Take the LZW strip from the encoder's file.
                let strip = lzw_strip(&lzw);
                let lzw_page = TiffPage::new(w, h, 8, 1, 5, strip);
                write_tiff(&[
                    g4_page,
                    thumb,
                    lzw_page,
                    TiffPage::new(w, h, 1, 1, 4, g4(&bl)),
                ])
            },
            vec![
                bld.clone(),
                g.clone(),
                DynamicImage::ImageLuma8(invert(&bl)),
            ],
        )
        .with_dpi(vec![Some(300), None, None]),
        lossless(
            "tiff palette 8-bit",
            write_tiff(&[TiffPage {
                colormap: Some(tiff_map.clone()),
                ..TiffPage::new(w, h, 8, 3, 1, pal8.clone())
            }]),
            vec![pal_want.clone()],
        ),
        lossless(
            "tiff palette 2-bit",
            write_tiff(&[TiffPage {
                colormap: Some(
                    (0..3)
                        .flat_map(|ch| (0..4).map(move |i| u16::from(palette[i][ch]) * 257))
                        .collect(),
                ),
                ..TiffPage::new(w, h, 2, 3, 1, pal2.clone())
            }]),
            vec![pal_want.clone()],
        ),
        lossless(
            "tiff gray + alpha",
            write_tiff(&[TiffPage {
                samples: 2,
                ..TiffPage::new(w, h, 8, 1, 1, ga.as_bytes().to_vec())
            }]),
            vec![ga_want],
        ),
    ];

    // JPEG: lossy. The `image` encoder writes gray as three components, so
    // it comes back as RGB; one-component JPEGs are among the fixtures.
    let g_as_rgb = DynamicImage::ImageRgb8(g.to_rgb8());
    for (name, image, want, dpi) in [
        ("jpeg gray", &g, &g_as_rgb, Some(300)),
        ("jpeg rgb", &c, &c, None),
    ] {
        cases.push(Case {
            name,
            bytes: jpeg(image, dpi.map(|d| d as u16)),
            want: vec![want.clone()],
            tolerance: 6.0,
            dpi: vec![dpi],
        });
    }

    // PDFs: one page each unless said otherwise; 72 pt per inch, so a page
    // of w × h points holding a w × h image is 72 dpi.
    let size = (w as f32, h as f32);
    let pdf = |dict: Dictionary, data: Vec<u8>| build_pdf(&[pdf_page(dict, data, size)], None);
    let g_raw = g.as_bytes().to_vec();
    let c_raw = c.as_bytes().to_vec();
    let mut flate_png = image_dict(w, h, "DeviceGray", 8, Some("FlateDecode"));
    flate_png.set(
        "DecodeParms",
        dictionary! { "Predictor" => 15, "Colors" => 1, "BitsPerComponent" => 8, "Columns" => w },
    );
    let mut flate_tiff = image_dict(w, h, "DeviceRGB", 8, Some("FlateDecode"));
    flate_tiff.set(
        "DecodeParms",
        dictionary! { "Predictor" => 2, "Colors" => 3, "BitsPerComponent" => 8, "Columns" => w },
    );
    let mut flate_1bit_png = image_dict(w, h, "DeviceGray", 1, Some("FlateDecode"));
    flate_1bit_png.set(
        "DecodeParms",
        dictionary! { "Predictor" => 15, "Colors" => 1, "BitsPerComponent" => 1, "Columns" => w },
    );
    let mut decode_inverted = image_dict(w, h, "DeviceGray", 1, Some("FlateDecode"));
    decode_inverted.set("Decode", vec![1.into(), 0.into()]);
    let mut mask = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
        "ImageMask" => true, "Filter" => "FlateDecode",
    };
    mask.set("Decode", vec![1.into(), 0.into()]);
    let mut g4_true_decode = ccitt_dict(w, h, -1, true);
    g4_true_decode.set("Decode", vec![1.into(), 0.into()]);
    let indexed = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
        "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        "ColorSpace" => vec!["Indexed".into(), "DeviceRGB".into(), 3.into(), Object::string_literal(plte.clone())],
    };
    let packed_1bit = pack_bits(&bl, true);
    let one_bit_row = (w as usize).div_ceil(8);

    cases.extend([
        lossless(
            "pdf flate gray 8",
            pdf(
                image_dict(w, h, "DeviceGray", 8, Some("FlateDecode")),
                zlib(&g_raw),
            ),
            vec![g.clone()],
        ),
        lossless(
            "pdf unfiltered rgb 8",
            pdf(image_dict(w, h, "DeviceRGB", 8, None), c_raw.clone()),
            vec![c.clone()],
        ),
        lossless(
            "pdf flate gray 8 png predictors",
            pdf(flate_png, zlib(&png_predict(&g_raw, w as usize, 1))),
            vec![g.clone()],
        ),
        lossless(
            "pdf flate rgb tiff predictor",
            pdf(flate_tiff, zlib(&tiff_predict(&c_raw, w as usize * 3, 3))),
            vec![c.clone()],
        ),
        lossless(
            "pdf flate 1-bit",
            pdf(
                image_dict(w, h, "DeviceGray", 1, Some("FlateDecode")),
                zlib(&packed_1bit),
            ),
            vec![bld.clone()],
        ),
        lossless(
            "pdf flate 1-bit png predictors",
            pdf(
                flate_1bit_png,
                zlib(&png_predict(&packed_1bit, one_bit_row, 1)),
            ),
            vec![bld.clone()],
        ),
        lossless(
            "pdf flate 1-bit decode [1 0]",
            pdf(decode_inverted, zlib(&pack_bits(&bl, false))),
            vec![bld.clone()],
        ),
        lossless(
            "pdf image mask decode [1 0]",
            pdf(mask, zlib(&pack_bits(&bl, false))),
            vec![bld.clone()],
        ),
        lossless(
            "pdf indexed rgb",
            pdf(indexed, zlib(&pal8)),
            vec![pal_want.clone()],
        ),
        lossless(
            "pdf ccitt g4 BlackIs1 false",
            pdf(ccitt_dict(w, h, -1, false), g4(&bl)),
            vec![bld.clone()],
        ),
        lossless(
            "pdf ccitt g4 BlackIs1 true",
            pdf(ccitt_dict(w, h, -1, true), g4(&bl)),
            vec![DynamicImage::ImageLuma8(invert(&bl))],
        ),
        lossless(
            "pdf ccitt g4 BlackIs1 true decode [1 0]",
            pdf(g4_true_decode, g4(&bl)),
            vec![bld.clone()],
        ),
        lossless(
            "pdf ccitt g3 1-D",
            pdf(ccitt_dict(w, h, 0, false), g3(&bl, false)),
            vec![bld.clone()],
        ),
        lossless(
            "pdf ccitt g3 1-D with EOL",
            pdf(ccitt_dict(w, h, 0, false), g3(&bl, true)),
            vec![bld.clone()],
        ),
    ]);
    for case in cases.iter_mut().filter(|c| c.name.starts_with("pdf")) {
        case.dpi = vec![Some(72)];
    }

    let dct_gray = jpeg(&g, None);
    let dct_rgb = jpeg(&c, None);
    cases.push(Case {
        name: "pdf dct rgb",
        bytes: pdf(image_dict(w, h, "DeviceRGB", 8, Some("DCTDecode")), dct_rgb),
        want: vec![c.clone()],
        tolerance: 6.0,
        dpi: vec![Some(72)],
    });
    // Two pages: DCT gray at 150 dpi, and Flate gray at 300 dpi inside a form.
    let half = (size.0 / 2.0, size.1 / 2.0);
    let mut in_form = pdf_page(
        image_dict(w, h, "DeviceGray", 8, Some("FlateDecode")),
        zlib(&g_raw),
        (size.0 / 4.0, size.1 / 4.0),
    );
    in_form.form = true;
    cases.push(Case {
        name: "pdf two pages, dct and form xobject",
        bytes: build_pdf(
            &[
                pdf_page(
                    image_dict(w, h, "DeviceRGB", 8, Some("DCTDecode")),
                    dct_gray,
                    half,
                ),
                in_form,
            ],
            None,
        ),
        want: vec![g_as_rgb.clone(), g.clone()],
        tolerance: 6.0,
        dpi: vec![Some(144), Some(288)],
    });
    // The largest image is the scan; a small logo beside it is ignored.
    let mut two = pdf_page(image_dict(w, h, "DeviceRGB", 8, None), c_raw.clone(), size);
    two.images
        .insert(0, (image_dict(4, 4, "DeviceGray", 8, None), vec![0; 16]));
    cases.push(Case {
        name: "pdf largest image wins",
        bytes: build_pdf(&[two], None),
        want: vec![c.clone()],
        tolerance: 0.0,
        dpi: vec![Some(72)],
    });
    // /Rotate 90 turns the image the way a viewer shows it.
    let mut turned = pdf_page(image_dict(w, h, "DeviceGray", 8, None), g_raw.clone(), size);
    turned.rotate = 90;
    cases.push(Case {
        name: "pdf rotate 90",
        bytes: build_pdf(&[turned], None),
        want: vec![g.rotate90()],
        tolerance: 0.0,
        dpi: vec![Some(72)],
    });
    cases
}

/// The first strip of a single-strip TIFF made by the `tiff` encoder.
fn lzw_strip(file: &[u8]) -> Vec<u8> {
    let mut d = ::tiff::decoder::Decoder::new(Cursor::new(file)).expect("tiff");
    let offset = d
        .get_tag_u64_vec(::tiff::tags::Tag::StripOffsets)
        .expect("offsets")[0] as usize;
    let count = d
        .get_tag_u64_vec(::tiff::tags::Tag::StripByteCounts)
        .expect("counts")[0] as usize;
    file[offset..offset + count].to_vec()
}

#[test]
fn round_trips() {
    let limits = Limits::default();
    for case in round_trip_cases() {
        let pages = decode(&case.bytes, &limits).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(pages.len(), case.want.len(), "{}: page count", case.name);
        for (i, (page, want)) in pages.iter().zip(&case.want).enumerate() {
            if case.tolerance == 0.0 {
                assert_same(&format!("{} page {}", case.name, i + 1), &page.image, want);
            } else {
                assert_close(
                    &format!("{} page {}", case.name, i + 1),
                    &page.image,
                    want,
                    case.tolerance,
                );
            }
            assert_eq!(page.dpi, case.dpi[i], "{} page {}: dpi", case.name, i + 1);
        }
    }
}

#[test]
fn stated_resolution_is_read() {
    let img = DynamicImage::ImageLuma8(gray(20, 10));
    let png = png_raw(20, 10, 0, 8, img.as_bytes(), None, Some(11811));
    assert_eq!(
        decode(&png, &Limits::default()).expect("png")[0].dpi,
        Some(300)
    );
    let tiff = write_tiff(&[TiffPage {
        dpi: Some(200),
        ..TiffPage::new(20, 10, 8, 1, 1, img.as_bytes().to_vec())
    }]);
    assert_eq!(
        decode(&tiff, &Limits::default()).expect("tiff")[0].dpi,
        Some(200)
    );
}

#[test]
fn jpeg_bytes_kept_only_when_they_show_the_page() {
    let g = DynamicImage::ImageLuma8(gray(40, 30));
    let bytes = jpeg(&g, None);
    let page = &decode(&bytes, &Limits::default()).expect("jpeg")[0];
    assert_eq!(page.original.as_deref(), Some(&bytes[..]));

    let pdf = build_pdf(
        &[pdf_page(
            image_dict(40, 30, "DeviceRGB", 8, Some("DCTDecode")),
            bytes.clone(),
            (40.0, 30.0),
        )],
        None,
    );
    let page = &decode(&pdf, &Limits::default()).expect("pdf dct")[0];
    assert_eq!(page.original.as_deref(), Some(&bytes[..]));

    // Declared gray but three components: drawn differently, so not kept.
    let pdf = build_pdf(
        &[pdf_page(
            image_dict(40, 30, "DeviceGray", 8, Some("DCTDecode")),
            bytes.clone(),
            (40.0, 30.0),
        )],
        None,
    );
    assert_eq!(
        decode(&pdf, &Limits::default()).expect("pdf dct")[0].original,
        None
    );

    // Inverted by /Decode: the pixels are inverted, the raw JPEG would not be.
    let mut dict = image_dict(40, 30, "DeviceRGB", 8, Some("DCTDecode"));
    dict.set(
        "Decode",
        vec![1.into(), 0.into(), 1.into(), 0.into(), 1.into(), 0.into()],
    );
    let pdf = build_pdf(&[pdf_page(dict, bytes.clone(), (40.0, 30.0))], None);
    let page = &decode(&pdf, &Limits::default()).expect("pdf dct inverted")[0];
    assert_eq!(page.original, None);
    assert!(page.image.as_bytes()[0] > 200, "inverted dark corner");

    // A gray PNG is handed on as is too: its compressed rows embed unchanged.
    let png_bytes = encode(&g, ImageFormat::Png);
    let png = decode(&png_bytes, &Limits::default()).expect("png");
    assert_eq!(png[0].original.as_deref(), Some(&png_bytes[..]));
    // And an RGB one, with its pixels and no resolution when none is stated.
    let rgb = DynamicImage::ImageRgb8(RgbImage::from_fn(40, 30, |x, y| {
        Rgb([(x * 6) as u8, (y * 8) as u8, 200])
    }));
    let rgb_bytes = encode(&rgb, ImageFormat::Png);
    let png = decode(&rgb_bytes, &Limits::default()).expect("rgb png");
    assert_eq!(png[0].original.as_deref(), Some(&rgb_bytes[..]));
    assert_eq!(png[0].image, rgb);
    assert_eq!(png[0].dpi, None);
    // With transparency it is not (its pixels were laid over white).
    let la = image::GrayAlphaImage::from_fn(40, 30, |x, _| image::LumaA([0, (x * 6) as u8]));
    let la = DynamicImage::ImageLumaA8(la);
    let png = decode(&encode(&la, ImageFormat::Png), &Limits::default()).expect("png");
    assert_eq!(png[0].original, None);
}

// ---------------------------------------------------------------- bad input

fn huge_png() -> Vec<u8> {
    // IHDR claims 30,000 × 30,000; the data is a few bytes.
    png_raw(30_000, 30_000, 0, 8, &[0; 16], None, None)
}

fn huge_tiff() -> Vec<u8> {
    write_tiff(&[TiffPage::new(30_000, 30_000, 8, 1, 1, vec![0; 64])])
}

fn huge_pdf() -> Vec<u8> {
    build_pdf(
        &[pdf_page(
            image_dict(30_000, 30_000, "DeviceGray", 8, Some("FlateDecode")),
            zlib(&[0; 64]),
            (612.0, 792.0),
        )],
        None,
    )
}

fn encrypted_pdf() -> Vec<u8> {
    let page = pdf_page(
        image_dict(2, 2, "DeviceGray", 8, None),
        vec![0; 4],
        (72.0, 72.0),
    );
    let encrypt = dictionary! {
        "Filter" => "Standard", "V" => 1, "R" => 2, "P" => -4,
        "O" => Object::string_literal(vec![7u8; 32]),
        "U" => Object::string_literal(vec![9u8; 32]),
    };
    let id = Object::string_literal(vec![1u8; 16]);
    build_pdf(
        &[page],
        Some(dictionary! { "Encrypt" => encrypt, "ID" => vec![id.clone(), id] }),
    )
}

fn pseudo_random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

type Check = fn(&DecodeError) -> bool;

#[test]
fn bad_input_fails_with_the_right_error() {
    let small = Limits {
        max_pages: 2,
        ..Limits::default()
    };
    let g = DynamicImage::ImageLuma8(gray(40, 30));
    let png = encode(&g, ImageFormat::Png);
    let page = pdf_page(
        image_dict(40, 30, "DeviceGray", 8, None),
        g.as_bytes().to_vec(),
        (40.0, 30.0),
    );
    let no_image = PdfPage {
        images: vec![],
        ..page.clone()
    };
    let tiff3 = tiff_encoded::<::tiff::encoder::colortype::Gray8>(
        &[
            (40, 30, g.as_bytes()),
            (40, 30, g.as_bytes()),
            (40, 30, g.as_bytes()),
        ],
        ::tiff::encoder::Compression::Lzw,
    );
    let cases: Vec<(&str, Vec<u8>, Limits, Check)> = vec![
        ("empty", vec![], Limits::default(), |e| {
            matches!(e, DecodeError::Empty)
        }),
        (
            "random bytes",
            pseudo_random(4096, 7),
            Limits::default(),
            |e| matches!(e, DecodeError::UnknownFormat(_)),
        ),
        (
            "text renamed .pdf",
            b"Dear sir,\nplease find attached.\n".to_vec(),
            Limits::default(),
            |e| matches!(e, DecodeError::UnknownFormat(d) if d.contains("text")),
        ),
        (
            "pdf header then garbage",
            [b"%PDF-1.4\n".to_vec(), pseudo_random(2000, 3)].concat(),
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "PDF", .. }),
        ),
        (
            "truncated png",
            png[..png.len() / 2].to_vec(),
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "PNG", .. }),
        ),
        (
            "truncated jpeg",
            {
                let j = jpeg(&g, None);
                j[..j.len() / 2].to_vec()
            },
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "JPEG", .. }),
        ),
        (
            "truncated tiff",
            tiff3[..tiff3.len() / 3].to_vec(),
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "TIFF", .. }),
        ),
        (
            "too large",
            png.clone(),
            Limits {
                max_bytes: 100,
                ..Limits::default()
            },
            |e| matches!(e, DecodeError::TooLarge { limit: 100, .. }),
        ),
        ("huge png header", huge_png(), Limits::default(), |e| {
            matches!(
                e,
                DecodeError::TooManyPixels {
                    page: 1,
                    width: 30_000,
                    height: 30_000,
                    ..
                }
            )
        }),
        ("huge tiff header", huge_tiff(), Limits::default(), |e| {
            matches!(
                e,
                DecodeError::TooManyPixels {
                    page: 1,
                    width: 30_000,
                    height: 30_000,
                    ..
                }
            )
        }),
        ("huge pdf image", huge_pdf(), Limits::default(), |e| {
            matches!(
                e,
                DecodeError::TooManyPixels {
                    page: 1,
                    width: 30_000,
                    height: 30_000,
                    ..
                }
            )
        }),
        ("too many tiff pages", tiff3, small, |e| {
            matches!(e, DecodeError::TooManyPages { pages: 3, limit: 2 })
        }),
        (
            "too many pdf pages",
            build_pdf(&[page.clone(), page.clone(), page.clone()], None),
            small,
            |e| matches!(e, DecodeError::TooManyPages { pages: 3, limit: 2 }),
        ),
        (
            "pdf without images",
            build_pdf(&[no_image.clone(), no_image], None),
            Limits::default(),
            |e| matches!(e, DecodeError::NoImages),
        ),
        ("encrypted pdf", encrypted_pdf(), Limits::default(), |e| {
            matches!(e, DecodeError::Encrypted)
        }),
        (
            "pdf jpx",
            build_pdf(
                &[pdf_page(
                    image_dict(40, 30, "DeviceRGB", 8, Some("JPXDecode")),
                    vec![0; 50],
                    (40.0, 30.0),
                )],
                None,
            ),
            Limits::default(),
            |e| matches!(e, DecodeError::Unsupported { page: 1, feature } if feature.contains("JPEG 2000")),
        ),
        (
            "pdf jbig2",
            build_pdf(
                &[pdf_page(
                    image_dict(40, 30, "DeviceGray", 1, Some("JBIG2Decode")),
                    vec![0; 50],
                    (40.0, 30.0),
                )],
                None,
            ),
            Limits::default(),
            |e| matches!(e, DecodeError::Unsupported { page: 1, feature } if feature.contains("JBIG2")),
        ),
        (
            "pdf ccitt g3 2-d",
            build_pdf(
                &[pdf_page(
                    ccitt_dict(40, 30, 4, false),
                    vec![0; 50],
                    (40.0, 30.0),
                )],
                None,
            ),
            Limits::default(),
            |e| matches!(e, DecodeError::Unsupported { page: 1, feature } if feature.contains("K > 0")),
        ),
        (
            "pdf ccitt g4 truncated",
            build_pdf(
                &[pdf_page(
                    ccitt_dict(300, 200, -1, false),
                    {
                        let data = g4(&bilevel(300, 200));
                        data[..data.len() / 3].to_vec()
                    },
                    (300.0, 200.0),
                )],
                None,
            ),
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "PDF", .. }),
        ),
        (
            "pdf short image data",
            build_pdf(
                &[pdf_page(
                    image_dict(40, 30, "DeviceGray", 8, None),
                    vec![0; 100],
                    (40.0, 30.0),
                )],
                None,
            ),
            Limits::default(),
            |e| matches!(e, DecodeError::Corrupt { format: "PDF", .. }),
        ),
    ];
    for (name, bytes, limits, check) in cases {
        let started = std::time::Instant::now();
        match decode(&bytes, &limits) {
            Ok(pages) => panic!("{name}: decoded {} pages", pages.len()),
            Err(e) => assert!(check(&e), "{name}: wrong error: {e:?}"),
        }
        assert!(
            started.elapsed().as_secs() < 5,
            "{name}: took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_pdf_page_without_a_scan_is_skipped() {
    let g = DynamicImage::ImageLuma8(gray(40, 30));
    let page = pdf_page(
        image_dict(40, 30, "DeviceGray", 8, None),
        g.as_bytes().to_vec(),
        (40.0, 30.0),
    );
    let cover = PdfPage {
        images: vec![],
        ..page.clone()
    };
    let pages = decode(&build_pdf(&[cover, page], None), &Limits::default()).expect("pdf");
    assert_eq!(pages.len(), 1);
}

#[test]
fn messages_say_what_to_do() {
    let e = DecodeError::Unsupported {
        page: 3,
        feature: "JBIG2".into(),
    };
    assert_eq!(
        e.to_string(),
        "page 3 uses JBIG2, which is not supported; rescan as TIFF (G4) or PNG"
    );
    let pdf = build_pdf(
        &[pdf_page(
            image_dict(40, 30, "DeviceGray", 1, Some("JBIG2Decode")),
            vec![0; 50],
            (40.0, 30.0),
        )],
        None,
    );
    let e = decode(&pdf, &Limits::default()).expect_err("jbig2");
    assert_eq!(
        e.to_string(),
        "page 1 uses JBIG2, which is not supported; rescan as TIFF (G4) or PNG"
    );
}

/// Cut and damaged copies of every round-trip fixture: each gives pages or an
/// error, never a panic or a hang.
#[test]
fn damaged_files_never_panic() {
    let limits = Limits::default();
    for case in round_trip_cases() {
        let n = case.bytes.len();
        for cut in [n / 7, n / 3, n / 2, n * 4 / 5, n.saturating_sub(20)] {
            let _ = decode(&case.bytes[..cut], &limits);
        }
        for seed in 1..6u32 {
            let mut bytes = case.bytes.clone();
            for (i, r) in pseudo_random(8, seed).chunks(2).enumerate() {
                let at = (usize::from(r[0]) * 257 + usize::from(r[1]) + i * 991) % n;
                bytes[at] ^= 0x5A;
            }
            let _ = decode(&bytes, &limits);
        }
    }
}

#[test]
fn sniff_ignores_names_and_reads_signatures() {
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
    assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
    assert_eq!(sniff(b"II*\0...."), Some(Format::Tiff));
    assert_eq!(sniff(b"MM\0*...."), Some(Format::Tiff));
    assert_eq!(sniff(b"II+\0...."), Some(Format::Tiff));
    assert_eq!(sniff(b"\xEF\xBB\xBF%PDF-1.7"), Some(Format::Pdf));
    assert_eq!(sniff(b"GIF89a"), None);
}

// ---------------------------------------------------------------- other tools' files

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files written by ImageMagick, libtiff, img2pdf and Pillow (see the
/// fixtures' README) decode to the same pixels as their lossless sources.
#[test]
fn files_from_other_tools() {
    let limits = Limits::default();
    let one = |name: &str| -> DynamicImage {
        let pages = decode(&fixture(name), &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        pages[0].image.clone()
    };
    let bilevel = one("bilevel.png");
    let bilevel_2 = one("bilevel-2.png");
    let rgb = one("rgb.png");
    let palette = one("palette.png");
    let gray_jpeg = one("gray.jpg");
    assert_eq!(bilevel.color(), image::ColorType::L8);
    assert_eq!(gray_jpeg.color(), image::ColorType::L8);
    // (file, expected pages, largest mean difference, dpi)
    let cases: Vec<(&str, Vec<&DynamicImage>, f64, Option<u32>)> = vec![
        (
            "libtiff-g4-2pages.tif",
            vec![&bilevel, &bilevel_2],
            0.0,
            Some(300),
        ),
        (
            "magick-g4-2pages.tif",
            vec![&bilevel, &bilevel_2],
            0.0,
            Some(300),
        ),
        ("libtiff-lzw-predictor.tif", vec![&rgb], 0.5, Some(150)),
        ("libtiff-planar-lzw.tif", vec![&rgb], 0.5, Some(150)),
        ("libtiff-jpeg-ycbcr.tif", vec![&rgb], 4.0, Some(150)),
        (
            "libtiff-palette-4bit-lzw.tif",
            vec![&palette],
            0.0,
            Some(150),
        ),
        (
            "img2pdf-g4-2pages.pdf",
            vec![&bilevel, &bilevel_2],
            0.0,
            Some(300),
        ),
        ("img2pdf-1bit-flate.pdf", vec![&bilevel], 0.0, Some(300)),
        ("img2pdf-palette-flate.pdf", vec![&palette], 0.0, Some(150)),
        ("img2pdf-gray-jpeg.pdf", vec![&gray_jpeg], 0.0, Some(200)),
        ("pillow-g4.pdf", vec![&bilevel], 0.0, Some(300)),
    ];
    for (name, want, tolerance, dpi) in cases {
        let pages = decode(&fixture(name), &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pages.len(), want.len(), "{name}: page count");
        for (i, (page, want)) in pages.iter().zip(want).enumerate() {
            let label = format!("{name} page {}", i + 1);
            if tolerance == 0.0 {
                assert_same(&label, &page.image, want);
            } else {
                assert_close(&label, &page.image, want, tolerance);
            }
            assert_eq!(page.dpi, dpi, "{label}: dpi");
        }
    }

    let jpeg_bytes = fixture("gray.jpg");
    let page = &decode(&jpeg_bytes, &limits).expect("gray.jpg")[0];
    assert_eq!(page.dpi, Some(200));
    assert_eq!(page.original.as_deref(), Some(&jpeg_bytes[..]));
    let page = &decode(&fixture("img2pdf-gray-jpeg.pdf"), &limits).expect("pdf")[0];
    assert_eq!(page.original.as_deref(), Some(&jpeg_bytes[..]));

    let g3 = decode(&fixture("libtiff-g3.tif"), &limits).expect_err("g3 tiff");
    assert!(
        matches!(&g3, DecodeError::Unsupported { page: 1, feature } if feature.contains("G3")),
        "{g3:?}"
    );
}
