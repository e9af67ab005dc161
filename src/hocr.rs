//! The words of a submission with their geometry as hOCR 1.2
//! (<https://kba.github.io/hocr-spec/1.2/>): one `ocr_page` per page, its
//! `ocr_line`s and their `ocrx_word`s, each with a `bbox` in the page's
//! pixels, and `x_wconf` (0–100) on words. A page whose text came from the
//! input PDF's text layer says so with `x_source pdf_text` (else `ocr`).
//!
//! The output is well-formed XHTML and depends only on the pages, so the same
//! submission always gives the same bytes.

use std::fmt::Write;

use crate::model::{BBox, OcrPage, TextSource};

/// Why an hOCR document cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum HocrError {
    /// The document is not well-formed XML.
    #[error("the hOCR is not well-formed XML: {0}")]
    Malformed(String),
}

/// The hOCR document of these pages.
pub fn hocr(pages: &[OcrPage]) -> String {
    let mut out = String::with_capacity(4096 + pages.len() * 16_384);
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" ",
        "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n",
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"vi\" lang=\"vi\">\n",
        "<head>\n<title>docseal OCR</title>\n",
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"/>\n",
        "<meta name=\"ocr-system\" content=\"docseal (tesseract vie)\"/>\n",
        "<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_line ocrx_word\"/>\n",
        "</head>\n<body>\n",
    ));
    for (p, page) in pages.iter().enumerate() {
        let p = p + 1;
        let source = match page.source {
            TextSource::Ocr => "ocr",
            TextSource::TextLayer => "pdf_text",
        };
        // Writing into a String cannot fail.
        let _ = writeln!(
            out,
            "<div class=\"ocr_page\" id=\"page_{p}\" title=\"bbox 0 0 {} {}; ppageno {}; scan_res {} {}; x_source {source}\">",
            page.width,
            page.height,
            p - 1,
            page.dpi,
            page.dpi
        );
        for (l, line) in page.lines.iter().enumerate() {
            if line.words.is_empty() {
                continue;
            }
            let l = l + 1;
            let _ = write!(
                out,
                "<span class=\"ocr_line\" id=\"line_{p}_{l}\" title=\"{}\">",
                bbox(&line.bbox())
            );
            for (w, word) in line.words.iter().enumerate() {
                if w > 0 {
                    out.push(' ');
                }
                let conf = (word.conf.clamp(0.0, 1.0) * 100.0).round() as u32;
                let _ = write!(
                    out,
                    "<span class=\"ocrx_word\" id=\"word_{p}_{l}_{}\" title=\"{}; x_wconf {conf}\">",
                    w + 1,
                    bbox(&word.bbox)
                );
                escape_into(&mut out, &word.text);
                out.push_str("</span>");
            }
            out.push_str("</span>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn bbox(b: &BBox) -> String {
    format!("bbox {} {} {} {}", b.x0, b.y0, b.x1, b.y1)
}

/// Escapes text for XML content; characters XML 1.0 does not allow (C0
/// controls other than tab, newline and carriage return; U+FFFE, U+FFFF)
/// become U+FFFD.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push(char::REPLACEMENT_CHARACTER)
            }
            c => out.push(c),
        }
    }
}

/// The text of every `ocrx_word` of an hOCR document, in order, after
/// checking that the document is well-formed (one root, every element closed
/// in order, valid tokens).
pub fn read_words(xml: &str) -> Result<Vec<String>, HocrError> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let bad = |m: String| HocrError::Malformed(m);
    // Open elements: name, and whether it is a word.
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut pending: Option<(String, bool)> = None;
    let mut roots = 0;
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    for token in Tokenizer::from(xml) {
        match token.map_err(|e| bad(e.to_string()))? {
            Token::ElementStart { local, .. } => {
                if stack.is_empty() {
                    roots += 1;
                }
                pending = Some((local.to_string(), false));
            }
            Token::Attribute { local, value, .. } => {
                if let Some(p) = pending.as_mut() {
                    p.1 |= local.as_str() == "class" && value.as_str() == "ocrx_word";
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {
                    let p = pending.take().ok_or_else(|| bad("a stray `>`".into()))?;
                    if p.1 {
                        word = Some(String::new());
                    }
                    stack.push(p);
                }
                ElementEnd::Empty => pending = None,
                ElementEnd::Close(_, local) => {
                    let (name, is_word) = stack
                        .pop()
                        .ok_or_else(|| bad(format!("`</{}>` closes nothing", local.as_str())))?;
                    if name != local.as_str() {
                        return Err(bad(format!("`<{name}>` closed by `</{}>`", local.as_str())));
                    }
                    if is_word {
                        words.push(word.take().unwrap_or_default());
                    }
                }
            },
            Token::Text { text } => {
                if let Some(w) = word.as_mut() {
                    w.push_str(&unescape(text.as_str()));
                }
            }
            _ => {}
        }
    }
    if let Some((name, _)) = stack.last() {
        return Err(bad(format!("`<{name}>` is never closed")));
    }
    if roots != 1 {
        return Err(bad(format!("{roots} root elements")));
    }
    Ok(words)
}

pub(crate) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::synthetic_page;

    #[test]
    fn pages_lines_and_words_with_boxes_and_confidences() {
        let mut first = synthetic_page("GIẤY KHAI SINH\nSố: 12/2024|Quyển: 01");
        first.lines[0].words[0].conf = 0.873;
        let mut second = synthetic_page("Ghi chú <A&B> \"x\" 'y'");
        second.source = TextSource::TextLayer;
        let xml = hocr(&[first, second]);
        let words = read_words(&xml).expect("well-formed");
        assert_eq!(
            words,
            [
                "GIẤY", "KHAI", "SINH", "Số:", "12/2024", "Quyển:", "01", "Ghi", "chú", "<A&B>",
                "\"x\"", "'y'"
            ]
        );
        assert!(xml.contains(
            "<div class=\"ocr_page\" id=\"page_1\" title=\"bbox 0 0 2480 3508; ppageno 0; scan_res 300 300; x_source ocr\">"
        ));
        assert!(xml.contains("id=\"page_2\""));
        assert!(xml.contains("x_source pdf_text"));
        assert!(xml.contains(
            "<span class=\"ocrx_word\" id=\"word_1_1_1\" title=\"bbox 100 100 180 130; x_wconf 87\">GIẤY</span>"
        ));
        assert!(xml.contains("<span class=\"ocr_line\" id=\"line_1_2\" title=\"bbox "));
        assert_eq!(xml.matches("class=\"ocr_line\"").count(), 4);
        assert!(xml.contains("&lt;A&amp;B&gt;"));
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        let page = synthetic_page("a\u{1}b \u{ffff}");
        let words = read_words(&hocr(&[page])).expect("well-formed");
        assert_eq!(words, ["a\u{fffd}b", "\u{fffd}"]);
    }

    #[test]
    fn no_pages_is_still_a_document() {
        assert!(read_words(&hocr(&[])).expect("well-formed").is_empty());
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            "<html><body></html>",
            "<html></html><html></html>",
            "<html><span class=\"ocrx_word\">a</span>",
            "<html><span a=1></span></html>",
            "",
        ] {
            assert!(read_words(bad).is_err(), "{bad}");
        }
    }
}
