//! Which document type a page is, or `unknown`, and why.
//!
//! Titles and labels are compared on diacritic-folded, upper-cased text with
//! edit-distance tolerance, so OCR slips in them do not change the answer.
//!
//! The title decides: a type is chosen when a line (or up to three consecutive
//! upper-case lines, for wrapped titles) reads as one of its titles as a whole,
//! so `GIẤY CHỨNG NHẬN` alone, `ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG` or
//! `TRÍCH LỤC KHAI SINH` match nothing. Labels of the type found on the page
//! support the decision and only rescue a title read too badly to pass alone.
//! Labels alone never make a type: application forms share them.

use serde::{Deserialize, Serialize};

use crate::layout::{self, LabelPattern, Row};
use crate::model::OcrPage;
use crate::normalize::fold;
use crate::schema::{DocType, TypeSchema};

/// The outcome of classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classified {
    /// The type, or `None` for `unknown`.
    pub doc_type: Option<DocType>,
    /// Confidence in the decision, in [0, 1].
    pub confidence: f32,
    /// Why: the title line that matched, the labels found, the scores.
    pub evidence: Evidence,
}

/// What the decision rests on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// The title line as read, when one matched.
    pub title: Option<String>,
    /// Labels of the chosen type found on the page.
    pub labels: Vec<String>,
    /// Every type's score, best first.
    pub scores: Vec<(DocType, f32)>,
}

/// A window whose folded text is at least this similar to a title matches it.
const TITLE_MATCH: f32 = 0.80;
/// A weaker title match that labels may still confirm.
const TITLE_WEAK: f32 = 0.65;
/// Share of a type's (weighted) labels that confirms a weak title.
const LABELS_CONFIRM: f32 = 0.6;

/// The national header, printed on every page; never a title.
const NATIONAL_HEADER: &str = "CONG HOA XA HOI CHU NGHIA VIET NAM";

/// How the titles of what a citizen files begin (folded): applications,
/// requests and declarations. Such a form names the document it asks for
/// (`GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH`) and prints most of its labels, but
/// it is not that document; no document type's title begins this way.
const APPLICATION_HEADS: [&str; 9] = [
    "GIAY DE NGHI",
    "DON DE NGHI",
    "DON DANG KY",
    "DON XIN",
    "DON",
    "TO KHAI",
    "BAN KHAI",
    "PHIEU DE NGHI",
    "PHIEU YEU CAU",
];

/// Whether a title's key begins as an application's does: exactly, as whole
/// words, for the short heads; within OCR slips for the long ones, also when
/// a lost space glued the next word on (`GIẤY ĐỀ NGHỊĐĂNG KÝ`).
fn is_application_title(key: &str) -> bool {
    APPLICATION_HEADS.iter().any(|head| {
        let n = head.chars().count();
        let start: String = key.chars().take(n).collect();
        let whole_word = matches!(key.chars().nth(n), None | Some(' '));
        let long = n >= 10;
        (whole_word || long)
            && (start == *head || (long && layout::similarity(&start, head) >= 0.85))
    })
}

/// Whether a page bears the national header (`CỘNG HÒA XÃ HỘI CHỦ NGHĨA
/// VIỆT NAM`), which an administrative paper prints atop its first page and
/// not on the pages that continue it.
pub fn has_national_header(page: &OcrPage) -> bool {
    layout::rows(std::slice::from_ref(page))
        .iter()
        .any(|r| layout::similarity(&title_key(&r.text()), NATIONAL_HEADER) >= TITLE_MATCH)
}

/// Classifies a document from the text of its pages.
pub fn classify(pages: &[OcrPage]) -> Classified {
    let rows = layout::rows(pages);
    let windows = title_windows(&rows);

    let mut per_type: Vec<TypeScore> = DocType::ALL
        .iter()
        .map(|&t| score_type(t.schema(), &rows, &windows))
        .collect();
    per_type.sort_by(|a, b| b.combined().total_cmp(&a.combined()));

    // Best by title, then labels.
    let best_title = per_type
        .iter()
        .filter(|s| s.title >= TITLE_MATCH)
        .max_by(|a, b| {
            (a.title, a.labels)
                .partial_cmp(&(b.title, b.labels))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    let chosen = match best_title {
        Some(s) => {
            let rival = per_type
                .iter()
                .filter(|o| o.doc_type != s.doc_type && o.title >= TITLE_MATCH)
                .map(|o| o.title)
                .fold(0.0f32, f32::max);
            let mut conf = evidence(s);
            if rival > 0.0 {
                conf *= 1.0 - 0.5 * (1.0 - (s.title - rival).min(0.2) / 0.2);
            }
            Some((s, conf))
        }
        None => per_type
            .iter()
            .filter(|s| s.title >= TITLE_WEAK && s.labels >= LABELS_CONFIRM)
            .max_by(|a, b| a.combined().total_cmp(&b.combined()))
            .map(|s| (s, evidence(s))),
    };

    // A title that matched only because an application names the document
    // it asks for makes the page an application: `unknown`.
    let chosen = chosen.filter(|(s, _)| {
        !s.title_text
            .as_deref()
            .is_some_and(|t| is_application_title(&title_key(t)))
    });
    let scores: Vec<(DocType, f32)> = per_type
        .iter()
        .map(|s| (s.doc_type, s.combined()))
        .collect();
    match chosen {
        Some((s, conf)) => Classified {
            doc_type: Some(s.doc_type),
            confidence: conf.clamp(0.0, 1.0),
            evidence: Evidence {
                title: s.title_text.clone(),
                labels: s.found.clone(),
                scores,
            },
        },
        None => {
            let top = per_type.first();
            Classified {
                doc_type: None,
                confidence: (1.0 - top.map_or(0.0, TypeScore::combined)).clamp(0.0, 1.0),
                evidence: Evidence {
                    title: top.and_then(|s| s.title_text.clone()),
                    labels: Vec::new(),
                    scores,
                },
            }
        }
    }
}

/// Confidence from a title match and label support: an exact title is enough,
/// a doubtful one needs the labels.
fn evidence(s: &TypeScore) -> f32 {
    let title = ((s.title - 0.6) / 0.4).clamp(0.0, 1.0);
    1.0 - (1.0 - title) * (1.0 - 0.8 * s.labels)
}

/// How well a page fits one type.
#[derive(Debug, Clone)]
struct TypeScore {
    doc_type: DocType,
    /// Best similarity of a title window to one of the type's titles.
    title: f32,
    /// The window that matched best, as read.
    title_text: Option<String>,
    /// Weighted share of the type's labels found.
    labels: f32,
    /// Printed labels found.
    found: Vec<String>,
}

impl TypeScore {
    fn combined(&self) -> f32 {
        let t = if self.title >= TITLE_WEAK {
            self.title
        } else {
            0.0
        };
        0.6 * t + 0.4 * self.labels
    }
}

/// A candidate title: one to three consecutive upper-case rows.
struct Window {
    /// The rows as read.
    text: String,
    /// Folded, letters and digits only, single spaces.
    key: String,
}

/// Folded text for title comparison: parenthesised parts and punctuation dropped.
fn title_key(s: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    fold(&kept)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_upper_row(row: &Row) -> bool {
    let letters: Vec<char> = row.text().chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 4 {
        return false;
    }
    let upper = letters.iter().filter(|c| !c.is_lowercase()).count();
    upper * 2 >= letters.len()
}

fn title_windows(rows: &[Row]) -> Vec<Window> {
    let mut out = Vec::new();
    for i in 0..rows.len() {
        let mut text = String::new();
        for j in i..(i + 3).min(rows.len()) {
            let r = &rows[j];
            if r.page != rows[i].page || !is_upper_row(r) {
                break;
            }
            let key = title_key(&r.text());
            if layout::similarity(&key, NATIONAL_HEADER) >= TITLE_MATCH {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&r.text());
            out.push(Window {
                key: title_key(&text),
                text: text.clone(),
            });
        }
    }
    out
}

/// For each printed label, how many types print it: a label shared by every
/// type says little about which one a page is.
fn label_weight(label: &str) -> f32 {
    let key = layout::label_tokens(label);
    let n = DocType::ALL
        .iter()
        .filter(|t| {
            t.schema()
                .fields
                .iter()
                .any(|f| layout::label_tokens(&f.label) == key)
        })
        .count()
        .max(1);
    1.0 / n as f32
}

fn score_type(schema: &TypeSchema, rows: &[Row], windows: &[Window]) -> TypeScore {
    let mut title = 0.0f32;
    let mut title_text = None;
    for w in windows {
        for t in &schema.titles {
            let key = title_key(t);
            let mut sim = layout::similarity(&w.key, &key);
            // A long title whose last line was lost still reads as its beginning.
            let (wl, tl) = (w.key.chars().count(), key.chars().count());
            if tl >= 40 && wl * 10 >= tl * 6 && wl < tl {
                let prefix: String = key.chars().take(wl).collect();
                sim = sim.max(0.95 * layout::similarity(&w.key, &prefix));
            }
            if sim > title {
                title = sim;
                title_text = Some(w.text.clone());
            }
        }
    }
    let patterns = LabelPattern::for_schema(schema);
    let mut seen = vec![false; schema.fields.len()];
    for r in rows {
        for m in layout::find_labels(r, &patterns) {
            if let Some(s) = seen.get_mut(m.field) {
                *s = true;
            }
        }
    }
    let (mut got, mut all) = (0.0f32, 0.0f32);
    let mut found = Vec::new();
    for (f, &s) in schema.fields.iter().zip(&seen) {
        let w = label_weight(&f.label);
        all += w;
        if s {
            got += w;
            found.push(f.label.clone());
        }
    }
    TypeScore {
        doc_type: schema.doc_type,
        title,
        title_text,
        labels: if all > 0.0 { got / all } else { 0.0 },
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Vec<OcrPage> {
        vec![crate::model::synthetic_page(text)]
    }

    const HEADER: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n";

    fn class_of(body: &str) -> Option<DocType> {
        classify(&page(&format!("{HEADER}{body}"))).doc_type
    }

    #[test]
    fn titles_pick_the_type() {
        assert_eq!(
            class_of("GIẤY KHAI SINH\nSố: 12/2024\nHọ, chữ đệm, tên: AN"),
            Some(DocType::BirthCertificate)
        );
        assert_eq!(
            class_of("GIẤY CHỨNG NHẬN KẾT HÔN"),
            Some(DocType::MarriageCertificate)
        );
        assert_eq!(
            class_of("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH"),
            Some(DocType::BusinessHouseholdRegistration)
        );
        assert_eq!(
            class_of("GIẤY PHÉP XÂY DỰNG"),
            Some(DocType::ConstructionPermit)
        );
    }

    #[test]
    fn both_citizen_card_titles() {
        assert_eq!(class_of("CĂN CƯỚC CÔNG DÂN"), Some(DocType::CitizenId));
        assert_eq!(class_of("CĂN CƯỚC"), Some(DocType::CitizenId));
        let c = classify(&page(&format!("{HEADER}CĂN CƯỚC CÔNG DÂN")));
        assert_eq!(c.evidence.title.as_deref(), Some("CĂN CƯỚC CÔNG DÂN"));
    }

    #[test]
    fn ocr_slips_in_the_title_are_tolerated() {
        assert_eq!(class_of("TRICH LUC KHAI TU"), Some(DocType::DeathExtract));
        assert_eq!(
            class_of("GIAY CHUNG NHAN KFT HON"),
            Some(DocType::MarriageCertificate)
        );
    }

    #[test]
    fn a_title_wrapped_over_lines() {
        assert_eq!(
            class_of("GIẤY CHỨNG NHẬN\nQUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN\nGẮN LIỀN VỚI ĐẤT"),
            Some(DocType::LandUseCertificate)
        );
        assert_eq!(
            class_of("GIẤY CHỨNG NHẬN\nKẾT HÔN"),
            Some(DocType::MarriageCertificate)
        );
    }

    #[test]
    fn other_documents_are_unknown() {
        let c = classify(&page(&format!(
            "{HEADER}ĐƠN ĐỀ NGHỊ\nHọ và tên: NGUYỄN VĂN AN\nNgày sinh: 01/02/1980\nSố định danh cá nhân: 001080012345"
        )));
        assert_eq!(c.doc_type, None);
        assert_eq!(c.evidence.scores.len(), DocType::ALL.len());
        assert_eq!(
            class_of("GIẤY ỦY QUYỀN\nHọ và tên: AN\nNgày sinh: 01/02/1980"),
            None
        );
        assert_eq!(
            class_of("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\nĐịa điểm xây dựng: Hà Nội\nSố tầng: 3"),
            None
        );
        assert_eq!(class_of("TRÍCH LỤC KHAI SINH\nHọ, chữ đệm, tên: AN"), None);
        // Applications name the document they ask for and share its labels.
        for title in [
            "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH",
            "GIAY DE NGHl DANG KY HO KINH DOANH",
            "GIẤY ĐỀ NGHỊĐĂNG KÝ HỘ KINH DOANH.",
            "TỜ KHAI ĐĂNG KÝ KHAI SINH",
            "ĐƠN ĐỀ NGHỊ CẤP GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
            "PHIẾU YÊU CẦU CẤP GIẤY CHỨNG NHẬN KẾT HÔN",
        ] {
            let text = format!(
                "{HEADER}{title}\nTên hộ kinh doanh: AN PHÁT\nĐịa chỉ trụ sở: Số 1 Phố Huế\nHọ, chữ đệm, tên: AN"
            );
            let c = classify(&page(&text));
            assert_eq!(c.doc_type, None, "{title}: {c:?}");
        }
        // The certificates themselves still read as themselves.
        assert_eq!(
            class_of("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\nTên hộ kinh doanh: AN PHÁT"),
            Some(DocType::BusinessHouseholdRegistration)
        );
        assert_eq!(class_of("GIẤY CHỨNG NHẬN"), None);
        assert_eq!(class_of(""), None);
        assert_eq!(classify(&[]).doc_type, None);
    }
}
