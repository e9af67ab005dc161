//! Reading back what [`super::PdfBuilder`] writes: embedded files and the text
//! lines of a page (used by `verify` on our own result documents). Bounded: no
//! stream is inflated beyond [`MAX_STREAM_BYTES`].

use std::collections::HashMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, LoadOptions, Object};

use super::PdfError;
use crate::pdf::syntax::{parse_to_unicode, MAX_STREAM_BYTES};

/// How deep a name tree may nest before it is treated as malformed.
const MAX_TREE_DEPTH: usize = 32;

fn load(pdf: &[u8]) -> Result<Document, PdfError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    Document::load_mem_with_options(pdf, options).map_err(PdfError::Parse)
}

fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Object, PdfError> {
    doc.dereference(obj)
        .map(|(_, o)| o)
        .map_err(|e| PdfError::Malformed(format!("dangling reference: {e}")))
}

fn dict<'a>(doc: &'a Document, obj: &'a Object, what: &str) -> Result<&'a Dictionary, PdfError> {
    resolve(doc, obj)?
        .as_dict()
        .map_err(|_| PdfError::Malformed(format!("{what} is not a dictionary")))
}

/// The bytes of the embedded file called `name` (its `/UF` or `/F` name), found
/// through the catalog's `/EmbeddedFiles` name tree or its `/AF` array; `None`
/// when the PDF has no such attachment.
pub fn read_attachment(pdf: &[u8], name: &str) -> Result<Option<Vec<u8>>, PdfError> {
    let doc = load(pdf)?;
    let catalog = doc
        .catalog()
        .map_err(|e| PdfError::Malformed(format!("no document catalog: {e}")))?;
    let mut filespec = None;
    if let Ok(names) = catalog.get(b"Names") {
        let names = dict(&doc, names, "/Names")?;
        if let Ok(tree) = names.get(b"EmbeddedFiles") {
            filespec = find_in_name_tree(&doc, tree, name.as_bytes(), 0)?;
        }
    }
    if filespec.is_none() {
        if let Ok(af) = catalog.get(b"AF") {
            let af = resolve(&doc, af)?
                .as_array()
                .map_err(|_| PdfError::Malformed("/AF is not an array".into()))?;
            for spec in af {
                let spec_dict = dict(&doc, spec, "a file specification")?;
                if filespec_name(spec_dict).as_deref() == Some(name) {
                    filespec = Some(spec_dict);
                    break;
                }
            }
        }
    }
    let Some(spec) = filespec else {
        return Ok(None);
    };
    let ef = spec
        .get(b"EF")
        .map_err(|_| PdfError::Malformed(format!("attachment {name} has no /EF")))?;
    let ef = dict(&doc, ef, "/EF")?;
    let file = ef
        .get(b"UF")
        .or_else(|_| ef.get(b"F"))
        .map_err(|_| PdfError::Malformed(format!("attachment {name} has no embedded file")))?;
    let stream = resolve(&doc, file)?
        .as_stream()
        .map_err(|_| PdfError::Malformed(format!("attachment {name} is not a stream")))?;
    let bytes = stream
        .decompressed_content_with_limit(MAX_STREAM_BYTES)
        .map_err(|e| PdfError::Malformed(format!("attachment {name} does not inflate: {e}")))?;
    Ok(Some(bytes))
}

fn filespec_name(spec: &Dictionary) -> Option<String> {
    spec.get(b"UF")
        .or_else(|_| spec.get(b"F"))
        .ok()
        .and_then(|o| lopdf::decode_text_string(o).ok())
}

fn find_in_name_tree<'a>(
    doc: &'a Document,
    node: &'a Object,
    key: &[u8],
    depth: usize,
) -> Result<Option<&'a Dictionary>, PdfError> {
    if depth > MAX_TREE_DEPTH {
        return Err(PdfError::Malformed("name tree nests too deep".into()));
    }
    let node = dict(doc, node, "a name tree node")?;
    if let Ok(names) = node.get(b"Names") {
        let names = resolve(doc, names)?
            .as_array()
            .map_err(|_| PdfError::Malformed("/Names is not an array".into()))?;
        for pair in names.chunks(2) {
            if let [k, v] = pair {
                let k = resolve(doc, k)?;
                let matches = k.as_str().ok() == Some(key)
                    || lopdf::decode_text_string(k)
                        .ok()
                        .as_deref()
                        .map(str::as_bytes)
                        == Some(key);
                if matches {
                    return dict(doc, v, "a file specification").map(Some);
                }
            }
        }
    }
    if let Ok(kids) = node.get(b"Kids") {
        let kids = resolve(doc, kids)?
            .as_array()
            .map_err(|_| PdfError::Malformed("/Kids is not an array".into()))?;
        for kid in kids {
            if let Some(found) = find_in_name_tree(doc, kid, key, depth + 1)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// How to turn a font's string bytes into text.
struct TextDecoder {
    /// Bytes per character code: 2 for Type0 fonts, 1 otherwise.
    code_len: usize,
    /// The font's ToUnicode map.
    map: HashMap<u32, String>,
}

impl TextDecoder {
    fn for_font(doc: &Document, font: &Dictionary) -> TextDecoder {
        let code_len = match font.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Type0") => 2,
            _ => 1,
        };
        let map = to_unicode_map(doc, font).unwrap_or_default();
        TextDecoder { code_len, map }
    }

    fn decode(&self, bytes: &[u8], out: &mut String) {
        for code in bytes.chunks(self.code_len) {
            let code = code.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
            match self.map.get(&code) {
                Some(s) => out.push_str(s),
                None if self.code_len == 1 => out.push(char::from(code as u8)),
                None => out.push(char::REPLACEMENT_CHARACTER),
            }
        }
    }
}

/// A font's ToUnicode CMap as a map from character code to text; `None` when
/// the font has none or it cannot be read.
fn to_unicode_map(doc: &Document, font: &Dictionary) -> Option<HashMap<u32, String>> {
    font.get(b"ToUnicode")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_stream().ok())
        .and_then(|s| s.decompressed_content_with_limit(MAX_STREAM_BYTES).ok())
        .map(|cmap| parse_to_unicode(&cmap))
}

/// The text lines drawn on page `page_index` (from 0): one string per text
/// object (`BT` … `ET`), its strings decoded through the fonts' ToUnicode CMaps
/// and concatenated. Empty text objects are skipped.
pub fn page_text(pdf: &[u8], page_index: usize) -> Result<Vec<String>, PdfError> {
    let doc = load(pdf)?;
    let pages = doc.get_pages();
    let count = pages.len();
    let page_id = u32::try_from(page_index + 1)
        .ok()
        .and_then(|n| pages.get(&n))
        .copied()
        .ok_or(PdfError::NoPage {
            index: page_index,
            count,
        })?;
    let content = doc
        .get_page_content_with_limit(page_id, MAX_STREAM_BYTES)
        .map_err(|e| PdfError::Malformed(format!("page {page_index} content: {e}")))?;
    let ops = Content::decode(&content)
        .map_err(|e| PdfError::Malformed(format!("page {page_index} content: {e}")))?
        .operations;
    let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
    let mut decoders: HashMap<Vec<u8>, TextDecoder> = HashMap::new();
    let mut current_font: Option<Vec<u8>> = None;
    let mut line: Option<String> = None;
    let mut lines = Vec::new();
    for op in &ops {
        match op.operator.as_str() {
            "BT" => line = Some(String::new()),
            "ET" => {
                if let Some(l) = line.take() {
                    if !l.is_empty() {
                        lines.push(l);
                    }
                }
            }
            "Tf" => {
                if let Some(Ok(name)) = op.operands.first().map(Object::as_name) {
                    current_font = Some(name.to_vec());
                }
            }
            "Tj" | "'" | "\"" | "TJ" => {
                let (Some(l), Some(font)) = (line.as_mut(), current_font.as_ref()) else {
                    continue;
                };
                if !decoders.contains_key(font) {
                    let Some(font_dict) = fonts.get(font) else {
                        continue;
                    };
                    decoders.insert(font.clone(), TextDecoder::for_font(&doc, font_dict));
                }
                let Some(decoder) = decoders.get(font) else {
                    continue;
                };
                match op.operands.last() {
                    Some(Object::String(bytes, _)) => decoder.decode(bytes, l),
                    Some(Object::Array(items)) => {
                        for item in items {
                            if let Object::String(bytes, _) = item {
                                decoder.decode(bytes, l);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        assert!(matches!(
            page_text(b"not a pdf", 0),
            Err(PdfError::Parse(_))
        ));
        assert!(read_attachment(b"%PDF-1.7\n", "x").is_err());
    }
}
