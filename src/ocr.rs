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

impl OcrOptions {
    /// The options for values printed in ASCII alone (codes, ids, numbers):
    /// the same data directory with Tesseract's English model, which reads
    /// Latin digits and capitals where the Vietnamese model's marks and
    /// symbols get in the way (`20M8592993` read as `20M§592993`).
    pub fn ascii(&self) -> OcrOptions {
        OcrOptions {
            lang: ASCII_LANG.to_string(),
            datapath: self.datapath.clone(),
        }
    }
}

/// The model [`OcrOptions::ascii`] reads with.
pub const ASCII_LANG: &str = "eng";

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

/// Engines a thread keeps (the page model and the ASCII one).
const ENGINES: usize = 2;

thread_local! {
    static ENGINE: RefCell<Vec<Engine>> = const { RefCell::new(Vec::new()) };
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
    // Table detection is not used (rows are rebuilt from word boxes), and on
    // some speckled pages its region merging runs for tens of minutes
    // (`TableFinder::GridMergeTableRegions`), which would hold a worker.
    for (name, value) in [
        ("preserve_interword_spaces", "0"),
        ("debug_file", "/dev/null"),
        ("textord_tabfind_find_tables", "0"),
    ] {
        t = t.set_variable(name, value).map_err(|e| OcrError::Init {
            lang: options.lang.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(t)
}

/// Checks that Tesseract starts with these options and with their
/// [`OcrOptions::ascii`] ones (fails fast on missing data).
pub fn check_engine(options: &OcrOptions) -> Result<(), OcrError> {
    with_engine(options, |t| (Some(t), Ok(())))?;
    with_engine(&options.ascii(), |t| (Some(t), Ok(())))
}

fn with_engine<T>(
    options: &OcrOptions,
    f: impl FnOnce(Tesseract) -> (Option<Tesseract>, Result<T, OcrError>),
) -> Result<T, OcrError> {
    ENGINE.with(|cell| {
        let mut engines = cell.borrow_mut();
        let at = match engines.iter().position(|e| e.options == *options) {
            Some(at) if engines[at].tess.is_some() => at,
            found => {
                if let Some(at) = found {
                    engines.remove(at);
                }
                let tess = new_engine(options)?;
                if engines.len() >= ENGINES {
                    engines.remove(0);
                }
                engines.push(Engine {
                    options: options.clone(),
                    tess: Some(tess),
                });
                engines.len() - 1
            }
        };
        let engine = &mut engines[at];
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

/// One symbol (a letter with its marks, a digit, a sign) of a line read by
/// [`recognize_line`], with the recogniser's other candidates for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// The symbol chosen (NFC).
    pub text: String,
    /// Tesseract's confidence in it, scaled to [0, 1].
    pub conf: f32,
    /// The candidates the recogniser weighed at this position, the chosen
    /// one included, each with its score in [0, 1], best first.
    pub choices: Vec<(String, f32)>,
}

/// One word of a line read by [`recognize_line`]: the word with its box (in
/// the line image's pixels) and confidence, and its symbols.
#[derive(Debug, Clone, PartialEq)]
pub struct LineWord {
    /// The word as recognised, with its box and confidence.
    pub word: Word,
    /// Its symbols, in order.
    pub symbols: Vec<Symbol>,
}

/// Recognises a small image holding one line of text (Tesseract's single
/// line mode), with every symbol's confidence and alternatives, on this
/// thread's engine. The engine is given back in the page mode [`recognize`]
/// expects.
pub fn recognize_line(
    image: &GrayImage,
    dpi: u32,
    options: &OcrOptions,
) -> Result<Vec<LineWord>, OcrError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Ok(Vec::new());
    }
    if w > i32::MAX as u32 / 4 || h > i32::MAX as u32 / 4 {
        return Err(OcrError::TooLarge {
            width: w,
            height: h,
        });
    }
    let failed = |e: &dyn std::fmt::Display| OcrError::Recognize(e.to_string());
    let hocr = with_engine(options, |mut tess| {
        tess.set_page_seg_mode(tesseract::PageSegMode::PsmSingleLine);
        // Symbol boxes and the recogniser's candidates for each symbol.
        let tess = match tess
            .set_variable("lstm_choice_mode", "2")
            .and_then(|t| t.set_variable("hocr_char_boxes", "1"))
        {
            Ok(t) => t,
            Err(e) => return (None, Err(failed(&e))),
        };
        let tess = match tess.set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32) {
            Ok(t) => t,
            Err(e) => return (None, Err(failed(&e))),
        };
        let tess = tess.set_source_resolution(dpi.clamp(70, 1200) as i32);
        let mut tess = match tess.recognize() {
            Ok(t) => t,
            Err(e) => return (None, Err(failed(&e))),
        };
        let r = tess.get_hocr_text(0).map_err(|e| failed(&e));
        // Back to what a page needs; an engine that cannot be reset is
        // dropped, and the next call makes a new one.
        tess.set_page_seg_mode(tesseract::PageSegMode::PsmAuto);
        let back = tess
            .set_variable("lstm_choice_mode", "0")
            .and_then(|t| t.set_variable("hocr_char_boxes", "0"))
            .ok();
        (back, r)
    })?;
    parse_line_hocr(&hocr).map_err(|e| OcrError::Recognize(e.to_string()))
}

/// The value of `key` in an hOCR `title` (`bbox 1 2 3 4; x_wconf 96`).
fn title_field<'a>(title: &'a str, key: &str) -> Option<&'a str> {
    title
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix(key)?.strip_prefix(' '))
}

/// Reads the words, symbols and symbol candidates of Tesseract's hOCR of a
/// line (with `hocr_char_boxes` and `lstm_choice_mode` 2).
pub fn parse_line_hocr(xml: &str) -> Result<Vec<LineWord>, crate::hocr::HocrError> {
    use unicode_normalization::UnicodeNormalization;
    use xmlparser::{ElementEnd, Token, Tokenizer};
    /// What an open element is.
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Word,
        Symbol,
        Choices,
        Choice,
        Other,
    }
    let nfc = |s: &str| -> String {
        crate::hocr::unescape(&s.replace("&#39;", "'"))
            .nfc()
            .collect()
    };
    let mut words: Vec<LineWord> = Vec::new();
    let mut stack: Vec<Kind> = Vec::new();
    // The element being opened: its class, id and title.
    let (mut class, mut id, mut title) = (String::new(), String::new(), String::new());
    let mut choice_score = 0.0f32;
    for token in Tokenizer::from(xml) {
        match token.map_err(|e| crate::hocr::HocrError::Malformed(e.to_string()))? {
            Token::ElementStart { .. } => {
                class.clear();
                id.clear();
                title.clear();
            }
            Token::Attribute { local, value, .. } => match local.as_str() {
                "class" => class = value.to_string(),
                "id" => id = value.to_string(),
                "title" => title = value.to_string(),
                _ => {}
            },
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {
                    let score = |key: &str| {
                        title_field(&title, key)
                            .and_then(|v| v.trim().parse::<f32>().ok())
                            .map_or(0.0, |c| (c / 100.0).clamp(0.0, 1.0))
                    };
                    let inside = stack.last().copied();
                    let kind = match class.as_str() {
                        "ocrx_word" => {
                            let b: Vec<u32> = title_field(&title, "bbox")
                                .unwrap_or_default()
                                .split_whitespace()
                                .filter_map(|v| v.parse().ok())
                                .collect();
                            let bbox = match b[..] {
                                [x0, y0, x1, y1] => BBox { x0, y0, x1, y1 },
                                _ => BBox::default(),
                            };
                            words.push(LineWord {
                                word: Word {
                                    text: String::new(),
                                    conf: score("x_wconf"),
                                    bbox,
                                },
                                symbols: Vec::new(),
                            });
                            Kind::Word
                        }
                        "ocrx_cinfo" if id.starts_with("lstm_choices") => Kind::Choices,
                        "ocrx_cinfo" if inside == Some(Kind::Choices) => {
                            choice_score = score("x_confs");
                            Kind::Choice
                        }
                        "ocrx_cinfo" if inside == Some(Kind::Word) => {
                            if let Some(w) = words.last_mut() {
                                w.symbols.push(Symbol {
                                    text: String::new(),
                                    conf: score("x_conf"),
                                    choices: Vec::new(),
                                });
                            }
                            Kind::Symbol
                        }
                        _ => Kind::Other,
                    };
                    stack.push(kind);
                }
                ElementEnd::Empty => {}
                ElementEnd::Close(..) => {
                    stack.pop();
                }
            },
            Token::Text { text } => {
                let t = nfc(text.as_str());
                if t.trim().is_empty() {
                    continue;
                }
                let Some(w) = words.last_mut() else {
                    continue;
                };
                match stack.last() {
                    Some(Kind::Symbol) => {
                        w.word.text.push_str(&t);
                        if let Some(s) = w.symbols.last_mut() {
                            s.text.push_str(&t);
                        }
                    }
                    Some(Kind::Choice) => {
                        if let Some(s) = w.symbols.last_mut() {
                            s.choices.push((t, choice_score));
                        }
                    }
                    // A word without symbol boxes holds its text itself.
                    Some(Kind::Word) => w.word.text.push_str(&t),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for w in &mut words {
        w.word.text = w.word.text.nfc().collect();
        for s in &mut w.symbols {
            s.choices
                .sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
        }
    }
    words.retain(|w| !w.word.text.trim().is_empty());
    Ok(words)
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
    fn line_hocr_gives_words_symbols_and_their_candidates() {
        let xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html><body><div class='ocr_page'>\n\
<span class='ocr_line' id='line_1_1' title='bbox 0 0 90 40'>\n\
 <span class='ocrx_word' id='word_1_1' title='bbox 10 5 80 38; x_wconf 91'>\n\
  <span class='ocrx_cinfo' title='x_bboxes 10 5 40 38; x_conf 99.5'>V</span>\n\
   <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>\n\
    <span class='ocrx_cinfo' id='choice_1_1_1' title='x_confs 95'>V</span>\n\
   </span>\n\
  <span class='ocrx_cinfo' title='x_bboxes 40 5 60 38; x_conf 71.25'>Â</span>\n\
   <span class='ocrx_cinfo' id='lstm_choices_1_1_2'>\n\
    <span class='ocrx_cinfo' id='choice_1_1_3' title='x_confs 20'>Ầ</span>\n\
    <span class='ocrx_cinfo' id='choice_1_1_2' title='x_confs 70'>Â</span>\n\
   </span>\n\
  <span class='ocrx_cinfo' title='x_bboxes 60 5 80 38; x_conf 98'>N</span>\n\
 </span>\n\
 <span class='ocrx_word' id='word_1_2' title='bbox 85 5 90 38; x_wconf 50'>&amp;</span>\n\
</span></div></body></html>";
        let words = parse_line_hocr(xml).unwrap();
        assert_eq!(words.len(), 2);
        let w = &words[0];
        assert_eq!(w.word.text, "VÂN");
        assert!((w.word.conf - 0.91).abs() < 1e-6);
        assert_eq!(
            w.word.bbox,
            BBox {
                x0: 10,
                y0: 5,
                x1: 80,
                y1: 38
            }
        );
        assert_eq!(w.symbols.len(), 3);
        assert!((w.symbols[1].conf - 0.7125).abs() < 1e-6);
        assert_eq!(
            w.symbols[1].choices,
            vec![("Â".to_string(), 0.7), ("Ầ".to_string(), 0.2)]
        );
        assert!(w.symbols[2].choices.is_empty());
        assert_eq!(words[1].word.text, "&");
    }

    /// A line read on its own gives symbols with candidates, and leaves the
    /// engine reading whole pages as before.
    #[test]
    fn a_line_read_between_pages_leaves_the_page_mode_alone() {
        let dir = tempfile::tempdir().unwrap();
        let files = crate::samples::generate(
            dir.path(),
            &crate::samples::SampleOptions {
                count: 1,
                seed: 5,
                degrade: false,
            },
        )
        .unwrap();
        let scan = files
            .iter()
            .find(|f| !f.to_string_lossy().ends_with(".json"))
            .unwrap();
        let page = crate::decode::decode(&std::fs::read(scan).unwrap(), &Default::default())
            .unwrap()
            .remove(0);
        let gray = page.image.to_luma8();
        let options = OcrOptions::default();
        let before = recognize(&gray, 300, &options).unwrap();
        assert!(before.lines.len() > 10);
        // The longest line, cut out with a margin.
        let b = before
            .lines
            .iter()
            .map(Line::bbox)
            .max_by_key(BBox::width)
            .unwrap();
        let m = b.height() / 2;
        let cut = image::imageops::crop_imm(
            &gray,
            b.x0.saturating_sub(m),
            b.y0.saturating_sub(m),
            b.width() + 2 * m,
            b.height() + 2 * m,
        )
        .to_image();
        let words = recognize_line(&cut, 300, &options).unwrap();
        assert!(words.len() >= 3, "{words:?}");
        assert!(words.iter().all(|w| !w.symbols.is_empty()));
        assert!(words
            .iter()
            .flat_map(|w| &w.symbols)
            .any(|s| !s.choices.is_empty()));
        let after = recognize(&gray, 300, &options).unwrap();
        assert_eq!(before.lines, after.lines);
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
