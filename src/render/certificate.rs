//! The certificate page: what it says ([`blocks`], derived only from the
//! manifest) and where it says it ([`layout`]).

use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};
use unicode_normalization::UnicodeNormalization;

use crate::model::{IssuedAt, Manifest};
use crate::pdf::write::{Content, UnicodeFont};
use crate::schema::{DocType, Form};

/// A4 width in points.
pub const PAGE_WIDTH: f32 = 595.276;
/// A4 height in points.
pub const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_X: f32 = 62.36; // 22 mm
const MARGIN_TOP: f32 = 50.0;
const MARGIN_BOTTOM: f32 = 48.19; // 17 mm
/// The side of the square reserved for the QR seal: 45 mm.
pub const QR_SIDE: f32 = 127.56;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const LABEL_WIDTH: f32 = 180.0;
const COLUMN_GAP: f32 = 12.0;

/// A rectangle on a page, in points from the bottom-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Bottom edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// The empty square at the bottom right of the certificate page where the QR
/// seal goes.
pub const QR_AREA: Rect = Rect {
    x: PAGE_WIDTH - MARGIN_X - QR_SIDE,
    y: MARGIN_BOTTOM,
    width: QR_SIDE,
    height: QR_SIDE,
};

/// The square at the top left of the certificate page where the QR seal goes
/// in the layout [`crate::model::LAYOUT_QR_TOP_LEFT`].
pub const QR_AREA_TOP_LEFT: Rect = Rect {
    x: MARGIN_X,
    y: PAGE_HEIGHT - MARGIN_TOP - QR_SIDE,
    width: QR_SIDE,
    height: QR_SIDE,
};

/// Where a manifest's certificate page draws its QR seal.
pub fn qr_area(m: &Manifest) -> Rect {
    if m.layout.is_some() {
        QR_AREA_TOP_LEFT
    } else {
        QR_AREA
    }
}

/// How a block of the certificate is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`.
    Nation,
    /// `Độc lập - Tự do - Hạnh phúc`, underlined.
    Motto,
    /// What the document is.
    Heading,
    /// The heading in English.
    Subtitle,
    /// The document type's title.
    Title,
    /// A section heading.
    Section,
    /// A label and its value in two columns.
    Row,
    /// The issuing system and the lookup id, under a top-left QR seal.
    Lookup,
    /// The statement beside the QR seal.
    Statement,
    /// The statement in English.
    StatementEnglish,
}

/// One logical line of the certificate: one text object on the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    /// How the block is set.
    pub style: Style,
    /// The label of a [`Style::Row`].
    pub label: Option<String>,
    /// The text (the value of a row), cleaned to single-spaced NFC.
    pub text: String,
}

impl Block {
    fn new(style: Style, text: &str) -> Block {
        Block {
            style,
            label: None,
            text: clean(text),
        }
    }

    fn row(label: &str, value: &str) -> Block {
        Block {
            style: Style::Row,
            label: Some(clean(label)),
            text: clean(value),
        }
    }

    /// The line as [`crate::pdf::write::page_text`] reads it back.
    pub fn line(&self) -> String {
        match &self.label {
            Some(label) if self.text.is_empty() => label.clone(),
            Some(label) => format!("{label} {}", self.text),
            None => self.text.clone(),
        }
    }
}

/// NFC, control characters dropped, whitespace runs collapsed to one space.
fn clean(s: &str) -> String {
    let nfc: String = s
        .nfc()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Groups the digits of a non-negative integer string by thousands with `.`.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// `2024-07-05` → `05/07/2024`; `None` if it is not an ISO date.
fn dmy(iso: &str) -> Option<String> {
    let b = iso.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .map(|_| &iso[r])
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some(format!(
        "{}/{}/{}",
        digits(8..10)?,
        digits(5..7)?,
        digits(0..4)?
    ))
}

/// A field value as a person reads it.
pub(crate) fn display_value(form: Option<Form>, name: &str, value: &Value) -> String {
    match (form, value) {
        (Some(Form::Date), Value::String(s)) => dmy(s).unwrap_or_else(|| s.clone()),
        (Some(Form::Sex), Value::String(s)) => match s.as_str() {
            "male" => "Nam".to_string(),
            "female" => "Nữ".to_string(),
            other => other.to_string(),
        },
        (Some(Form::Int), v) => {
            let raw = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let (sign, digits) = raw
                .strip_prefix('-')
                .map_or(("", raw.as_str()), |d| ("-", d));
            let mut shown = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                format!("{sign}{}", group_thousands(digits))
            } else {
                raw.clone()
            };
            if name.ends_with("_vnd") {
                shown.push_str(" đồng");
            }
            shown
        }
        (Some(Form::Area), Value::Number(n)) => {
            let raw = n.to_string();
            let (int, frac) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
            let frac = frac.trim_end_matches('0');
            let (sign, int) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
            if int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()) {
                let mut s = format!("{sign}{}", group_thousands(int));
                if !frac.is_empty() {
                    s.push(',');
                    s.push_str(frac);
                }
                s.push_str(" m²");
                s
            } else {
                format!("{raw} m²")
            }
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// The issue time in Vietnam (UTC+07:00) as `(dd/mm/yyyy, HH:MM:SS)`; the
/// RFC 3339 text and nothing when it is out of the calendar's range.
fn issue_time(issued_at: IssuedAt) -> (String, String) {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(issued_at.unix_seconds()) else {
        return (issued_at.to_string(), String::new());
    };
    let offset = UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = t.to_offset(offset);
    (
        format!("{:02}/{:02}/{:04}", t.day(), u8::from(t.month()), t.year()),
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
    )
}

/// The document type of a manifest, from its record or its `doc_type`.
pub(crate) fn doc_type(m: &Manifest) -> Option<DocType> {
    m.record.doc_type.or_else(|| m.doc_type.parse().ok())
}

/// The document title printed on the certificate.
pub(crate) fn title(m: &Manifest) -> String {
    doc_type(m)
        .and_then(|t| t.schema().titles.first().cloned())
        .unwrap_or_else(|| "TÀI LIỆU".to_string())
}

/// Everything the certificate page prints, in order.
pub(crate) fn blocks(m: &Manifest) -> Vec<Block> {
    let mut out = vec![
        Block::new(Style::Nation, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        Block::new(Style::Motto, "Độc lập - Tự do - Hạnh phúc"),
        Block::new(Style::Heading, "BẢN ĐIỆN TỬ CHUYỂN ĐỔI TỪ BẢN GIẤY"),
        Block::new(
            Style::Subtitle,
            "Electronic copy converted from a paper original",
        ),
        Block::new(Style::Title, &title(m)),
    ];
    if m.layout.is_some() {
        out.push(Block::new(
            Style::Lookup,
            &format!(
                "Hệ thống / System: {} · {}",
                crate::dossier::SYSTEM_NAME,
                m.issuer.office
            ),
        ));
        out.push(Block::new(
            Style::Lookup,
            &format!(
                "Tra cứu / Lookup: {} tại / at /d/{}",
                m.document_id, m.document_id
            ),
        ));
    }

    let schema = doc_type(m).map(DocType::schema);
    let fields = &m.record.fields;
    if let Some(schema) = schema {
        for spec in &schema.fields {
            if let Some(v) = fields.get(&spec.name) {
                out.push(Block::row(
                    &spec.label,
                    &display_value(Some(spec.form), &spec.name, v),
                ));
            }
        }
    }
    for (name, v) in fields {
        if schema.and_then(|s| s.field(name)).is_none() {
            out.push(Block::row(
                &format!("{name}:"),
                &display_value(None, name, v),
            ));
        }
    }

    let (date, clock) = issue_time(m.issued_at);
    let when = if clock.is_empty() {
        date.clone()
    } else {
        format!("{date} {clock} (UTC+07:00)")
    };
    out.push(Block::new(
        Style::Section,
        "THÔNG TIN XÁC THỰC / VERIFICATION DATA",
    ));
    out.push(Block::row("Mã tài liệu / Document ID:", &m.document_id));
    if let Some(d) = &m.dossier {
        out.push(Block::row("Mã kết quả / Result code:", &d.result_code));
        out.push(Block::row("Mã hồ sơ / Dossier code:", &d.dossier_code));
        if let Some(p) = &d.procedure_code {
            out.push(Block::row("Mã thủ tục / Procedure code:", p));
        }
    }
    out.push(Block::row(
        "Bản giấy gốc / Paper original:",
        &format!(
            "{} trang / page(s), {}",
            m.source.pages, m.source.media_type
        ),
    ));
    out.push(Block::row(
        "SHA-256 bản quét / Scan SHA-256:",
        &m.source.sha256,
    ));
    out.push(Block::row("Khóa ký / Signing key:", &m.key_id));
    out.push(Block::row("Thời điểm cấp / Issued at:", &when));
    if let Some(review) = &m.review {
        out.push(Block::row(
            "Người duyệt / Reviewed by:",
            &review.approved_by,
        ));
    }

    let (vi_when, en_when) = if clock.is_empty() {
        (date.clone(), date.clone())
    } else {
        let hm = &clock[..5];
        (
            format!("{hm} ngày {date} (UTC+07:00)"),
            format!("{date} at {hm} (UTC+07:00)"),
        )
    };
    out.push(Block::new(
        Style::Statement,
        &format!(
            "Bản điện tử này được chuyển đổi từ bản giấy gốc bởi {}, người thực hiện {}, \
             lúc {vi_when}, bằng phần mềm {}. Tính xác thực được kiểm chứng qua chữ ký số \
             của tệp, bản kê khai đã ký đính kèm (manifest.json) và mã QR.",
            m.issuer.office, m.issuer.operator, m.pipeline_version
        ),
    ));
    out.push(Block::new(
        Style::StatementEnglish,
        &format!(
            "This is an electronic copy converted from a paper original by {}, operator {}, \
             on {en_when}, with {}. It can be verified through the file's digital signature, \
             the attached signed manifest (manifest.json) and the QR seal.",
            m.issuer.office, m.issuer.operator, m.pipeline_version
        ),
    ));
    out
}

/// Breaks `text` (single-spaced) into pieces no wider than `max` points. Each
/// piece broken at a space keeps that space at its end, so the pieces
/// concatenate back to `text`; a word wider than a line is split between
/// characters.
pub(crate) fn wrap(font: &UnicodeFont<'_>, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if font.width(&candidate, size) <= max {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            cur.push(' ');
            lines.push(std::mem::take(&mut cur));
        }
        for c in word.chars() {
            cur.push(c);
            if font.width(&cur, size) > max && cur.chars().count() > 1 {
                cur.pop();
                lines.push(std::mem::replace(&mut cur, c.to_string()));
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Like [`wrap`], into as many lines as `wrap` needs but of even lengths: the
/// narrowest width that needs no more lines.
fn wrap_balanced(font: &UnicodeFont<'_>, text: &str, size: f32, max: f32) -> Vec<String> {
    let lines = wrap(font, text, size, max);
    if lines.len() < 2 {
        return lines;
    }
    let (mut lo, mut hi) = (max / lines.len() as f32, max);
    for _ in 0..14 {
        let mid = (lo + hi) / 2.0;
        if wrap(font, text, size, mid).len() <= lines.len() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    wrap(font, text, size, hi)
}

/// Type sizes and spacing at one scale.
struct Metrics {
    scale: f32,
}

impl Metrics {
    fn size(&self, style: Style) -> f32 {
        let base = match style {
            Style::Nation => 12.5,
            Style::Motto => 12.5,
            Style::Heading => 16.0,
            Style::Subtitle => 11.0,
            Style::Title => 14.0,
            Style::Section => 10.5,
            Style::Row => 11.0,
            Style::Statement | Style::StatementEnglish => 9.5,
            Style::Lookup => 7.0,
        };
        base * self.scale
    }

    fn leading(&self, style: Style) -> f32 {
        self.size(style) * 1.32
    }

    /// Extra space before a block.
    fn space_before(&self, style: Style) -> f32 {
        let base = match style {
            Style::Nation | Style::Motto => 0.0,
            Style::Heading => 30.0,
            Style::Subtitle => 1.0,
            Style::Title => 20.0,
            Style::Section => 16.0,
            Style::Row => 3.5,
            Style::Statement => 0.0,
            Style::StatementEnglish => 5.0,
            Style::Lookup => 1.0,
        };
        base * self.scale
    }
}

/// The two fonts of the certificate, with their resource names.
pub(crate) struct Fonts<'a, 'f> {
    /// The regular face.
    pub regular: &'a mut UnicodeFont<'f>,
    /// Its resource name on the page.
    pub regular_name: &'a str,
    /// The bold face.
    pub bold: &'a mut UnicodeFont<'f>,
    /// Its resource name on the page.
    pub bold_name: &'a str,
}

/// Lays out the blocks on an A4 page at the largest scale at which they fit
/// above the QR seal; `None` if they do not fit even at the smallest.
pub(crate) fn layout(blocks: &[Block], fonts: &mut Fonts<'_, '_>, qr: Rect) -> Option<Content> {
    [1.0, 0.94, 0.88, 0.82, 0.76, 0.7, 0.64]
        .into_iter()
        .find(|&scale| place(blocks, fonts, &Metrics { scale }, qr, false).is_some())
        .and_then(|scale| place(blocks, fonts, &Metrics { scale }, qr, true))
}

/// One positioned piece of text.
struct Piece {
    bold: bool,
    size: f32,
    x: f32,
    y: f32,
    text: String,
}

/// Places every block; returns the content when `draw` (measuring alone does
/// not register characters with the fonts), `Some(empty)` when it fits and
/// `!draw`, `None` when it does not fit.
fn place(
    blocks: &[Block],
    fonts: &mut Fonts<'_, '_>,
    mt: &Metrics,
    qr: Rect,
    draw: bool,
) -> Option<Content> {
    // With the QR seal at the top left, the heading is centred in the column
    // to its right, the system and lookup lines go under it, and the rows
    // start below both.
    let top_left = qr.y > PAGE_HEIGHT / 2.0;
    let beside_x = qr.x + qr.width + 14.0;
    let beside_width = MARGIN_X + CONTENT_WIDTH - beside_x;
    let mut lookup_y = qr.y - 2.0;
    let mut c = Content::new();
    let mut rules: Vec<(f32, f32, f32, f32)> = Vec::new();
    let mut objects: Vec<(Vec<Piece>, f32)> = Vec::new(); // pieces, gray
    let value_x = MARGIN_X + LABEL_WIDTH + COLUMN_GAP;
    let value_width = CONTENT_WIDTH - LABEL_WIDTH - COLUMN_GAP;

    let (flow, statements): (Vec<&Block>, Vec<&Block>) = blocks
        .iter()
        .partition(|b| !matches!(b.style, Style::Statement | Style::StatementEnglish));

    // The statement column beside the QR seal, bottom-aligned with it (the
    // whole width when the seal is at the top).
    let statement_width = if top_left {
        CONTENT_WIDTH
    } else {
        QR_AREA.x - MARGIN_X - 18.0
    };
    let mut statement_lines: Vec<(Style, Vec<String>)> = Vec::new();
    let mut statement_height = 0.0;
    for b in &statements {
        let size = mt.size(b.style);
        let lines = wrap(fonts.regular, &b.text, size, statement_width);
        statement_height += mt.space_before(b.style) + lines.len() as f32 * mt.leading(b.style);
        statement_lines.push((b.style, lines));
    }
    let zone_top = if top_left {
        MARGIN_BOTTOM + statement_height
    } else {
        (QR_AREA.y + QR_AREA.height).max(MARGIN_BOTTOM + statement_height)
    };

    let mut y = PAGE_HEIGHT - MARGIN_TOP;
    for b in flow {
        let size = mt.size(b.style);
        let leading = mt.leading(b.style);
        if b.style == Style::Lookup {
            // Under the seal, in its width; the flow's `y` does not move.
            let mut pieces = Vec::new();
            lookup_y -= mt.space_before(b.style);
            for l in wrap(fonts.regular, &b.text, size, qr.width) {
                lookup_y -= leading;
                pieces.push(Piece {
                    bold: false,
                    size,
                    x: qr.x,
                    y: lookup_y + leading * 0.2,
                    text: l,
                });
            }
            objects.push((pieces, 0.0));
            continue;
        }
        if top_left && matches!(b.style, Style::Row | Style::Section) {
            y = y.min(lookup_y - 6.0);
        }
        let (center_x, center_width) = if top_left {
            (beside_x, beside_width)
        } else {
            (MARGIN_X, CONTENT_WIDTH)
        };
        y -= mt.space_before(b.style);
        let mut pieces = Vec::new();
        match b.style {
            Style::Row => {
                let label_size = size * 0.95;
                let label = b.label.clone().unwrap_or_default();
                let mut label_lines = wrap(fonts.bold, &label, label_size, LABEL_WIDTH);
                if !b.text.is_empty() {
                    if let Some(last) = label_lines.last_mut() {
                        last.push(' ');
                    }
                }
                let value_lines = if b.text.is_empty() {
                    Vec::new()
                } else {
                    wrap(fonts.regular, &b.text, size, value_width)
                };
                let top = y;
                for (i, l) in label_lines.iter().enumerate() {
                    pieces.push(Piece {
                        bold: true,
                        size: label_size,
                        x: MARGIN_X,
                        y: top - leading * (i as f32 + 0.8),
                        text: l.clone(),
                    });
                }
                for (i, l) in value_lines.iter().enumerate() {
                    pieces.push(Piece {
                        bold: false,
                        size,
                        x: value_x,
                        y: top - leading * (i as f32 + 0.8),
                        text: l.clone(),
                    });
                }
                y -= leading * label_lines.len().max(value_lines.len()) as f32;
            }
            Style::Section => {
                rules.push((MARGIN_X, y - 2.0, MARGIN_X + CONTENT_WIDTH, y - 2.0));
                y -= 4.0 * mt.scale;
                let lines = wrap(fonts.bold, &b.text, size, CONTENT_WIDTH);
                for l in lines {
                    y -= leading;
                    pieces.push(Piece {
                        bold: true,
                        size,
                        x: MARGIN_X,
                        y: y + leading * 0.2,
                        text: l,
                    });
                }
            }
            _ => {
                let bold = !matches!(b.style, Style::Subtitle);
                let font: &UnicodeFont<'_> = if bold { &*fonts.bold } else { &*fonts.regular };
                for l in wrap_balanced(font, &b.text, size, center_width) {
                    y -= leading;
                    let w = font.width(l.trim_end(), size);
                    let x = center_x + (center_width - w) / 2.0;
                    if b.style == Style::Motto {
                        rules.push((x, y - 4.0 * mt.scale, x + w, y - 4.0 * mt.scale));
                    }
                    pieces.push(Piece {
                        bold,
                        size,
                        x,
                        y: y + leading * 0.2,
                        text: l,
                    });
                }
                if b.style == Style::Title {
                    y -= 6.0 * mt.scale;
                }
            }
        }
        let gray = if b.style == Style::Subtitle {
            0.25
        } else {
            0.0
        };
        objects.push((pieces, gray));
    }
    if y < zone_top + 22.0 {
        return None;
    }
    if !draw {
        return Some(c);
    }

    // The statement column and the rule above the seal zone.
    let rule_y = zone_top + 12.0;
    rules.push((MARGIN_X, rule_y, MARGIN_X + CONTENT_WIDTH, rule_y));
    let mut sy = zone_top;
    for (style, lines) in statement_lines {
        sy -= mt.space_before(style);
        let size = mt.size(style);
        let leading = mt.leading(style);
        let mut pieces = Vec::new();
        for l in lines {
            sy -= leading;
            pieces.push(Piece {
                bold: false,
                size,
                x: MARGIN_X,
                y: sy + leading * 0.2,
                text: l,
            });
        }
        let gray = if style == Style::StatementEnglish {
            0.3
        } else {
            0.0
        };
        objects.push((pieces, gray));
    }

    // Rules and the reserved seal area.
    c.save();
    c.gray(0.55);
    c.line_width(0.6);
    for (x0, y0, x1, y1) in &rules {
        c.stroke_line(*x0, *y0, *x1, *y1);
    }
    c.gray(0.7);
    c.line_width(0.5);
    c.dash(&[3.0, 2.0]);
    c.stroke_rect(qr.x, qr.y, qr.width, qr.height);
    c.restore();

    // Text: one text object per block.
    for (pieces, gray) in objects {
        if pieces.is_empty() {
            continue;
        }
        c.begin_text();
        c.gray(gray);
        let mut current: Option<(bool, f32)> = None;
        for p in pieces {
            if current != Some((p.bold, p.size)) {
                let name = if p.bold {
                    fonts.bold_name
                } else {
                    fonts.regular_name
                };
                c.font(name, p.size);
                current = Some((p.bold, p.size));
            }
            c.text_at(p.x, p.y);
            let font: &mut UnicodeFont<'_> = if p.bold {
                &mut *fonts.bold
            } else {
                &mut *fonts.regular
            };
            c.show(font, &p.text);
        }
        c.end_text();
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_shown_the_way_people_write_them() {
        assert_eq!(
            display_value(Some(Form::Date), "d", &json!("2024-07-05")),
            "05/07/2024"
        );
        assert_eq!(
            display_value(Some(Form::Date), "d", &json!("2024-7-5")),
            "2024-7-5"
        );
        assert_eq!(display_value(Some(Form::Sex), "sex", &json!("male")), "Nam");
        assert_eq!(
            display_value(Some(Form::Sex), "sex", &json!("female")),
            "Nữ"
        );
        assert_eq!(
            display_value(Some(Form::Int), "capital_vnd", &json!(1_500_000_000u64)),
            "1.500.000.000 đồng"
        );
        assert_eq!(display_value(Some(Form::Int), "floors", &json!(3)), "3");
        assert_eq!(
            display_value(Some(Form::Int), "map_sheet", &json!("1234")),
            "1.234"
        );
        assert_eq!(
            display_value(Some(Form::Area), "area_m2", &json!(120.5)),
            "120,5 m²"
        );
        assert_eq!(
            display_value(Some(Form::Area), "area_m2", &json!(1500)),
            "1.500 m²"
        );
        assert_eq!(
            display_value(Some(Form::Area), "area_m2", &json!(2345.25)),
            "2.345,25 m²"
        );
        assert_eq!(
            display_value(Some(Form::Id12), "id", &json!("001050012345")),
            "001050012345"
        );
    }

    #[test]
    fn issue_time_is_shown_in_vietnam_time() {
        let at = |s: &str| IssuedAt::parse(s).unwrap();
        assert_eq!(
            issue_time(at("2024-07-05T20:30:00Z")),
            ("06/07/2024".to_string(), "03:30:00".to_string())
        );
        assert_eq!(
            crate::pdf::syntax::pdf_date(at("2024-07-05T20:30:00+07:00").unix_seconds()),
            "D:20240705133000Z"
        );
        // A time that is not RFC 3339 never reaches the page: the manifest
        // holding it does not read.
        assert_eq!(IssuedAt::parse("yesterday"), None);
    }

    #[test]
    fn text_is_cleaned_to_single_spaced_nfc() {
        assert_eq!(clean("  Ha\u{300}  No\u{302}\u{323}i\n"), "Hà Nội");
        assert_eq!(clean("a \t b"), "a b");
    }
}
