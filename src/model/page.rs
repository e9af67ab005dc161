//! A page of a scan as decoded: its image, stated resolution and, when the
//! page is that file as is, its original JPEG or PNG bytes; and the container
//! format a scan came in.

use image::DynamicImage;

/// The container format of a scan, from its leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG / JFIF.
    Jpeg,
    /// TIFF (little or big endian).
    Tiff,
    /// PDF.
    Pdf,
}

/// One decoded page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page image (gray, RGB or bilevel expanded to gray).
    pub image: DynamicImage,
    /// The resolution the file states, if it states one.
    pub dpi: Option<u32>,
    /// The page's original JPEG or PNG file when the page is that file as
    /// is, so that the result PDF can embed its compressed data without
    /// compressing the pixels again.
    pub original: Option<Vec<u8>>,
}

impl Page {
    /// Turns the page clockwise by `quarters` quarter turns. A page kept as
    /// its original JPEG is re-encoded (quality 90) so it can still be
    /// embedded as a JPEG; an original PNG is dropped (its pixels are
    /// compressed anew when the result is made).
    pub fn turn(&mut self, quarters: u8) {
        if quarters.is_multiple_of(4) {
            return;
        }
        let image = std::mem::take(&mut self.image);
        self.image = crate::raster::turn_image(image, quarters);
        let original = self.original.as_deref().unwrap_or_default();
        let jpeg = crate::headers::JpegHeader::read(original)
            .filter(crate::headers::JpegHeader::dct_decodable);
        if jpeg.is_none() {
            self.original = None;
        } else {
            let mut out = Vec::new();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            let ok = match &self.image {
                DynamicImage::ImageLuma8(g) => g.write_with_encoder(enc).is_ok(),
                img => img.to_rgb8().write_with_encoder(enc).is_ok(),
            };
            self.original = ok.then_some(out);
        }
    }
}
