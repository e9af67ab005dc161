//! The text of a page with its geometry: words with boxes and confidences,
//! lines in reading order, and where the text came from (OCR or a PDF's text
//! layer). What `ocr` and `decode` produce and `classify`, `extract`, `hocr`
//! and `render` read.

use serde::{Deserialize, Serialize};

/// An axis-aligned box in page pixels: `x0,y0` top-left inclusive, `x1,y1` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x0: u32,
    /// Top edge.
    pub y0: u32,
    /// Right edge.
    pub x1: u32,
    /// Bottom edge.
    pub y1: u32,
}

impl BBox {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.x1.saturating_sub(self.x0)
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.y1.saturating_sub(self.y0)
    }
    /// The smallest box holding both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    /// The word's text as recognised (NFC).
    pub text: String,
    /// Tesseract's word confidence, scaled to [0, 1].
    pub conf: f32,
    /// Where the word is on the page.
    pub bbox: BBox,
}

/// One line of words, in reading order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Line {
    /// The words, left to right.
    pub words: Vec<Word>,
}

impl Line {
    /// The line's text, words joined by single spaces.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, w) in self.words.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&w.text);
        }
        s
    }

    /// The box around every word of the line.
    pub fn bbox(&self) -> BBox {
        let mut it = self.words.iter().map(|w| w.bbox);
        let first = it.next().unwrap_or_default();
        it.fold(first, |a, b| a.union(&b))
    }
}

/// Where the text of a page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Tesseract read the page image.
    #[default]
    Ocr,
    /// The input PDF carried a text layer, used as is.
    #[serde(rename = "pdf_text")]
    TextLayer,
}

/// The text of one page with its geometry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OcrPage {
    /// Page image width in pixels (the coordinate space of the boxes).
    pub width: u32,
    /// Page image height in pixels.
    pub height: u32,
    /// Resolution of the page image in dots per inch.
    pub dpi: u32,
    /// Lines in reading order.
    pub lines: Vec<Line>,
    /// Where the text came from.
    pub source: TextSource,
}

impl OcrPage {
    /// The page's text, one line per line.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.text());
            s.push('\n');
        }
        s
    }

    /// The mean word confidence of the page (0 when it has no words).
    pub fn mean_conf(&self) -> f32 {
        let (sum, n) = self
            .lines
            .iter()
            .flat_map(|l| &l.words)
            .fold((0.0f32, 0usize), |(s, n), w| (s + w.conf, n + 1));
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    }
}

#[cfg(test)]
/// A page from text lines: words 20 px per character, lines 60 px apart;
/// `|` splits a line into two OCR lines with a wide gap (tab-aligned values).
pub(crate) fn synthetic_page(text: &str) -> OcrPage {
    let mut lines = Vec::new();
    for (li, l) in text.lines().enumerate() {
        let y0 = 100 + 60 * li as u32;
        let mut x = 100;
        for part in l.split('|') {
            let mut line = Line::default();
            for w in part.split(' ').filter(|w| !w.is_empty()) {
                let width = 20 * w.chars().count() as u32;
                line.words.push(Word {
                    text: w.to_string(),
                    conf: if w.contains('~') { 0.3 } else { 0.95 },
                    bbox: BBox {
                        x0: x,
                        y0,
                        x1: x + width,
                        y1: y0 + 30,
                    },
                });
                x += width + 12;
            }
            lines.push(line);
            x += 400;
        }
    }
    OcrPage {
        width: 2480,
        height: 3508,
        dpi: 300,
        lines,
        ..OcrPage::default()
    }
}
