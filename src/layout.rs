//! Rows of words rebuilt from OCR lines, folded tokens, and fuzzy label matching.
//!
//! Tesseract splits a printed line into separate "lines" when a wide gap
//! separates label and value (tab-aligned forms); rows join such pieces back
//! together, left to right, by vertical overlap at the gap. Labels are matched on
//! folded tokens with an edit-distance allowance that grows with the label's
//! length, so `Ho, chu đem, tén` still finds `Họ, chữ đệm, tên:`.

use crate::model::{BBox, Line, OcrPage, Word};
use crate::normalize::fold;
use crate::schema::{FieldSpec, TypeSchema};

/// One printed line: words left to right, possibly from several OCR lines.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Index of the page the row is on.
    pub page: usize,
    /// The words.
    pub words: Vec<Word>,
    /// Alphanumeric runs of the words, folded.
    pub tokens: Vec<Token>,
}

/// A run of letters and digits inside one word.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// Index of the word in the row.
    pub word: usize,
    /// Byte range inside the word's text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// Folded text.
    pub folded: String,
}

impl Row {
    fn new(page: usize, words: Vec<Word>) -> Row {
        let mut tokens = Vec::new();
        for (wi, w) in words.iter().enumerate() {
            let mut start: Option<usize> = None;
            for (i, c) in w.text.char_indices().chain([(w.text.len(), ' ')]) {
                let alnum = i < w.text.len() && (c.is_alphanumeric() || is_mark(c));
                match (alnum, start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        tokens.push(Token {
                            word: wi,
                            start: s,
                            end: i,
                            folded: fold(&w.text[s..i]),
                        });
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        Row {
            page,
            words,
            tokens,
        }
    }

    /// The box around the row's words.
    pub fn bbox(&self) -> BBox {
        let mut it = self.words.iter().map(|w| w.bbox);
        let first = it.next().unwrap_or_default();
        it.fold(first, |a, b| a.union(&b))
    }

    /// Typical letter height in the row (median word height).
    pub fn height(&self) -> u32 {
        let mut h: Vec<u32> = self.words.iter().map(|w| w.bbox.height()).collect();
        h.sort_unstable();
        h.get(h.len() / 2).copied().unwrap_or(0).max(1)
    }

    /// The row's text, words joined by spaces.
    pub fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a colon (or `/`, which starts the English part of a bilingual
    /// label) follows token `t` directly.
    pub fn colon_after(&self, t: usize) -> bool {
        let Some(tok) = self.tokens.get(t) else {
            return false;
        };
        let Some(word) = self.words.get(tok.word) else {
            return false;
        };
        let rest = &word.text[tok.end..];
        if let Some(c) = rest.chars().next() {
            return c == ':';
        }
        self.words
            .get(tok.word + 1)
            .is_some_and(|w| w.text.starts_with(':'))
    }

    /// Horizontal gap before token `t`'s word, in pixels (0 at the row start).
    pub fn gap_before(&self, t: usize) -> u32 {
        let Some(tok) = self.tokens.get(t) else {
            return 0;
        };
        if tok.word == 0 || tok.start > 0 {
            return 0;
        }
        let (Some(prev), Some(cur)) = (self.words.get(tok.word - 1), self.words.get(tok.word))
        else {
            return 0;
        };
        cur.bbox.x0.saturating_sub(prev.bbox.x1)
    }
}

fn is_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

/// Rebuilds printed rows from the OCR lines of every page.
pub(crate) fn rows(pages: &[OcrPage]) -> Vec<Row> {
    let mut out = Vec::new();
    for (pi, page) in pages.iter().enumerate() {
        let lines: Vec<&Line> = page.lines.iter().filter(|l| !l.words.is_empty()).collect();
        let mut used = vec![false; lines.len()];
        for i in 0..lines.len() {
            if used[i] {
                continue;
            }
            used[i] = true;
            let mut words = lines[i].words.clone();
            while let Some(last) = words.last().map(|w| w.bbox) {
                let tol = last.height();
                let mut best: Option<(usize, u32)> = None;
                for (j, l) in lines.iter().enumerate() {
                    if used[j] {
                        continue;
                    }
                    let Some(first) = l.words.first().map(|w| w.bbox) else {
                        continue;
                    };
                    if first.x0 + tol < last.x1 {
                        continue;
                    }
                    let overlap = first.y1.min(last.y1).saturating_sub(first.y0.max(last.y0));
                    if overlap * 2 < first.height().min(last.height()) {
                        continue;
                    }
                    let gap = first.x0.saturating_sub(last.x1);
                    if best.is_none_or(|(_, g)| gap < g) {
                        best = Some((j, gap));
                    }
                }
                match best {
                    Some((j, _)) => {
                        used[j] = true;
                        words.extend(lines[j].words.iter().cloned());
                    }
                    None => break,
                }
            }
            out.push(Row::new(pi, words));
        }
    }
    out
}

/// Levenshtein distance between two strings, by characters.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() {
        return b.len();
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Similarity in [0, 1]: 1 minus the edit distance over the longer length.
pub(crate) fn similarity(a: &str, b: &str) -> f32 {
    let n = a.chars().count().max(b.chars().count());
    if n == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f32 / n as f32
}

/// The folded tokens of a label, without punctuation.
pub(crate) fn label_tokens(label: &str) -> Vec<String> {
    fold(label)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A label of one field, ready for matching.
#[derive(Debug, Clone)]
pub(crate) struct LabelPattern {
    /// Index of the field in the schema.
    pub field: usize,
    /// Folded token sequences that spell the label: the whole printed label and,
    /// for bilingual labels, the Vietnamese part alone.
    pub variants: Vec<Vec<String>>,
}

impl LabelPattern {
    /// The patterns of every field of a schema.
    pub fn for_schema(schema: &TypeSchema) -> Vec<LabelPattern> {
        schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| LabelPattern::new(i, f))
            .collect()
    }

    fn new(field: usize, spec: &FieldSpec) -> LabelPattern {
        let mut variants = vec![label_tokens(&spec.label)];
        if let Some((vi, _)) = spec.label.split_once('/') {
            let v = label_tokens(vi);
            if !v.is_empty() {
                variants.push(v);
            }
        }
        LabelPattern { field, variants }
    }
}

/// A label found in a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LabelMatch {
    /// Index of the field in the schema.
    pub field: usize,
    /// First token of the label.
    pub start: usize,
    /// One past the last token of the label.
    pub end: usize,
    /// Edit distance to the printed label.
    pub dist: usize,
    /// Characters of the printed label (folded, spaces included).
    pub len: usize,
    /// Whether a colon follows.
    pub colon: bool,
    /// Whether the label starts its row or a column.
    pub at_column: bool,
}

impl LabelMatch {
    /// How well the label was read, in (0, 1].
    pub fn quality(&self) -> f32 {
        let q = 1.0 - 0.5 * self.dist as f32 / self.len.max(1) as f32;
        if self.len <= 3 && !self.colon {
            q * 0.9
        } else {
            q
        }
    }

    /// A short label read without its colon: `Số 12 phố Huế` starting a row is
    /// more likely a wrapped value than the `Số:` label.
    pub fn weak(&self) -> bool {
        !self.colon && self.len <= 4
    }

    fn gain(&self) -> isize {
        self.len as isize - 2 * self.dist as isize
    }
}

/// Edits tolerated in a folded label of `len` characters.
fn allowance(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=9 => 1,
        _ => len / 5,
    }
}

/// The best label match starting at token `start` of a row, if any.
fn match_at(row: &Row, start: usize, patterns: &[LabelPattern]) -> Option<LabelMatch> {
    let mut best: Option<LabelMatch> = None;
    let line_h = row.height();
    let at_column = start == 0 || row.gap_before(start) > line_h * 2;
    for p in patterns {
        for v in &p.variants {
            let target = v.join(" ");
            let tlen = target.chars().count();
            let allow = allowance(tlen);
            let n = v.len();
            for k in n.saturating_sub(1).max(1)..=n + 1 {
                if start + k > row.tokens.len() {
                    break;
                }
                // The first word must be the label's first word, give or take a
                // slip: `Nam Số định danh` does not start the `Số định danh` label.
                let (Some(first), Some(want)) = (row.tokens.get(start), v.first()) else {
                    continue;
                };
                if !first.folded.starts_with(want.as_str())
                    && levenshtein(&first.folded, want) > want.chars().count() / 3
                {
                    continue;
                }
                let cand: Vec<&str> = row.tokens[start..start + k]
                    .iter()
                    .map(|t| t.folded.as_str())
                    .collect();
                let cand = cand.join(" ");
                // Cheap reject before the edit distance.
                if cand.chars().count().abs_diff(tlen) > allow {
                    continue;
                }
                let dist = levenshtein(&cand, &target);
                if dist > allow {
                    continue;
                }
                let colon = row.colon_after(start + k - 1);
                // Inside a row a label needs its colon or a column gap before it:
                // `Số 12 phố Huế` is an address, not the `Số:` label, and a value
                // may repeat its own label's words (`Lý do: Lý do sức khỏe`).
                if !colon && !at_column {
                    continue;
                }
                let m = LabelMatch {
                    field: p.field,
                    start,
                    end: start + k,
                    dist,
                    len: tlen,
                    colon,
                    at_column,
                };
                let better = match &best {
                    None => true,
                    Some(b) => {
                        (m.gain(), m.colon, m.len) > (b.gain(), b.colon, b.len)
                            || (m.gain() == b.gain() && m.len == b.len && m.end > b.end)
                    }
                };
                if better {
                    best = Some(m);
                }
            }
        }
    }
    best
}

/// Every label in a row, left to right, not overlapping.
pub(crate) fn find_labels(row: &Row, patterns: &[LabelPattern]) -> Vec<LabelMatch> {
    let mut out: Vec<LabelMatch> = Vec::new();
    let mut t = 0;
    while t < row.tokens.len() {
        match match_at(row, t, patterns) {
            // Right after a label, without a colon, label words are its value
            // (`Lý do:   Lý do sức khỏe`, `Số / No.:   Số 12 phố Huế`).
            Some(m) if !m.colon && out.last().is_some_and(|p| p.end == m.start) => t += 1,
            // A short label without its colon only starts a row.
            Some(m) if !m.colon && m.len <= 4 && m.start > 0 => t += 1,
            Some(m) => {
                t = m.end;
                out.push(m);
            }
            None => t += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn row_of(text: &str) -> Row {
        let mut x = 0;
        let words = text
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let width = 20 * w.chars().count() as u32;
                let word = Word {
                    text: w.to_string(),
                    conf: 0.95,
                    bbox: BBox {
                        x0: x,
                        y0: 0,
                        x1: x + width,
                        y1: 30,
                    },
                };
                x += width + 12;
                word
            })
            .collect();
        Row::new(0, words)
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("ĐẤT", "ĐÁT"), 1);
    }

    #[test]
    fn tokens_fold_and_keep_offsets() {
        let r = row_of("Họ, chữ đệm, tên:NGUYỄN");
        let f: Vec<&str> = r.tokens.iter().map(|t| t.folded.as_str()).collect();
        assert_eq!(f, ["HO", "CHU", "DEM", "TEN", "NGUYEN"]);
        let t = &r.tokens[4];
        assert_eq!(&r.words[t.word].text[t.start..t.end], "NGUYỄN");
        assert!(r.colon_after(3));
    }

    #[test]
    fn longest_label_wins() {
        let s = crate::schema::DocType::BirthCertificate.schema();
        let pats = LabelPattern::for_schema(s);
        let r = row_of("Họ, chữ đệm, tên người mẹ: TRẦN THỊ MAI");
        let m = find_labels(&r, &pats);
        assert_eq!(s.fields[m[0].field].name, "mother_name");
        let r = row_of("Số định danh cá nhân: 001090012345");
        let m = find_labels(&r, &pats);
        assert_eq!(s.fields[m[0].field].name, "personal_id");
    }

    #[test]
    fn slipped_labels_still_match() {
        let s = crate::schema::DocType::BirthCertificate.schema();
        let pats = LabelPattern::for_schema(s);
        let r = row_of("Ho, chu đem, tén người mę: TRẦN THỊ MAI");
        let m = find_labels(&r, &pats);
        assert_eq!(s.fields[m[0].field].name, "mother_name");
    }

    #[test]
    fn short_label_inside_a_value_is_not_a_label() {
        let s = crate::schema::DocType::ConstructionPermit.schema();
        let pats = LabelPattern::for_schema(s);
        let r = row_of("Địa điểm xây dựng: Số 12 phố Huế");
        let m = find_labels(&r, &pats);
        assert_eq!(m.len(), 1);
        assert_eq!(s.fields[m[0].field].name, "address");
    }
}
