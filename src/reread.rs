//! A second reading of the fields extraction put up for review because they
//! were read with low confidence or with signs of noise (a stray symbol, a
//! gap), look misread, have marks that fit more than one unit name, or were
//! read in no form the field has.
//!
//! The value's box is cut from the (upright) page with a small margin,
//! enlarged and read again as one line ([`ocr::recognize_line`]), with every
//! symbol's confidence and the recogniser's other candidates for it. The
//! words read replace the first reading's words in that box, and extraction
//! runs again over the pages, so the second reading goes through exactly the
//! same normalization and checks as the first (form, schema, places against
//! the gazetteer, names and words against the lexicon, dates). The field
//! leaves review only when that second reading passes every check with
//! confidence and
//!
//! - gives the same value as the first reading, which was held back for
//!   low confidence or noise alone (the second reading is clean: it passed
//!   every check), or
//! - gives the same letters with other marks, on words the first reading
//!   was unsure of (read with low confidence, or the field was doubtful for
//!   its words or marks), each changed letter read surely with no close
//!   rival among its candidates, or
//! - gives a value where the first reading had none of the field's form
//!   (`1O/O8/1997`, an id with a digit lost to a speck): that value is held
//!   to exactly the standard of a first reading.
//!
//! Anything else (other letters, a rival candidate, a failed check) leaves
//! the field in review with its first reason. Frequency lists never choose
//! a reading: only what the recogniser read is taken. The cost is bounded:
//! only fields in review for those reasons, with a known one-line box on an
//! OCRed page, at most [`MAX_FIELDS`] per record.

use image::{DynamicImage, GrayImage};
use serde_json::Value;

use crate::extract::{extract, ExtractOptions};
use crate::model::{
    BBox, FieldPlace, Line, OcrPage, Page, Record, Reread, ReviewReason, TextSource, Word,
};
use crate::normalize;
use crate::ocr::{self, LineWord, OcrError, OcrOptions};
use crate::schema::FieldSpec;

/// At most this many fields of a record are read again.
pub const MAX_FIELDS: usize = 8;

/// A changed letter must be read with at least this confidence.
const SURE_SYMBOL: f32 = 0.90;

/// A candidate other than the one read, scoring at least this, is a close
/// rival: the letter is not read surely.
const RIVAL_SYMBOL: f32 = 0.10;

/// How much a value's box is enlarged (within these bounds, aiming at
/// [`TARGET_HEIGHT`] pixels for a line).
const MIN_SCALE: f32 = 2.0;
const MAX_SCALE: f32 = 3.0;
const TARGET_HEIGHT: f32 = 120.0;

/// Reads again the fields of `record` in review for low confidence, doubtful
/// words or ambiguous marks, and takes out of review those the second
/// reading settles (see the module's documentation). Records what each
/// second reading gave in `record.reread`.
pub fn reread(
    record: &mut Record,
    pages: &[Page],
    text: &[OcrPage],
    ocr_options: &OcrOptions,
    options: &ExtractOptions,
) -> Result<(), OcrError> {
    let Some(doc_type) = record.doc_type else {
        return Ok(());
    };
    let targets: Vec<(String, FieldPlace)> = record
        .needs_review
        .iter()
        .filter(|name| match record.review_reason(name) {
            Some(
                ReviewReason::LowConfidence
                | ReviewReason::Noise
                | ReviewReason::Doubtful
                | ReviewReason::AmbiguousMarks,
            ) => record.fields.contains_key(*name),
            // No reading had the field's form, so it has no value yet.
            Some(ReviewReason::Format) => true,
            _ => false,
        })
        .filter_map(|name| {
            let place = *record.places.get(name)?;
            let page = text.get(place.page)?;
            (!place.label_only && page.source == TextSource::Ocr && place.page < pages.len())
                .then(|| (name.clone(), place))
        })
        .take(MAX_FIELDS)
        .collect();
    for (name, place) in targets {
        let page = &text[place.page];
        let Some(first_words) = words_in(page, place.bbox) else {
            continue;
        };
        let Some(crop) = Crop::of(&pages[place.page], page.dpi, place.bbox, &first_words) else {
            continue;
        };
        // A value printed in ASCII alone is read again by the ASCII model:
        // a second model, not the same one twice.
        let ascii = doc_type
            .schema()
            .field(&name)
            .is_some_and(FieldSpec::printed_in_ascii);
        let line_options = if ascii {
            ocr_options.ascii()
        } else {
            ocr_options.clone()
        };
        let read = ocr::recognize_line(&crop.gray, crop.dpi, &line_options)?;
        if read.is_empty() {
            continue;
        }
        let words: Vec<Word> = read.iter().map(|w| crop.to_page(&w.word)).collect();
        let mut again = text.to_vec();
        replace_words(&mut again[place.page], place.bbox, words);
        let second = extract(doc_type, record.confidence.doc_type, &again, options);
        let value = second.fields.get(&name).cloned();
        let confidence = second.confidence.fields.get(&name).copied().unwrap_or(0.0);
        let read_here = second
            .places
            .get(&name)
            .is_some_and(|p| p.page == place.page && overlap(p.bbox, place.bbox));
        let reason = record.review_reason(&name);
        let first = record.fields.get(&name);
        let settled = read_here
            && !second.needs_review.contains(&name)
            && match (first, &value) {
                // No reading had the field's form: one that has it, read
                // with confidence and passing every check, is taken as a
                // first reading would be.
                (None, Some(_)) => reason == Some(ReviewReason::Format),
                // Read with low confidence, or with a speck or a gap in it,
                // and read again the same, clean.
                (Some(first), Some(v)) if v == first => matches!(
                    reason,
                    Some(ReviewReason::LowConfidence | ReviewReason::Noise)
                ),
                // Other marks: the first reading with only those words put
                // right passes every check too, to the same value.
                (Some(first), Some(v)) => marks_settled(
                    first,
                    v,
                    &first_words,
                    &read,
                    reason,
                    options.min_field_confidence,
                )
                .is_some_and(|patched| {
                    let mut fixed = text.to_vec();
                    replace_words(&mut fixed[place.page], place.bbox, patched);
                    let r = extract(doc_type, record.confidence.doc_type, &fixed, options);
                    !r.needs_review.contains(&name) && r.fields.get(&name) == Some(v)
                }),
                (_, None) => false,
            };
        tracing::debug!(
            field = %name,
            first = ?first,
            second = ?value,
            confidence,
            reason = ?record.review_reason(&name),
            read = %read.iter().map(|w| w.word.text.as_str()).collect::<Vec<_>>().join(" "),
            settled,
            "read again"
        );
        if settled {
            if let Some(v) = &value {
                record.fields.insert(name.clone(), v.clone());
                record.confidence.fields.insert(name.clone(), confidence);
                record.needs_review.retain(|f| *f != name);
                record.review_reasons.remove(&name);
            }
        }
        record.reread.insert(
            name,
            Reread {
                value,
                confidence,
                settled,
            },
        );
    }
    Ok(())
}

/// Whether two boxes share at least half of the smaller one.
fn overlap(a: BBox, b: BBox) -> bool {
    let w = a.x1.min(b.x1).saturating_sub(a.x0.max(b.x0));
    let h = a.y1.min(b.y1).saturating_sub(a.y0.max(b.y0));
    let area = |x: BBox| u64::from(x.width()) * u64::from(x.height());
    u64::from(w) * u64::from(h) * 2 >= area(a).min(area(b))
}

/// Whether a word's centre lies in a box.
fn centred_in(w: &Word, b: BBox) -> bool {
    let (cx, cy) = ((w.bbox.x0 + w.bbox.x1) / 2, (w.bbox.y0 + w.bbox.y1) / 2);
    (b.x0..=b.x1).contains(&cx) && (b.y0..=b.y1).contains(&cy)
}

/// The first reading's words in a value's box, when they make one line.
fn words_in(page: &OcrPage, b: BBox) -> Option<Vec<Word>> {
    let words: Vec<Word> = page
        .lines
        .iter()
        .flat_map(|l| &l.words)
        .filter(|w| centred_in(w, b))
        .cloned()
        .collect();
    let mut heights: Vec<u32> = words.iter().map(|w| w.bbox.height()).collect();
    heights.sort_unstable();
    let h = *heights.get(heights.len() / 2)?;
    // One line: the box is not much taller than its words (a wrapped or
    // skewed value is not read as one line).
    (h > 0 && b.height() * 2 <= h * 3).then_some(words)
}

/// Puts `words` in place of the words centred in `b`, where the first of
/// them was.
fn replace_words(page: &mut OcrPage, b: BBox, words: Vec<Word>) {
    let mut words = Some(words);
    for line in &mut page.lines {
        let Some(at) = line.words.iter().position(|w| centred_in(w, b)) else {
            continue;
        };
        line.words.retain(|w| !centred_in(w, b));
        if let Some(new) = words.take() {
            let tail = line.words.split_off(at.min(line.words.len()));
            line.words.extend(new);
            line.words.extend(tail);
        }
    }
    page.lines.retain(|l: &Line| !l.words.is_empty());
}

/// A value's box cut from its page, enlarged, with a white border.
struct Crop {
    gray: GrayImage,
    dpi: u32,
    /// Where the cut starts on the page.
    x0: u32,
    y0: u32,
    /// The enlargement.
    scale: f32,
    /// The white border added around the enlarged cut.
    border: u32,
}

impl Crop {
    fn of(page: &Page, dpi: u32, b: BBox, words: &[Word]) -> Option<Crop> {
        let (pw, ph) = (page.image.width(), page.image.height());
        let mut heights: Vec<u32> = words.iter().map(|w| w.bbox.height()).collect();
        heights.sort_unstable();
        let h = *heights.get(heights.len() / 2)?;
        // Marks above capitals and dots below may reach past the words'
        // boxes; the next line is a line pitch away.
        let (mx, my) = (h / 6 + 2, h / 4 + 2);
        let x0 = b.x0.saturating_sub(mx);
        let y0 = b.y0.saturating_sub(my);
        let x1 = (b.x1 + mx).min(pw);
        let y1 = (b.y1 + my).min(ph);
        if x1 <= x0 + 4 || y1 <= y0 + 4 {
            return None;
        }
        let cut = page.image.crop_imm(x0, y0, x1 - x0, y1 - y0);
        let gray = match cut {
            DynamicImage::ImageLuma8(g) => g,
            DynamicImage::ImageLumaA8(_) => cut.to_luma8(),
            // Seal and signature ink turn as light as the paper.
            other => crate::prepare::brightest_channel(&other.to_rgb8()),
        };
        let scale = (TARGET_HEIGHT / h as f32).clamp(MIN_SCALE, MAX_SCALE);
        let (w, hh) = gray.dimensions();
        let (sw, sh) = (
            (w as f32 * scale).round() as u32,
            (hh as f32 * scale).round() as u32,
        );
        let big = image::imageops::resize(&gray, sw, sh, image::imageops::FilterType::CatmullRom);
        let border = (h as f32 * scale / 2.0).round() as u32;
        let mut framed =
            GrayImage::from_pixel(sw + 2 * border, sh + 2 * border, image::Luma([255]));
        image::imageops::replace(&mut framed, &big, i64::from(border), i64::from(border));
        Some(Crop {
            gray: framed,
            dpi: (dpi as f32 * scale).round() as u32,
            x0,
            y0,
            scale,
            border,
        })
    }

    /// A word read on the crop, in the page's pixels.
    fn to_page(&self, w: &Word) -> Word {
        let back = |v: u32, origin: u32| {
            origin + (v.saturating_sub(self.border) as f32 / self.scale).round() as u32
        };
        Word {
            text: w.text.clone(),
            conf: w.conf,
            bbox: BBox {
                x0: back(w.bbox.x0, self.x0),
                y0: back(w.bbox.y0, self.y0),
                x1: back(w.bbox.x1, self.x0),
                y1: back(w.bbox.y1, self.y0),
            },
        }
    }
}

/// A value's words, without the punctuation around them, in upper case.
fn value_words(v: &Value) -> Vec<String> {
    v.as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(upper_letters)
        .filter(|w| !w.is_empty())
        .collect()
}

/// A word without the punctuation around it, in upper case (NFC).
fn upper_letters(w: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    w.trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase()
        .nfc()
        .collect()
}

/// When a second reading differs from the first only in the marks of some
/// words, and those words are words the first reading was unsure of, every
/// letter of them read surely with no close rival: the first reading's
/// words with only those words put right (their punctuation and the other
/// words as first read).
fn marks_settled(
    first: &Value,
    second: &Value,
    first_words: &[Word],
    read: &[LineWord],
    reason: Option<ReviewReason>,
    min_confidence: f32,
) -> Option<Vec<Word>> {
    let (a, b) = (value_words(first), value_words(second));
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let changed: Vec<(&String, &String)> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
    if changed.is_empty() {
        return None;
    }
    let mut patched = first_words.to_vec();
    for (was, now) in changed {
        if normalize::fold(was) != normalize::fold(now) {
            return None;
        }
        // A tone mark the first reading saw and the second did not: marks
        // above letters, capitals' above all, are the first thing a reading
        // loses, so missing one is no evidence against it (`YẾN` read
        // again `YÊN`).
        if normalize::has_tone(was) && !normalize::has_tone(now) {
            return None;
        }
        // What the second reading read, letter by letter.
        let sure = read.iter().find(|w| {
            upper_letters(&w.word.text) == *now
                && w.word.conf >= min_confidence
                && w.symbols.iter().all(symbol_sure)
        })?;
        // The first reading was unsure of this word: it was read with low
        // confidence, or the field was doubtful for its words or marks.
        let doubtful = matches!(
            reason,
            Some(ReviewReason::Doubtful | ReviewReason::AmbiguousMarks)
        );
        let w = patched
            .iter_mut()
            .find(|w| upper_letters(&w.text) == *was && (doubtful || w.conf < min_confidence))?;
        let core = |t: &str| t.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
        let (old, new) = (core(&w.text), core(&sure.word.text));
        // Each letter in the case it was first read in.
        if old.chars().count() != new.chars().count() {
            return None;
        }
        let new: String = new
            .chars()
            .zip(old.chars())
            .flat_map(|(n, o)| {
                if o.is_lowercase() {
                    n.to_lowercase().collect::<Vec<char>>()
                } else {
                    n.to_uppercase().collect()
                }
            })
            .collect();
        w.text = w.text.replacen(&old, &new, 1);
        w.conf = sure.word.conf;
    }
    Some(patched)
}

/// Whether a symbol was read surely: with high confidence, and no other
/// candidate close to it.
fn symbol_sure(s: &ocr::Symbol) -> bool {
    let rival = s
        .choices
        .iter()
        .filter(|(t, _)| *t != s.text)
        .map(|(_, c)| *c)
        .fold(0.0, f32::max);
    s.text.chars().all(|c| !c.is_alphabetic()) || (s.conf >= SURE_SYMBOL && rival < RIVAL_SYMBOL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{analyze, Analysis, PipelineOptions};
    use crate::schema::DocType;
    use unicode_normalization::UnicodeNormalization;

    fn word(text: &str, conf: f32) -> Word {
        Word {
            text: text.into(),
            conf,
            bbox: BBox::default(),
        }
    }

    fn line_word(text: &str, conf: f32, rival: f32) -> LineWord {
        LineWord {
            word: word(text, conf),
            symbols: text
                .chars()
                .map(|c| ocr::Symbol {
                    text: c.to_string(),
                    conf,
                    choices: vec![(c.to_string(), conf), ("X".into(), rival)],
                })
                .collect(),
        }
    }

    fn line(words: &[&str], rival_on_last: f32) -> Vec<LineWord> {
        let n = words.len();
        words
            .iter()
            .enumerate()
            .map(|(i, w)| line_word(w, 0.96, if i + 1 == n { rival_on_last } else { 0.0 }))
            .collect()
    }

    #[test]
    fn only_marks_of_unsure_words_read_surely_are_settled() {
        let first = Value::from("NGUYỄN THỊ VẦN");
        let second = Value::from("NGUYỄN THỊ VẤN");
        let firsts = [word("NGUYỄN", 0.95), word("THỊ", 0.95), word("VẦN", 0.9)];
        let sure = line(&["NGUYỄN", "THỊ", "VẤN"], 0.0);
        let doubtful = Some(ReviewReason::Doubtful);
        assert!(marks_settled(&first, &second, &firsts, &sure, doubtful, 0.8).is_some());
        // A tone mark the second reading did not see is not taken away.
        let toneless = Value::from("NGUYỄN THỊ VÂN");
        let read = line(&["NGUYỄN", "THỊ", "VÂN"], 0.0);
        assert!(marks_settled(&first, &toneless, &firsts, &read, doubtful, 0.8).is_none());
        // The same value settles no marks.
        assert!(marks_settled(&first, &first, &firsts, &sure, doubtful, 0.8).is_none());
        // A close rival for a letter of the changed word.
        let rival = line(&["NGUYỄN", "THỊ", "VẤN"], 0.3);
        assert!(marks_settled(&first, &second, &firsts, &rival, doubtful, 0.8).is_none());
        // Other letters are another reading, not other marks.
        let other = Value::from("NGUYỄN THỊ VÂM");
        let read = line(&["NGUYỄN", "THỊ", "VÂM"], 0.0);
        assert!(marks_settled(&first, &other, &firsts, &read, doubtful, 0.8).is_none());
        let other = Value::from("NGUYỄN THỊ");
        assert!(marks_settled(&first, &other, &firsts, &sure, doubtful, 0.8).is_none());
        // In review for low confidence, a word read surely the first time
        // is not put right by the second reading.
        let low = Some(ReviewReason::LowConfidence);
        assert!(marks_settled(&first, &second, &firsts, &sure, low, 0.8).is_none());
        let firsts = [word("NGUYỄN", 0.95), word("THỊ", 0.95), word("VẦN", 0.5)];
        assert!(marks_settled(&first, &second, &firsts, &sure, low, 0.8).is_some());
        // Only the changed word is put right, in its case and punctuation.
        let firsts = [word("Nguyễn", 0.95), word("Thị", 0.5), word("Vần,", 0.5)];
        let patched = marks_settled(&first, &second, &firsts, &sure, low, 0.8).unwrap();
        let texts: Vec<&str> = patched.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Nguyễn", "Thị", "Vấn,"]);
        assert_eq!((patched[1].conf, patched[2].conf), (0.5, 0.96));
    }

    /// A clean generated birth certificate through the pipeline, with its
    /// truth.
    fn birth_certificate() -> (Analysis, serde_json::Map<String, Value>) {
        let (scan, truth) = crate::samples::one_clean_scan(5);
        assert_eq!(truth["doc_type"], "birth_certificate");
        let a = analyze(&scan, &PipelineOptions::default()).expect("analysis");
        let fields = truth["fields"].as_object().cloned().expect("fields");
        (a, fields)
    }

    /// The first reading with the last word of `field` changed by `change`.
    fn misread(a: &Analysis, field: &str, change: impl Fn(&mut Word)) -> Vec<OcrPage> {
        let place = a.record.places[field];
        let mut text = a.ocr.clone();
        let last = text[place.page]
            .lines
            .iter_mut()
            .flat_map(|l| &mut l.words)
            .filter(|w| centred_in(w, place.bbox))
            .last()
            .expect("the value's words");
        change(last);
        text
    }

    /// The word with one tone mark put on each of its vowels in turn, and
    /// with none.
    fn other_marks(word: &str) -> Vec<String> {
        use crate::normalize::TONE_MARKS as TONES;
        let base: Vec<char> = word.nfd().filter(|c| !TONES.contains(c)).collect();
        let mut out = vec![base.iter().collect::<String>().nfc().collect()];
        for i in 0..base.len() {
            let vowel = "AEIOUY".contains(base[i]);
            let end = base
                .get(i + 1)
                .is_none_or(|c| !('\u{300}'..='\u{36f}').contains(c));
            let modified = i > 0 && "AEIOUY".contains(base[i - 1]);
            if (vowel || modified) && end {
                for t in TONES {
                    let mut v = base.clone();
                    v.insert(i + 1, t);
                    out.push(v.iter().collect::<String>().nfc().collect());
                }
            }
        }
        out.retain(|w| w != word);
        out
    }

    /// An upper-case word `w` printed in the case of `like`.
    fn cased_like(like: &str, w: &str) -> String {
        if like.chars().any(char::is_lowercase) {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_string() + &c.as_str().to_lowercase())
                .unwrap_or_default()
        } else {
            w.to_string()
        }
    }

    fn extract_first(a: &Analysis, text: &[OcrPage]) -> Record {
        let doc = a.record.doc_type.expect("classified");
        extract(
            doc,
            a.record.confidence.doc_type,
            text,
            &ExtractOptions::default(),
        )
    }

    fn read_again(a: &Analysis, text: &[OcrPage], record: &mut Record) {
        reread(
            record,
            &a.pages,
            text,
            &OcrOptions::default(),
            &ExtractOptions::default(),
        )
        .expect("OCR");
    }

    /// A name whose given name lost or changed its mark (what fonts the
    /// model was not trained on do to capitals) goes to review; read again
    /// from its box on the page, it is read as printed and leaves review,
    /// unless that takes away a tone mark the first reading saw. Read with
    /// low confidence only, a value the second reading confirms leaves
    /// review unchanged.
    #[test]
    fn a_second_reading_settles_a_misread_mark() {
        let (a, truth) = birth_certificate();
        assert_eq!(a.record.doc_type, Some(DocType::BirthCertificate));
        // `BÙI BẢO HÀ` and `NGUYỄN THU TRANG`.
        for (name, tone) in [("mother_name", true), ("full_name", false)] {
            assert_eq!(a.record.fields.get(name), truth.get(name), "{:?}", a.record);
            let last = a.record.fields[name]
                .as_str()
                .and_then(|v| v.split_whitespace().last())
                .expect("a given name")
                .to_string();
            assert_eq!(normalize::has_tone(&last), tone, "{last}");
            // A mark the lexicon tells for wrong.
            let (text, mut first) = other_marks(&last)
                .into_iter()
                .find_map(|variant| {
                    let text = misread(&a, name, |w| w.text = cased_like(&w.text, &variant));
                    let r = extract_first(&a, &text);
                    (r.review_reason(name) == Some(ReviewReason::Doubtful)).then_some((text, r))
                })
                .expect("a misread mark that makes the name doubtful");
            assert_ne!(first.fields.get(name), truth.get(name));
            read_again(&a, &text, &mut first);
            assert_eq!(first.reread[name].settled, tone, "{:?}", first.reread);
            if tone {
                assert_eq!(first.fields.get(name), truth.get(name));
                assert!(!first.needs_review.contains(&name.to_string()));
                assert_eq!(first.review_reason(name), None);
            } else {
                // The second reading gave the name as printed, without the
                // tone mark the first added; that is no evidence.
                assert_eq!(first.reread[name].value.as_ref(), truth.get(name));
                assert_eq!(first.review_reason(name), Some(ReviewReason::Doubtful));
            }
        }
        let name = "full_name";

        // Read with low confidence.
        let text = misread(&a, name, |w| w.conf = 0.5);
        let mut first = extract_first(&a, &text);
        assert_eq!(first.review_reason(name), Some(ReviewReason::LowConfidence));
        read_again(&a, &text, &mut first);
        assert_eq!(first.fields.get(name), truth.get(name));
        assert!(first.reread[name].settled);
        assert!(first.confidence.fields[name] >= ExtractOptions::default().min_field_confidence);

        // Read with a speck beside it: read again the same, and clean.
        let text = misread(&a, name, |w| w.text.push('|'));
        let mut first = extract_first(&a, &text);
        assert_eq!(first.review_reason(name), Some(ReviewReason::Noise));
        read_again(&a, &text, &mut first);
        assert_eq!(first.fields.get(name), truth.get(name));
        assert!(first.reread[name].settled, "{:?}", first.reread);
        assert_eq!(first.review_reason(name), None);
    }

    /// A date of birth whose last digit a speck took (no reading has the
    /// field's form) is read again from its box and leaves review as
    /// printed; where the box holds nothing readable, it stays in review.
    #[test]
    fn a_second_reading_gives_a_value_no_first_reading_had() {
        let (a, truth) = birth_certificate();
        let name = "date_of_birth";
        assert_eq!(a.record.fields.get(name), truth.get(name), "{:?}", a.record);
        let text = misread(&a, name, |w| {
            w.text.pop();
        });
        let mut first = extract_first(&a, &text);
        assert_eq!(first.review_reason(name), Some(ReviewReason::Format));
        assert_eq!(first.fields.get(name), None);
        read_again(&a, &text, &mut first);
        assert!(first.reread[name].settled, "{:?}", first.reread);
        assert_eq!(first.fields.get(name), truth.get(name));
        assert_eq!(first.review_reason(name), None);
        assert!(!first.needs_review.contains(&name.to_string()));
        // A value read in no form the field has, again: nothing is taken.
        let mut pages = a.pages.clone();
        let place = a.record.places[name];
        let white = image::Rgba([255, 255, 255, 255]);
        let mut blank = pages[place.page].image.to_rgba8();
        for y in place.bbox.y0..place.bbox.y1.min(blank.height()) {
            for x in place.bbox.x0..place.bbox.x1.min(blank.width()) {
                blank.put_pixel(x, y, white);
            }
        }
        pages[place.page].image = DynamicImage::ImageRgba8(blank);
        let mut first = extract_first(&a, &text);
        reread(
            &mut first,
            &pages,
            &text,
            &OcrOptions::default(),
            &ExtractOptions::default(),
        )
        .expect("OCR");
        assert_eq!(first.fields.get(name), None);
        assert_eq!(first.review_reason(name), Some(ReviewReason::Format));
    }

    /// A value whose second reading has other letters than the first stays
    /// in review, as first read and for its first reason.
    #[test]
    fn a_second_reading_that_disagrees_leaves_the_field_in_review() {
        let (a, truth) = birth_certificate();
        let name = "full_name";
        let last = a.record.fields[name]
            .as_str()
            .and_then(|v| v.split_whitespace().last())
            .expect("a given name")
            .to_string();
        // Another given name, read with low confidence.
        let other = if last == "BÌNH" { "MINH" } else { "BÌNH" };
        let text = misread(&a, name, |w| {
            w.text = cased_like(&w.text, other);
            w.conf = 0.5;
        });
        let mut first = extract_first(&a, &text);
        assert_eq!(first.review_reason(name), Some(ReviewReason::LowConfidence));
        let as_read = first.fields[name].clone();
        assert!(as_read.as_str().is_some_and(|v| v.ends_with(other)));
        read_again(&a, &text, &mut first);
        let again = &first.reread[name];
        // Read again as printed, which is not what was read first.
        assert_eq!(again.value.as_ref(), truth.get(name));
        assert!(!again.settled);
        assert_eq!(first.fields[name], as_read);
        assert_eq!(first.review_reason(name), Some(ReviewReason::LowConfidence));
        assert!(first.needs_review.contains(&name.to_string()));
    }
}
