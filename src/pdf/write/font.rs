//! Embedded Unicode fonts: a TrueType font written as a Type0 font with a
//! CIDFontType2 descendant, Identity-H encoding, a subset of the glyphs it shows
//! and a ToUnicode CMap, so text stays extractable and searchable.
//!
//! Character ids (CIDs) are handed out per font in the order characters are first
//! shown, starting at 1; CID 0 is `.notdef`. Each CID stands for exactly one
//! character, so the ToUnicode CMap maps every CID back to its character without
//! ambiguity, even when two characters share a glyph or the font lacks one (such a
//! character is drawn as `.notdef` and still extracts correctly). A
//! `/CIDToGIDMap` stream maps each CID to its glyph in the subset, whose glyph ids
//! `subsetter` renumbers densely.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::{deflate, FontError, PdfError};

/// A TrueType font file read into memory and checked to have `glyf` outlines.
///
/// Cheap to clone (the bytes are shared), `Send` and `Sync`: load once, reuse for
/// every document.
#[derive(Clone)]
pub struct FontFile {
    path: PathBuf,
    data: Arc<[u8]>,
}

impl fmt::Debug for FontFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FontFile")
            .field("path", &self.path)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl FontFile {
    /// Reads and checks the TrueType font at `path`.
    pub fn open(path: &Path) -> Result<FontFile, FontError> {
        let data = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        FontFile::from_bytes(path, data)
    }

    /// Checks font bytes already in memory; `path` names them in messages.
    pub fn from_bytes(path: impl Into<PathBuf>, data: Vec<u8>) -> Result<FontFile, FontError> {
        let path = path.into();
        let invalid = |reason: &str| FontError::Invalid {
            path: path.clone(),
            reason: reason.to_string(),
        };
        let face = ttf_parser::Face::parse(&data, 0)
            .map_err(|e| invalid(&format!("not a TrueType/OpenType font ({e})")))?;
        if face.tables().glyf.is_none() {
            return Err(invalid(
                "has no TrueType (glyf) outlines; use a .ttf font such as Noto Serif",
            ));
        }
        if face.glyph_index('A').is_none() {
            return Err(invalid("has no Unicode cmap for Latin letters"));
        }
        Ok(FontFile {
            path,
            data: data.into(),
        })
    }

    /// Where the font was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The font file's bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// One character as shown with a font: its glyph in the full font and its width.
#[derive(Debug, Clone, Copy)]
struct Shown {
    ch: char,
    gid: u16,
    width: i64,
}

/// A font being embedded in one document: measures text, encodes it as CIDs, and
/// remembers which characters were shown so [`UnicodeFont::write`] embeds only
/// their glyphs.
pub struct UnicodeFont<'f> {
    file: &'f FontFile,
    face: ttf_parser::Face<'f>,
    units_per_em: f32,
    cids: HashMap<char, u16>,
    shown: Vec<Shown>,
}

impl fmt::Debug for UnicodeFont<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnicodeFont")
            .field("path", &self.file.path)
            .field("chars", &self.shown.len())
            .finish()
    }
}

impl<'f> UnicodeFont<'f> {
    /// Starts embedding `file`.
    pub fn new(file: &'f FontFile) -> Result<UnicodeFont<'f>, FontError> {
        let face = ttf_parser::Face::parse(&file.data, 0).map_err(|e| FontError::Invalid {
            path: file.path.clone(),
            reason: format!("not a TrueType/OpenType font ({e})"),
        })?;
        let units_per_em = f32::from(face.units_per_em().max(1));
        Ok(UnicodeFont {
            file,
            face,
            units_per_em,
            cids: HashMap::new(),
            shown: Vec::new(),
        })
    }

    /// Glyph and width (thousandths of an em, rounded as written in `/W`) of a
    /// character; a character the font lacks is `.notdef`.
    fn glyph(&self, ch: char) -> (u16, i64) {
        let gid = self.face.glyph_index(ch).unwrap_or(ttf_parser::GlyphId(0));
        let advance = self.face.glyph_hor_advance(gid).unwrap_or(0);
        let width = (f32::from(advance) * 1000.0 / self.units_per_em).round() as i64;
        (gid.0, width)
    }

    /// Whether the font has a glyph for every character of `text`.
    pub fn covers(&self, text: &str) -> bool {
        text.nfc()
            .all(|c| c.is_whitespace() || self.face.glyph_index(c).is_some())
    }

    /// The advance width of `text` (NFC) at `size` points, in points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: i64 = text.nfc().map(|c| self.glyph(c).1).sum();
        units as f32 * size / 1000.0
    }

    /// The typographic ascender, in thousandths of an em.
    pub fn ascent(&self) -> f32 {
        f32::from(self.face.ascender()) * 1000.0 / self.units_per_em
    }

    /// The typographic descender (negative), in thousandths of an em.
    pub fn descent(&self) -> f32 {
        f32::from(self.face.descender()) * 1000.0 / self.units_per_em
    }

    /// Encodes `text` (NFC) as big-endian two-byte CIDs for a `Tj` string,
    /// recording the characters so their glyphs get embedded.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for ch in text.nfc() {
            let cid = self.cid(ch);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    fn cid(&mut self, ch: char) -> u16 {
        if let Some(&cid) = self.cids.get(&ch) {
            return cid;
        }
        let Ok(cid) = u16::try_from(self.shown.len() + 1) else {
            return 0;
        };
        if cid == u16::MAX {
            return 0;
        }
        let (gid, width) = self.glyph(ch);
        self.shown.push(Shown { ch, gid, width });
        self.cids.insert(ch, cid);
        cid
    }

    fn postscript_name(&self) -> String {
        let name = self
            .face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "Font".to_string());
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if clean.is_empty() {
            "Font".to_string()
        } else {
            clean
        }
    }

    /// Writes the font's objects into `doc`, the Type0 font dictionary at
    /// `type0_id` (reserved earlier, so pages could refer to it).
    pub fn write(&self, doc: &mut Document, type0_id: ObjectId) -> Result<(), PdfError> {
        let mut gids: Vec<u16> = self.shown.iter().map(|s| s.gid).collect();
        gids.sort_unstable();
        gids.dedup();
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&gids);
        let subset =
            subsetter::subset(self.file.data(), 0, &remapper).map_err(|e| PdfError::Subset {
                font: self.file.path.clone(),
                reason: e.to_string(),
            })?;

        // A deterministic subset tag: six capitals from a hash of the glyph set.
        let mut hasher = Sha256::new();
        hasher.update(self.postscript_name().as_bytes());
        for g in &gids {
            hasher.update(g.to_be_bytes());
        }
        let digest = hasher.finalize();
        let tag: String = digest
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let base_font = format!("{tag}+{}", self.postscript_name());

        let mut font_file = Dictionary::new();
        font_file.set("Length1", subset.len() as i64);
        font_file.set("Filter", "FlateDecode");
        let font_file_id = doc.add_object(Stream::new(font_file, deflate(&subset)));

        let scale = 1000.0 / self.units_per_em;
        let bbox = self.face.global_bounding_box();
        let s = |v: i16| (f32::from(v) * scale).round() as i64;
        let mut flags = 4i64; // symbolic: glyphs are addressed by CID, not by a standard encoding
        if self.face.is_monospaced() {
            flags |= 1;
        }
        if self.postscript_name().contains("Serif") {
            flags |= 2;
        }
        if self.face.is_italic() {
            flags |= 64;
        }
        let weight = f32::from(self.face.weight().to_number());
        let stem_v = (10.0 + 220.0 * (weight - 50.0) / 900.0).round() as i64;
        let mut descriptor = Dictionary::new();
        descriptor.set("Type", "FontDescriptor");
        descriptor.set("FontName", Object::Name(base_font.clone().into_bytes()));
        descriptor.set("Flags", flags);
        descriptor.set(
            "FontBBox",
            vec![
                s(bbox.x_min).into(),
                s(bbox.y_min).into(),
                s(bbox.x_max).into(),
                s(bbox.y_max).into(),
            ],
        );
        descriptor.set("ItalicAngle", self.face.italic_angle().round() as i64);
        descriptor.set("Ascent", s(self.face.ascender()));
        descriptor.set("Descent", s(self.face.descender()));
        descriptor.set(
            "CapHeight",
            s(self.face.capital_height().unwrap_or(self.face.ascender())),
        );
        descriptor.set("StemV", stem_v.max(0));
        descriptor.set("FontFile2", font_file_id);
        let descriptor_id = doc.add_object(descriptor);

        // CID -> glyph id in the subset, two bytes per CID, CID 0 first.
        let mut map = Vec::with_capacity((self.shown.len() + 1) * 2);
        map.extend_from_slice(&0u16.to_be_bytes());
        for s in &self.shown {
            let gid = remapper.get(s.gid).unwrap_or(0);
            map.extend_from_slice(&gid.to_be_bytes());
        }
        let mut map_dict = Dictionary::new();
        map_dict.set("Filter", "FlateDecode");
        let map_id = doc.add_object(Stream::new(map_dict, deflate(&map)));

        let widths: Vec<Object> = self.shown.iter().map(|s| s.width.into()).collect();
        let mut system_info = Dictionary::new();
        system_info.set("Registry", Object::string_literal("Adobe"));
        system_info.set("Ordering", Object::string_literal("Identity"));
        system_info.set("Supplement", 0);
        let mut cid_font = Dictionary::new();
        cid_font.set("Type", "Font");
        cid_font.set("Subtype", "CIDFontType2");
        cid_font.set("BaseFont", Object::Name(base_font.clone().into_bytes()));
        cid_font.set("CIDSystemInfo", system_info);
        cid_font.set("FontDescriptor", descriptor_id);
        cid_font.set("DW", self.glyph_width_of_notdef());
        if !widths.is_empty() {
            cid_font.set("W", vec![Object::Integer(1), Object::Array(widths)]);
        }
        cid_font.set("CIDToGIDMap", map_id);
        let cid_font_id = doc.add_object(cid_font);

        let mut to_unicode = Dictionary::new();
        to_unicode.set("Filter", "FlateDecode");
        let to_unicode_id =
            doc.add_object(Stream::new(to_unicode, deflate(&self.to_unicode_cmap())));

        let mut type0 = Dictionary::new();
        type0.set("Type", "Font");
        type0.set("Subtype", "Type0");
        type0.set("BaseFont", Object::Name(base_font.into_bytes()));
        type0.set("Encoding", "Identity-H");
        type0.set("DescendantFonts", vec![Object::Reference(cid_font_id)]);
        type0.set("ToUnicode", to_unicode_id);
        doc.set_object(type0_id, type0);
        Ok(())
    }

    fn glyph_width_of_notdef(&self) -> i64 {
        let advance = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(0))
            .unwrap_or(0);
        (f32::from(advance) * 1000.0 / self.units_per_em).round() as i64
    }

    /// The ToUnicode CMap: every CID to its one character.
    fn to_unicode_cmap(&self) -> Vec<u8> {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for (chunk_index, chunk) in self.shown.chunks(100).enumerate() {
            out.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (i, s) in chunk.iter().enumerate() {
                let cid = chunk_index * 100 + i + 1;
                let mut units = [0u16; 2];
                let hex: String =
                    s.ch.encode_utf16(&mut units)
                        .iter()
                        .map(|u| format!("{u:04X}"))
                        .collect();
                out.push_str(&format!("<{cid:04X}> <{hex}>\n"));
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out.into_bytes()
    }
}
