//! What the headers of a JPEG or PNG file say, read without decoding a pixel:
//! size, components, density, and whether the compressed data can go into a
//! PDF as it is.
//!
//! One reader for every user: `decode` checks a scan's size against its
//! limits and finds its resolution here before decoding it, and the PDF
//! writer (`pdf::write`) embeds a page's original JPEG (`/DCTDecode`) or PNG
//! rows (Flate with PNG predictors) when these headers say a PDF reader draws
//! them as they are. EXIF orientation is applied by the `image` crate's JPEG
//! decoder; only the EXIF resolution is read here.

/// The resolution a density states: `per_unit` pixels per inch (`inch` true)
/// or per centimetre. Implausible values give `None`.
pub fn dpi_from_density(per_unit: f64, inch: bool) -> Option<u32> {
    let dpi = if inch { per_unit } else { per_unit * 2.54 };
    if dpi.is_finite() && (1.0..=100_000.0).contains(&dpi) {
        Some(dpi.round() as u32)
    } else {
        None
    }
}

// ------------------------------------------------------------ JPEG

/// What the markers of a JPEG before its first scan say.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JpegHeader {
    /// The start-of-frame marker (0xC0 baseline, 0xC1 extended, 0xC2
    /// progressive, ...).
    pub sof: u8,
    /// Bits per sample.
    pub precision: u8,
    /// Colour components: 1 gray, 3 YCbCr/RGB, 4 CMYK.
    pub components: u8,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Whether an Adobe APP14 marker is present (its CMYK is stored inverted).
    pub adobe: bool,
    /// Resolution from JFIF or, failing that, Exif.
    pub dpi: Option<u32>,
}

impl JpegHeader {
    /// Walks the markers of a JPEG up to its first scan; `None` when the
    /// bytes are not a JPEG, a marker is damaged, or no frame header comes
    /// before the image data.
    pub fn read(bytes: &[u8]) -> Option<JpegHeader> {
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            return None;
        }
        let mut info = JpegHeader::default();
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
                    info.height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
                    info.width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
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
                0xEE if seg.starts_with(b"Adobe") => info.adobe = true,
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

    /// Whether the file can stand for its decoded pixels in a PDF: sequential,
    /// 8-bit, gray or colour, so a `/DCTDecode` stream of it shows what the
    /// decoder gives.
    pub fn embeddable(&self) -> bool {
        matches!(self.sof, 0xC0 | 0xC1) && self.precision == 8 && matches!(self.components, 1 | 3)
    }

    /// Whether a PDF reader can decode it with `/DCTDecode`: baseline,
    /// extended or progressive Huffman, 8 bits, 1, 3 or 4 components
    /// (not arithmetic coding, not 12 bits).
    pub fn dct_decodable(&self) -> bool {
        matches!(self.sof, 0xC0..=0xC2)
            && self.precision == 8
            && self.width > 0
            && self.height > 0
            && matches!(self.components, 1 | 3 | 4)
    }
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

// ------------------------------------------------------------ PNG

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

/// What the chunks of a PNG say about its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The rest of IHDR, when it has its full 13 bytes.
    pub format: Option<PngFormat>,
    /// Resolution from a pHYs chunk before the image data.
    pub dpi: Option<u32>,
    /// Whether a tRNS chunk (transparency) or a second IHDR comes before IEND.
    pub transparency_or_second_header: bool,
    /// Whether the chunks run complete up to IEND.
    pub complete: bool,
}

/// The IHDR fields after the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngFormat {
    /// Bits per sample (or per palette index).
    pub bit_depth: u8,
    /// 0 gray, 2 RGB, 3 palette, 4 gray with alpha, 6 RGB with alpha.
    pub color_type: u8,
    /// Compression method (0 is the only one defined).
    pub compression: u8,
    /// Filter method (0 is the only one defined).
    pub filter: u8,
    /// Interlace method: 0 none, 1 Adam7.
    pub interlace: u8,
}

impl PngHeader {
    /// Reads a PNG's chunks; `None` unless the first one is IHDR.
    pub fn read(bytes: &[u8]) -> Option<PngHeader> {
        let mut header: Option<PngHeader> = None;
        let mut data_seen = false;
        for (kind, d) in png_chunks(bytes) {
            match kind {
                b"IHDR" if header.is_none() => {
                    let size = d.get(..8)?;
                    header = Some(PngHeader {
                        width: u32::from_be_bytes([size[0], size[1], size[2], size[3]]),
                        height: u32::from_be_bytes([size[4], size[5], size[6], size[7]]),
                        format: (d.len() == 13).then(|| PngFormat {
                            bit_depth: d[8],
                            color_type: d[9],
                            compression: d[10],
                            filter: d[11],
                            interlace: d[12],
                        }),
                        dpi: None,
                        transparency_or_second_header: false,
                        complete: false,
                    });
                }
                b"IHDR" | b"tRNS" => {
                    if let Some(h) = header.as_mut() {
                        h.transparency_or_second_header = true;
                    }
                }
                b"pHYs" if d.len() >= 9 && !data_seen => {
                    let x = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
                    if let Some(h) = header.as_mut() {
                        // Unit 1 is the metre; 0 states only an aspect ratio.
                        if d[8] == 1 {
                            h.dpi = dpi_from_density(f64::from(x) / 100.0, false);
                        }
                    }
                }
                b"IDAT" => data_seen = true,
                b"IEND" => {
                    if let Some(h) = header.as_mut() {
                        h.complete = true;
                    }
                    break;
                }
                _ => {}
            }
            // IHDR must be the first chunk.
            header.as_ref()?;
        }
        header
    }

    /// Colour components (1 gray, 3 RGB) when the PNG's compressed rows can
    /// go into a PDF as they are (Flate with PNG predictors): gray of 1, 2,
    /// 4 or 8 bits or 8-bit RGB, not interlaced, without transparency, and
    /// complete; `None` for any other PNG.
    pub fn pdf_colors(&self) -> Option<u8> {
        let f = self.format?;
        let colors = match (f.color_type, f.bit_depth) {
            (0, 1 | 2 | 4 | 8) => 1,
            (2, 8) => 3,
            _ => return None,
        };
        let plain = (f.compression, f.filter, f.interlace) == (0, 0, 0);
        (plain
            && self.width > 0
            && self.height > 0
            && self.complete
            && !self.transparency_or_second_header)
            .then_some(colors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pngs_a_pdf_can_draw_as_they_are_pass() {
        let gray = image::GrayImage::from_fn(9, 5, |x, y| image::Luma([(x * 20 + y) as u8]));
        let mut png = Vec::new();
        gray.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let info = PngHeader::read(&png).expect("an 8-bit gray PNG");
        assert_eq!((info.width, info.height), (9, 5));
        assert_eq!(info.pdf_colors(), Some(1));
        assert_eq!(info.format.map(|f| f.bit_depth), Some(8));
        assert!(!png_idat(&png).is_empty());
        // IHDR's data starts at byte 16: colour type at 25, interlace at 28.
        let with = |at: usize, v: u8| {
            let mut p = png.clone();
            p[at] = v;
            p
        };
        let colors = |png: &[u8]| PngHeader::read(png).and_then(|h| h.pdf_colors());
        assert_eq!(colors(&with(25, 3)), None, "palette");
        assert_eq!(colors(&with(25, 4)), None, "gray with alpha");
        assert_eq!(colors(&with(24, 16)), None, "16 bits");
        assert_eq!(colors(&with(28, 1)), None, "interlaced");
        assert_eq!(colors(&png[..png.len() - 12]), None, "no IEND");
        let mut trns = png[..33].to_vec();
        trns.extend_from_slice(&[0, 0, 0, 2, b't', b'R', b'N', b'S', 0, 0, 0, 0, 0, 0]);
        trns.extend_from_slice(&png[33..]);
        assert_eq!(colors(&trns), None, "transparency");
        assert_eq!(colors(b"not a png"), None);
    }

    #[test]
    fn rejects_what_is_not_a_jpeg() {
        assert_eq!(JpegHeader::read(b""), None);
        assert_eq!(JpegHeader::read(b"\xFF\xD8\xFF"), None);
        assert_eq!(JpegHeader::read(b"%PDF-1.7"), None);
    }
}
