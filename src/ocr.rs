//! OCR with Tesseract's Vietnamese model: words with boxes and confidences.
//!
//! A Tesseract engine is `Send` but not `Sync` and costs 76–160 ms to create, so
//! each thread keeps one in a thread-local, created on first use and reused for
//! every later page. The process must start with `OMP_THREAD_LIMIT=1` in its
//! environment (the binary re-executes itself to guarantee it); OpenMP inside
//! Tesseract otherwise costs 2.4× the CPU and thrashes parallel workers.

use std::cell::RefCell;

use image::GrayImage;
use tesseract::Tesseract;

use crate::model::{BBox, Line, OcrPage, TextSource, Word};

/// Errors of the OCR stage.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The engine could not start (language data missing, usually).
    #[error(
        "Tesseract could not start with language `{lang}`: {detail}; install tesseract-ocr-{lang} (make deps)"
    )]
    Init {
        /// The language asked for.
        lang: String,
        /// What Tesseract said.
        detail: String,
    },
    /// Tesseract failed on a page.
    #[error("Tesseract failed on the page: {0}")]
    Recognize(String),
    /// The page is too large for Tesseract's frame API.
    #[error("page of {width}×{height} pixels is too large to OCR")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}

/// How to run Tesseract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrOptions {
    /// Tesseract language(s), e.g. `vie`.
    pub lang: String,
    /// Tesseract's data directory; `None` uses its compiled-in default.
    pub datapath: Option<String>,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            lang: "vie".to_string(),
            datapath: None,
        }
    }
}

struct Engine {
    options: OcrOptions,
    tess: Option<Tesseract>,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    static RECOGNIZED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many pages this thread has recognised with [`recognize`] (so the
/// cost of reading a page in more than one orientation can be counted).
pub fn pages_recognized() -> u64 {
    RECOGNIZED.with(std::cell::Cell::get)
}

fn new_engine(options: &OcrOptions) -> Result<Tesseract, OcrError> {
    let mut t = Tesseract::new(options.datapath.as_deref(), Some(&options.lang)).map_err(|e| {
        OcrError::Init {
            lang: options.lang.clone(),
            detail: e.to_string(),
        }
    })?;
    t.set_page_seg_mode(tesseract::PageSegMode::PsmAuto);
    // Keep inter-word spaces as printed; we rebuild lines from word boxes anyway.
    // Tesseract's diagnostics ("Detected N diacritics", ...) are not ours to
    // print: errors come back through the API.
    for (name, value) in [
        ("preserve_interword_spaces", "0"),
        ("debug_file", "/dev/null"),
    ] {
        t = t.set_variable(name, value).map_err(|e| OcrError::Init {
            lang: options.lang.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(t)
}

/// Checks that Tesseract starts with these options (fails fast on missing data).
pub fn check_engine(options: &OcrOptions) -> Result<(), OcrError> {
    with_engine(options, |t| (Some(t), Ok(())))
}

fn with_engine<T>(
    options: &OcrOptions,
    f: impl FnOnce(Tesseract) -> (Option<Tesseract>, Result<T, OcrError>),
) -> Result<T, OcrError> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let reuse = matches!(&*slot, Some(e) if e.options == *options && e.tess.is_some());
        if !reuse {
            *slot = Some(Engine {
                options: options.clone(),
                tess: Some(new_engine(options)?),
            });
        }
        let engine = slot
            .as_mut()
            .ok_or_else(|| OcrError::Recognize("no engine".into()))?;
        let tess = engine
            .tess
            .take()
            .ok_or_else(|| OcrError::Recognize("no engine".into()))?;
        let (back, result) = f(tess);
        engine.tess = back;
        result
    })
}

/// Recognises one grayscale page with this thread's engine.
pub fn recognize(image: &GrayImage, dpi: u32, options: &OcrOptions) -> Result<OcrPage, OcrError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Ok(OcrPage {
            width: w,
            height: h,
            dpi,
            ..OcrPage::default()
        });
    }
    if w > i32::MAX as u32 / 4 || h > i32::MAX as u32 / 4 {
        return Err(OcrError::TooLarge {
            width: w,
            height: h,
        });
    }
    RECOGNIZED.with(|n| n.set(n.get() + 1));
    let tsv = with_engine(options, |tess| {
        let tess = match tess.set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32) {
            Ok(t) => t,
            Err(e) => return (None, Err(OcrError::Recognize(e.to_string()))),
        };
        let tess = tess.set_source_resolution(dpi.clamp(70, 1200) as i32);
        let mut tess = match tess.recognize() {
            Ok(t) => t,
            Err(e) => return (None, Err(OcrError::Recognize(e.to_string()))),
        };
        let r = tess
            .get_tsv_text(0)
            .map_err(|e| OcrError::Recognize(e.to_string()));
        (Some(tess), r)
    })?;
    Ok(OcrPage {
        width: w,
        height: h,
        dpi,
        lines: parse_tsv(&tsv),
        source: TextSource::Ocr,
    })
}

/// Parses Tesseract's TSV output into lines of words.
///
/// Columns: level, page_num, block_num, par_num, line_num, word_num, left, top,
/// width, height, conf, text. Level 5 rows are words.
pub fn parse_tsv(tsv: &str) -> Vec<Line> {
    use unicode_normalization::UnicodeNormalization;
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<(u32, u32, u32)> = None;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0).max(0) as u32;
        let text: String = cols[11].trim().nfc().collect();
        if text.is_empty() {
            continue;
        }
        let conf = cols[10]
            .trim()
            .parse::<f32>()
            .unwrap_or(0.0)
            .clamp(0.0, 100.0)
            / 100.0;
        let key = (num(2), num(3), num(4));
        let (left, top, width, height) = (num(6), num(7), num(8), num(9));
        let word = Word {
            text,
            conf,
            bbox: BBox {
                x0: left,
                y0: top,
                x1: left + width,
                y1: top + height,
            },
        };
        if current != Some(key) || lines.is_empty() {
            lines.push(Line::default());
            current = Some(key);
        }
        if let Some(l) = lines.last_mut() {
            l.words.push(word);
        }
    }
    lines
}

/// Words read below this confidence do not count as read (Tesseract's
/// confidences of text turned the wrong way are mostly well under it).
pub const READ_WORD_CONF: f32 = 0.6;
/// A reading in which fewer than this share of the letters are in words
/// read well is poor.
pub const GOOD_READING_SHARE: f32 = 0.5;
/// A reading with at least this share of its letters in words read well
/// confirms the orientation it was read in: text turned a quarter reads as
/// words standing on end or fragments, and text upside down as fragments,
/// well under it.
pub const CONFIRMING_READING_SHARE: f32 = 0.8;

/// How well a page was read, from its words' confidences and lengths: text
/// in its right orientation reads as words of several letters with high
/// confidence laid along the lines, text turned the wrong way as short
/// fragments with low confidence, or as tall words when lines running down
/// the page are read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reading {
    /// Letters in all the words.
    pub letters: u32,
    /// Letters in the words read well: at least two letters, confidence
    /// at least [`READ_WORD_CONF`], and, from three letters on, wider than
    /// tall.
    pub read_letters: u32,
    /// Those letters weighted by their words' confidences.
    pub score: f32,
}

impl Reading {
    /// The reading of a recognised page.
    pub fn of(page: &OcrPage) -> Reading {
        let mut r = Reading::default();
        for w in page.lines.iter().flat_map(|l| &l.words) {
            let letters = w.text.chars().filter(|c| c.is_alphabetic()).count() as u32;
            r.letters += letters;
            let (bw, bh) = (
                w.bbox.x1.saturating_sub(w.bbox.x0),
                w.bbox.y1.saturating_sub(w.bbox.y0),
            );
            let along = letters < 3 || bw >= bh;
            if letters >= 2 && w.conf >= READ_WORD_CONF && along {
                r.read_letters += letters;
                r.score += letters as f32 * w.conf;
            }
        }
        r
    }

    /// The share of the letters in words read well (0 with no letters).
    pub fn share(&self) -> f32 {
        if self.letters == 0 {
            0.0
        } else {
            self.read_letters as f32 / self.letters as f32
        }
    }

    /// Whether the reading is poor: under [`GOOD_READING_SHARE`] of its
    /// letters are in words read well (or there are none).
    pub fn poor(&self) -> bool {
        self.share() < GOOD_READING_SHARE
    }

    /// Whether the reading confirms the orientation it was read in: at
    /// least [`CONFIRMING_READING_SHARE`] of its letters are in words read
    /// well.
    pub fn confirms(&self) -> bool {
        self.letters > 0 && self.share() >= CONFIRMING_READING_SHARE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_counts_the_letters_of_words_read_well_along_the_line() {
        let word = |text: &str, conf: f32, w: u32, h: u32| Word {
            text: text.to_string(),
            conf,
            bbox: BBox {
                x0: 10,
                y0: 10,
                x1: 10 + w,
                y1: 10 + h,
            },
        };
        let page = |words: Vec<Word>| OcrPage {
            lines: vec![Line { words }],
            ..OcrPage::default()
        };
        let good = page(vec![
            word("Giấy", 0.95, 80, 30),
            word("khai", 0.9, 70, 30),
            word("sinh:", 0.8, 80, 30),
        ]);
        let r = Reading::of(&good);
        assert_eq!((r.letters, r.read_letters), (12, 12));
        assert!((r.score - (4.0 * 0.95 + 4.0 * 0.9 + 4.0 * 0.8)).abs() < 1e-4);
        assert!(!r.poor() && r.confirms());
        // Fragments, low confidences and words standing on end do not count.
        let turned = page(vec![
            word("x", 0.9, 10, 30),
            word("ıɥuıs", 0.4, 80, 30),
            word("khai", 0.9, 30, 90),
            word("Số", 0.9, 40, 30),
        ]);
        let r = Reading::of(&turned);
        assert_eq!((r.letters, r.read_letters), (12, 2));
        assert!(r.poor() && !r.confirms());
        let empty = Reading::of(&OcrPage::default());
        assert!(empty.poor() && !empty.confirms());
    }

    #[test]
    fn tsv_rows_become_lines_of_words() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tGIẤY\n\
5\t1\t1\t1\t1\t2\t45\t20\t40\t12\t91\tKHAI\n\
5\t1\t1\t1\t2\t1\t10\t40\t30\t12\t50\tSố:\n\
5\t1\t1\t1\t2\t2\t45\t40\t30\t12\t-1\t \n";
        let lines = parse_tsv(tsv);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "GIẤY KHAI");
        assert_eq!(lines[1].text(), "Số:");
        assert!((lines[0].words[0].conf - 0.965).abs() < 1e-6);
        assert_eq!(
            lines[0].bbox(),
            BBox {
                x0: 10,
                y0: 20,
                x1: 85,
                y1: 32
            }
        );
    }
}
