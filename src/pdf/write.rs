//! Our own result documents, written and read back with `lopdf`: embedded
//! Unicode fonts (Type0, Identity-H, subset, ToUnicode), images, attachments,
//! and reading the text and attachments back (`verify`).
//!
//! [`PdfBuilder`] assembles a document and [`PdfBuilder::finish`] writes it:
//! PDF 1.7, a classic cross-reference table, no object streams, objects in id
//! order and dictionaries in insertion order, a trailer `/ID` derived from a
//! SHA-256 of the body and no clock anywhere, so the same inputs give the same
//! bytes. The output ends with `%%EOF` and is ready for an incremental update
//! (a signature field and `/ByteRange` appended after it).

mod font;
mod image;
mod pdfa;
mod read_back;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use ::image::DynamicImage;
use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use super::syntax::text_string;
use crate::headers::{JpegHeader, PngHeader};

pub use font::{FontFile, UnicodeFont};
pub use pdfa::{SRGB_CONDITION, SRGB_ICC};
pub use read_back::{page_text, read_attachment};

/// Why a font cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The font file could not be read.
    #[error("cannot read font file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a usable TrueType font.
    #[error("font file {} {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// None of the default locations of a font holds it.
    #[error(
        "no {role} font found (looked for {tried}); install the Debian package {package} \
         or give the path of a TrueType font"
    )]
    NotInstalled {
        /// What the font is for, e.g. `regular`.
        role: &'static str,
        /// The paths looked at, comma-separated.
        tried: String,
        /// The Debian package that provides the preferred font.
        package: &'static str,
    },
}

/// Why a PDF could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes are not a PDF `lopdf` can read.
    #[error("not a readable PDF: {0}")]
    Parse(#[source] lopdf::Error),
    /// The PDF is readable but its structure is not what it should be.
    #[error("malformed PDF: {0}")]
    Malformed(String),
    /// A page index past the last page.
    #[error("the PDF has {count} pages, so there is no page {index} (counting from 0)")]
    NoPage {
        /// The requested page, from 0.
        index: usize,
        /// How many pages there are.
        count: usize,
    },
    /// The font could not be subset for embedding.
    #[error("cannot subset font {}: {reason}", font.display())]
    Subset {
        /// The font file.
        font: PathBuf,
        /// The subsetter's reason.
        reason: String,
    },
    /// Serializing the document failed.
    #[error("cannot write the PDF: {0}")]
    Write(#[source] std::io::Error),
}

/// Flate-compresses bytes at the best level (deterministic output).
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_level(data, 9)
}

/// Flate-compresses bytes at `level` (0–9; deterministic output).
pub(crate) fn deflate_level(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::new(level),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// A number as a content-stream operand: at most three decimals, no `-0`.
fn num(v: f32) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A page content stream under construction. Operators are written one per line.
#[derive(Debug, Default, Clone)]
pub struct Content {
    buf: Vec<u8>,
}

impl Content {
    /// An empty content stream.
    pub fn new() -> Content {
        Content::default()
    }

    fn line(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'\n');
    }

    /// `q`: saves the graphics state.
    pub fn save(&mut self) {
        self.line("q");
    }

    /// `Q`: restores the graphics state.
    pub fn restore(&mut self) {
        self.line("Q");
    }

    /// Paints image XObject `name` into the rectangle `x, y, w, h` (points).
    pub fn image(&mut self, name: &str, x: f32, y: f32, w: f32, h: f32) {
        self.line("q");
        self.line(&format!(
            "{} 0 0 {} {} {} cm",
            num(w),
            num(h),
            num(x),
            num(y)
        ));
        self.line(&format!("/{name} Do"));
        self.line("Q");
    }

    /// `BT`: begins a text object (one line of text for [`page_text`]).
    pub fn begin_text(&mut self) {
        self.line("BT");
    }

    /// `ET`: ends a text object.
    pub fn end_text(&mut self) {
        self.line("ET");
    }

    /// `Tf`: selects font resource `name` at `size` points.
    pub fn font(&mut self, name: &str, size: f32) {
        self.line(&format!("/{name} {} Tf", num(size)));
    }

    /// `Tm`: moves the text origin to `x, y` with no rotation.
    pub fn text_at(&mut self, x: f32, y: f32) {
        self.line(&format!("1 0 0 1 {} {} Tm", num(x), num(y)));
    }

    /// `Tr`: text rendering mode (0 fill, 3 invisible).
    pub fn render_mode(&mut self, mode: u8) {
        self.line(&format!("{mode} Tr"));
    }

    /// `Tz`: horizontal scaling in percent.
    pub fn horizontal_scale(&mut self, percent: f32) {
        self.line(&format!("{} Tz", num(percent)));
    }

    /// `Tj`: shows `text` with `font`, which must be the selected font.
    pub fn show(&mut self, font: &mut UnicodeFont<'_>, text: &str) {
        let bytes = font.encode(text);
        let mut s = String::with_capacity(bytes.len() * 2 + 6);
        s.push('<');
        for b in bytes {
            s.push_str(&format!("{b:02X}"));
        }
        s.push_str("> Tj");
        self.line(&s);
    }

    /// `g`/`G`: fill and stroke gray level (0 black, 1 white).
    pub fn gray(&mut self, level: f32) {
        self.line(&format!("{0} g {0} G", num(level)));
    }

    /// `w`: line width in points.
    pub fn line_width(&mut self, w: f32) {
        self.line(&format!("{} w", num(w)));
    }

    /// `d`: a dash pattern (empty for solid lines).
    pub fn dash(&mut self, pattern: &[f32]) {
        let p: Vec<String> = pattern.iter().map(|&v| num(v)).collect();
        self.line(&format!("[{}] 0 d", p.join(" ")));
    }

    /// Strokes a straight line.
    pub fn stroke_line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32) {
        self.line(&format!(
            "{} {} m {} {} l S",
            num(x0),
            num(y0),
            num(x1),
            num(y1)
        ));
    }

    /// Strokes a rectangle.
    pub fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.line(&format!("{} {} {} {} re S", num(x), num(y), num(w), num(h)));
    }

    /// Fills a rectangle.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.line(&format!("{} {} {} {} re f", num(x), num(y), num(w), num(h)));
    }

    /// Appends operators written elsewhere (e.g. a QR code's rectangles).
    pub fn raw(&mut self, ops: &[u8]) {
        self.buf.extend_from_slice(ops);
        if !ops.ends_with(b"\n") {
            self.buf.push(b'\n');
        }
    }

    /// The content stream's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// A font added to a [`PdfBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FontId(usize);

/// An image XObject added to a [`PdfBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef {
    /// The XObject's object id.
    pub id: ObjectId,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A file to embed in the document.
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    /// The file name, e.g. `manifest.json`.
    pub name: &'a str,
    /// The media type, e.g. `application/json`.
    pub media_type: &'a str,
    /// A short human description.
    pub description: &'a str,
    /// The file's bytes.
    pub data: &'a [u8],
}

/// Document information (`/Info`); nothing here comes from a clock.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// `/Title`.
    pub title: Option<String>,
    /// `/Subject`.
    pub subject: Option<String>,
    /// `/Producer`.
    pub producer: Option<String>,
    /// `/CreationDate`, already in PDF date form (`D:20240705093000Z`).
    pub creation_date: Option<String>,
    /// The catalog's `/Lang`, e.g. `vi-VN`.
    pub lang: Option<String>,
}

/// Assembles a PDF: fonts, images, pages, attachments; see the module doc.
pub struct PdfBuilder<'f> {
    doc: Document,
    pages_id: ObjectId,
    pages: Vec<ObjectId>,
    fonts: Vec<(ObjectId, UnicodeFont<'f>)>,
    attachments: BTreeMap<String, ObjectId>,
    /// The embedded file streams, to be given their `/Params /ModDate`.
    attached_files: Vec<ObjectId>,
    info: Info,
}

impl std::fmt::Debug for PdfBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfBuilder")
            .field("pages", &self.pages.len())
            .field("fonts", &self.fonts.len())
            .field("attachments", &self.attachments.len())
            .finish()
    }
}

impl Default for PdfBuilder<'_> {
    fn default() -> Self {
        PdfBuilder::new()
    }
}

impl<'f> PdfBuilder<'f> {
    /// An empty document.
    pub fn new() -> PdfBuilder<'f> {
        let mut doc = Document::with_version("1.7");
        doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
        let pages_id = doc.new_object_id();
        PdfBuilder {
            doc,
            pages_id,
            pages: Vec::new(),
            fonts: Vec::new(),
            attachments: BTreeMap::new(),
            attached_files: Vec::new(),
            info: Info::default(),
        }
    }

    /// Sets the document information.
    pub fn set_info(&mut self, info: Info) {
        self.info = info;
    }

    /// Adds a font; it is subset and written by [`PdfBuilder::finish`].
    pub fn add_font(&mut self, file: &'f FontFile) -> Result<FontId, FontError> {
        let font = UnicodeFont::new(file)?;
        let id = self.doc.new_object_id();
        self.fonts.push((id, font));
        Ok(FontId(self.fonts.len() - 1))
    }

    /// The font behind `id`, to measure and show text with.
    pub fn font(&mut self, id: FontId) -> &mut UnicodeFont<'f> {
        &mut self.fonts[id.0].1
    }

    /// Two fonts at once (e.g. a label font and a value font).
    ///
    /// # Panics
    ///
    /// If `a` and `b` are the same font.
    pub fn font_pair(
        &mut self,
        a: FontId,
        b: FontId,
    ) -> (&mut UnicodeFont<'f>, &mut UnicodeFont<'f>) {
        assert_ne!(a, b, "font_pair needs two different fonts");
        if a.0 < b.0 {
            let (lo, hi) = self.fonts.split_at_mut(b.0);
            (&mut lo[a.0].1, &mut hi[0].1)
        } else {
            let (lo, hi) = self.fonts.split_at_mut(a.0);
            (&mut hi[0].1, &mut lo[b.0].1)
        }
    }

    /// Adds a JPEG image as is (`/DCTDecode`); `None` when the JPEG is of a kind
    /// PDF readers cannot decode (see [`JpegHeader::dct_decodable`]), so the
    /// caller can embed its pixels instead.
    pub fn add_jpeg(&mut self, jpeg: &[u8]) -> Option<ImageRef> {
        let info = JpegHeader::read(jpeg).filter(JpegHeader::dct_decodable)?;
        let id = self.doc.add_object(image::jpeg_xobject(jpeg, info));
        Some(ImageRef {
            id,
            width: info.width,
            height: info.height,
        })
    }

    /// Adds a PNG's compressed data as is (gray or RGB without transparency,
    /// not interlaced); `None` for any other PNG.
    pub fn add_png(&mut self, png: &[u8]) -> Option<ImageRef> {
        let info = PngHeader::read(png)?;
        let colors = info.pdf_colors()?;
        let id = self.doc.add_object(image::png_xobject(png, &info, colors)?);
        Some(ImageRef {
            id,
            width: info.width,
            height: info.height,
        })
    }

    /// Adds an image from pixels (1-bit, gray or RGB, Flate-compressed).
    pub fn add_pixels(&mut self, img: &DynamicImage) -> ImageRef {
        let id = self.doc.add_object(image::pixel_xobject(img));
        ImageRef {
            id,
            width: img.width(),
            height: img.height(),
        }
    }

    /// Adds a page of `width` × `height` points drawing `content`, whose font
    /// and image resource names are given; returns the page's object id.
    pub fn add_page(
        &mut self,
        width: f32,
        height: f32,
        content: Content,
        fonts: &[(&str, FontId)],
        images: &[(&str, ImageRef)],
    ) -> ObjectId {
        let mut stream_dict = Dictionary::new();
        stream_dict.set("Filter", "FlateDecode");
        let content_id = self.doc.add_object(
            Stream::new(stream_dict, deflate(&content.into_bytes())).with_compression(false),
        );
        let mut resources = Dictionary::new();
        if !fonts.is_empty() {
            let mut f = Dictionary::new();
            for (name, id) in fonts {
                f.set(name.as_bytes().to_vec(), self.fonts[id.0].0);
            }
            resources.set("Font", f);
        }
        if !images.is_empty() {
            let mut x = Dictionary::new();
            for (name, img) in images {
                x.set(name.as_bytes().to_vec(), img.id);
            }
            resources.set("XObject", x);
        }
        let mut page = Dictionary::new();
        page.set("Type", "Page");
        page.set("Parent", self.pages_id);
        page.set(
            "MediaBox",
            vec![
                0.into(),
                0.into(),
                Object::Real(width),
                Object::Real(height),
            ],
        );
        page.set("Resources", resources);
        page.set("Contents", content_id);
        let id = self.doc.add_object(page);
        self.pages.push(id);
        id
    }

    /// Embeds a file: an `/EmbeddedFile` stream, a file specification with
    /// `/AFRelationship /Data`, listed in the catalog's `/EmbeddedFiles` name
    /// tree and `/AF` array. A second file with the same name replaces the first.
    pub fn attach(&mut self, a: &Attachment<'_>) {
        let mut params = Dictionary::new();
        params.set("Size", a.data.len() as i64);
        let mut ef_dict = Dictionary::new();
        ef_dict.set("Type", "EmbeddedFile");
        ef_dict.set("Subtype", a.media_type);
        ef_dict.set("Params", params);
        ef_dict.set("Filter", "FlateDecode");
        let file_id = self
            .doc
            .add_object(Stream::new(ef_dict, deflate(a.data)).with_compression(false));
        let mut ef = Dictionary::new();
        ef.set("F", file_id);
        ef.set("UF", file_id);
        let mut spec = Dictionary::new();
        spec.set("Type", "Filespec");
        spec.set("F", text_string(a.name));
        spec.set("UF", text_string(a.name));
        spec.set("Desc", text_string(a.description));
        spec.set("EF", ef);
        spec.set("AFRelationship", "Data");
        let spec_id = self.doc.add_object(spec);
        self.attachments.insert(a.name.to_string(), spec_id);
        self.attached_files.push(file_id);
    }

    /// Writes the document: fonts subset and embedded, page tree, catalog
    /// with PDF/A-3b metadata and output intent,
    /// `/Info`, and a content-derived `/ID`.
    pub fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        for (id, font) in &self.fonts {
            font.write(&mut self.doc, *id)?;
        }
        let mut pages = Dictionary::new();
        pages.set("Type", "Pages");
        pages.set(
            "Kids",
            self.pages
                .iter()
                .map(|&p| Object::Reference(p))
                .collect::<Vec<_>>(),
        );
        pages.set("Count", self.pages.len() as i64);
        self.doc.set_object(self.pages_id, pages);

        let mut catalog = Dictionary::new();
        catalog.set("Type", "Catalog");
        catalog.set("Pages", self.pages_id);
        if let Some(lang) = &self.info.lang {
            catalog.set("Lang", text_string(lang));
        }
        if !self.attachments.is_empty() {
            // Name tree keys are sorted: the BTreeMap's order (byte order of UTF-8
            // equals code point order, and the keys are written as text strings).
            let mut names = Vec::new();
            for (name, spec) in &self.attachments {
                names.push(text_string(name));
                names.push(Object::Reference(*spec));
            }
            let mut tree = Dictionary::new();
            tree.set("Names", names);
            let mut names_dict = Dictionary::new();
            names_dict.set("EmbeddedFiles", tree);
            catalog.set("Names", names_dict);
            catalog.set(
                "AF",
                self.attachments
                    .values()
                    .map(|&s| Object::Reference(s))
                    .collect::<Vec<_>>(),
            );
        }
        // PDF/A-3: each embedded file says when it was made (the document's
        // date: nothing here reads a clock).
        if let Some(date) = &self.info.creation_date {
            for id in &self.attached_files {
                if let Ok(Object::Stream(s)) = self.doc.get_object_mut(*id) {
                    if let Ok(Object::Dictionary(params)) = s.dict.get_mut(b"Params") {
                        params.set("ModDate", Object::string_literal(date.as_bytes()));
                    }
                }
            }
        }
        pdfa::add_to_catalog(&mut self.doc, &mut catalog, &self.info);
        if self.info.title.is_some() {
            let mut prefs = Dictionary::new();
            prefs.set("DisplayDocTitle", true);
            catalog.set("ViewerPreferences", prefs);
        }
        let catalog_id = self.doc.add_object(catalog);

        let mut info = Dictionary::new();
        let fields = [
            ("Title", &self.info.title),
            ("Subject", &self.info.subject),
            ("Producer", &self.info.producer),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                info.set(key, text_string(v));
            }
        }
        if let Some(date) = &self.info.creation_date {
            info.set("CreationDate", Object::string_literal(date.as_bytes()));
            info.set("ModDate", Object::string_literal(date.as_bytes()));
        }
        self.doc.trailer.set("Root", catalog_id);
        if !info.is_empty() {
            let info_id = self.doc.add_object(info);
            self.doc.trailer.set("Info", info_id);
        }

        let mut first = Vec::new();
        self.doc.save_to(&mut first).map_err(PdfError::Write)?;
        let digest = Sha256::digest(&first);
        let id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
        self.doc.trailer.set("ID", vec![id.clone(), id]);
        let mut out = Vec::with_capacity(first.len() + 100);
        self.doc.save_to(&mut out).map_err(PdfError::Write)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
