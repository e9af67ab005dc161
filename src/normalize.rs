//! The normalized forms of field values (the `x-form` of each field in `schemas/`).
//!
//! One function per form turns the raw text read after a label into the stored
//! JSON value, or says why it cannot. A value that does not normalize is a normal
//! outcome (the field goes to review), so the reasons are data, not failures.

use serde_json::Value;
use time::{Date, Month};
use unicode_normalization::UnicodeNormalization;

use crate::schema::Form;

/// Why a raw value does not have the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// Nothing was read after the label.
    #[error("the value is empty")]
    Empty,
    /// The text is not a date in any accepted notation.
    #[error("`{0}` is not a date (dd/mm/yyyy or `ngày .. tháng .. năm ..`)")]
    NotADate(String),
    /// The text has the shape of a date that does not exist.
    #[error("`{0}` is not a real calendar date")]
    ImpossibleDate(String),
    /// The text is not 12 digits.
    #[error("`{0}` is not a 12-digit personal id")]
    NotAnId(String),
    /// The text is neither `Nam` nor `Nữ`.
    #[error("`{0}` is not a sex (`Nam` or `Nữ`)")]
    NotASex(String),
    /// The text is not a whole number.
    #[error("`{0}` is not a whole number")]
    NotAnInteger(String),
    /// The text is not an area in square metres.
    #[error("`{0}` is not an area in m²")]
    NotAnArea(String),
    /// The text cannot be a person's or business's name.
    #[error("`{0}` is not a name")]
    NotAName(String),
}

/// The five tone marks of Vietnamese as combining characters (grave, acute,
/// tilde, hook above, dot below); the level tone has none.
pub const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// Whether a word carries a tone mark.
pub fn has_tone(word: &str) -> bool {
    word.nfd().any(|c| TONE_MARKS.contains(&c))
}

/// Folds text for matching: NFC-independent, diacritics removed (`Ư`→`U`,
/// `Đ`→`D`, tones stripped), upper case. Not for stored values.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if ('\u{0300}'..='\u{036f}').contains(&c) {
            continue;
        }
        match c {
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('D'),
            _ => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// The `text` form: Unicode NFC, trimmed, inner whitespace collapsed, and
/// scanner specks read as punctuation dropped (see [`drop_specks`]).
pub fn text(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(&drop_specks(&clean_text(raw)));
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(Value::String(s))
}

/// Marks that administrative text values never print; on a scan they are
/// specks of dust or toner read as punctuation.
const SPECKS: &[char] = &[
    '\'', '"', '“', '”', '‘', '’', '`', 'ˆ', '¬', '_', '|', '~', '†', '‡', '„', '*', '•', '·', '^',
    '¨', '´', '«', '»', '‚',
];

/// Removes what specks near the text turn into: the marks in [`SPECKS`]
/// (a space where they join two words), colons not between digits, and full
/// stops that neither end the value, nor sit between digits (`1.500`), nor
/// close an upper-case abbreviation (`TP.`, `P.`), nor end a sentence
/// (followed by a space and a capital).
pub fn drop_specks(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        let keep = match c {
            c if SPECKS.contains(&c) => false,
            ':' => digit(prev) && digit(next),
            '.' => {
                let word: String = chars[..i]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_alphanumeric())
                    .collect();
                let abbreviation = !word.is_empty()
                    && word.chars().count() <= 3
                    && word.chars().all(|c| c.is_uppercase());
                let sentence_end = prev.is_some_and(char::is_alphabetic)
                    && next == Some(' ')
                    && chars.get(i + 2).is_some_and(|c| c.is_uppercase());
                next.is_none() || (digit(prev) && digit(next)) || abbreviation || sentence_end
            }
            _ => true,
        };
        if keep {
            out.push(c);
        } else if prev.is_some_and(|c| !c.is_whitespace())
            && next.is_some_and(char::is_alphanumeric)
        {
            out.push(' ');
        }
    }
    out
}

/// NFC with whitespace collapsed to single spaces.
pub fn clean_text(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `name` form: text in upper case as printed, diacritics kept.
pub fn name(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(raw);
    let s = s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | ',' | ';' | ':' | '-' | '_')
    });
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    // After composition a mark left on its own (on a space) is OCR debris.
    let ok = s.chars().all(|c| {
        (c.is_alphabetic() && !('\u{300}'..='\u{36f}').contains(&c))
            || c == ' '
            || c == '-'
            || c == '\''
    });
    if !ok || s.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return Err(NormalizeError::NotAName(s.to_string()));
    }
    let upper: String = s.to_uppercase().nfc().collect();
    Ok(Value::String(upper))
}

/// The `date` form: ISO 8601 `YYYY-MM-DD` from `dd/mm/yyyy`, `dd-mm-yyyy`,
/// `dd.mm.yyyy` or `ngày 05 tháng 7 năm 2024`; impossible dates are refused.
pub fn date(raw: &str) -> Result<Value, NormalizeError> {
    Ok(Value::String(iso(parse_date(raw)?)))
}

/// A date as a record holds it: ISO 8601 `YYYY-MM-DD`.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses a printed date (see [`date`]).
pub fn parse_date(raw: &str) -> Result<Date, NormalizeError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let not_a_date = || NormalizeError::NotADate(s.clone());
    let f = fold(&s);
    let f = f.trim_end_matches(['.', ',', ';']);
    let (d, m, y) = if f.contains("THANG") || f.contains("NAM ") || f.starts_with("NGAY") {
        words_date(f).ok_or_else(not_a_date)?
    } else {
        numeric_date(f).ok_or_else(not_a_date)?
    };
    if !(1900..=2100).contains(&y) {
        return Err(NormalizeError::ImpossibleDate(s));
    }
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| NormalizeError::ImpossibleDate(s.clone()))?;
    let day = u8::try_from(d).map_err(|_| NormalizeError::ImpossibleDate(s.clone()))?;
    Date::from_calendar_date(y as i32, month, day)
        .map_err(|_| NormalizeError::ImpossibleDate(s.clone()))
}

/// `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, spaces around separators tolerated.
fn numeric_date(f: &str) -> Option<(u32, u32, u32)> {
    let compact: String = f.chars().filter(|c| !c.is_whitespace()).collect();
    let sep = compact.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = compact.split(sep).collect();
    if parts.len() != 3 {
        return None;
    }
    let lens = [(1, 2), (1, 2), (4, 4)];
    let mut nums = [0u32; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.len() < lens[i].0 || p.len() > lens[i].1 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    Some((nums[0], nums[1], nums[2]))
}

/// `ngày 05 tháng 7 năm 2024`, folded; the keywords may touch the numbers.
fn words_date(f: &str) -> Option<(u32, u32, u32)> {
    let spaced = f
        .replace("NGAY", " NGAY ")
        .replace("THANG", " THANG ")
        .replace("NAM", " NAM ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let expect = ["NGAY", "", "THANG", "", "NAM", ""];
    let toks: &[&str] = if toks.first() == Some(&"NGAY") {
        &toks
    } else {
        // `05 tháng 7 năm 2024` without the leading `ngày`.
        return words_date(&format!("NGAY {f}"));
    };
    if toks.len() != expect.len() {
        return None;
    }
    let mut nums = Vec::with_capacity(3);
    for (t, e) in toks.iter().zip(expect) {
        if e.is_empty() {
            if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nums.push(t.parse::<u32>().ok()?);
        } else if *t != e {
            return None;
        }
    }
    if toks[1].len() > 2 || toks[3].len() > 2 || toks[5].len() != 4 {
        return None;
    }
    Some((nums[0], nums[1], nums[2]))
}

/// The `id12` form: spaces and dots dropped, exactly 12 digits.
pub fn id12(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Value::String(digits))
    } else {
        Err(NormalizeError::NotAnId(s))
    }
}

/// The `sex` form: `Nam` → `male`, `Nữ` → `female`.
pub fn sex(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let f = fold(s.trim_matches(|c: char| !c.is_alphanumeric()));
    match f.as_str() {
        "NAM" => Ok(Value::String("male".into())),
        "NU" => Ok(Value::String("female".into())),
        _ => Err(NormalizeError::NotASex(s)),
    }
}

/// The `int` form: digits only; `.` thousands separators and units (`đồng`,
/// `VNĐ`) dropped.
pub fn int(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let bad = || NormalizeError::NotAnInteger(s.clone());
    let f = fold(&s);
    let f = strip_suffixes(f.trim_end_matches(['.', ',', ';']), &["DONG", "VND", "D"]);
    let n = grouped_digits(f, '.').ok_or_else(bad)?;
    let v: u64 = n.parse().map_err(|_| bad())?;
    Ok(Value::from(v))
}

/// The `area` form: square metres as a number; `,` is the decimal mark.
pub fn area(raw: &str) -> Result<Value, NormalizeError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let bad = || NormalizeError::NotAnArea(s.clone());
    let f = fold(&s);
    let f = f.trim_end_matches(['.', ';']);
    let f = strip_suffixes(f, &["M²", "M2", "M 2", "M"]);
    let (int_part, frac) = match f.split_once(',') {
        Some((i, d)) => (i.trim(), Some(d.trim())),
        None => (f, None),
    };
    let int_digits = grouped_digits(int_part, '.').ok_or_else(bad)?;
    let mut num = int_digits;
    if let Some(d) = frac {
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        num.push('.');
        num.push_str(d);
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    if !v.is_finite() || v <= 0.0 {
        return Err(bad());
    }
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(bad)
}

/// Removes the first matching unit suffix (folded) and trailing spaces.
fn strip_suffixes<'a>(f: &'a str, units: &[&str]) -> &'a str {
    let t = f.trim_end();
    for u in units {
        if let Some(rest) = t.strip_suffix(u) {
            // A bare letter unit must stand apart from the number.
            if u.len() == 1 && !rest.ends_with(' ') {
                continue;
            }
            return rest.trim_end();
        }
    }
    t
}

/// Digits, optionally in groups of three split by `sep` or spaces; `None` if
/// anything else is there or the grouping is wrong.
fn grouped_digits(s: &str, sep: char) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let groups: Vec<&str> = s.split([sep, ' ']).collect();
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if i == 0 && groups.len() > 1 && g.len() > 3 {
            return None;
        }
        if i > 0 && g.len() != 3 {
            return None;
        }
    }
    Some(groups.concat())
}

/// Normalizes a raw value to the given form.
pub fn by_form(form: Form, raw: &str) -> Result<Value, NormalizeError> {
    match form {
        Form::Text => text(raw),
        Form::Name => name(raw),
        Form::Date => date(raw),
        Form::Id12 => id12(raw),
        Form::Sex => sex(raw),
        Form::Int => int(raw),
        Form::Area => area(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fold_strips_diacritics_and_upper_cases() {
        assert_eq!(fold("Họ, chữ đệm, tên:"), "HO, CHU DEM, TEN:");
        assert_eq!(fold("ĐƯỜNG Ưu"), "DUONG UU");
        assert_eq!(fold("Nguyễn"), fold("NGUYÊN"));
    }

    #[test]
    fn specks_read_as_punctuation_are_dropped() {
        for (raw, want) in [
            ("quận.Ninh Kiều", "quận Ninh Kiều"),
            ("Bệnh. viện Sản Nhi", "Bệnh viện Sản Nhi"),
            ("thành phố: Cần Thơ", "thành phố Cần Thơ"),
            ("Thôn'Na Hối, “huyện Bắc Hà", "Thôn Na Hối, huyện Bắc Hà"),
            ("quần áo,.giày dép", "quần áo, giày dép"),
            ("ˆ Lương Trọng Hưng", "Lương Trọng Hưng"),
            ("Thôn.4, xã Hòa An", "Thôn 4, xã Hòa An"),
            // What is printed stays.
            ("quận 1, TP. Hồ Chí Minh", "quận 1, TP. Hồ Chí Minh"),
            ("150.000.000 đồng", "150.000.000 đồng"),
            (
                "Đã chuyển đi. Không kinh doanh nữa.",
                "Đã chuyển đi. Không kinh doanh nữa.",
            ),
            ("Khu phố 2, P. Tân Định", "Khu phố 2, P. Tân Định"),
        ] {
            assert_eq!(text(raw).ok(), Some(json!(want)), "{raw}");
        }
    }

    #[test]
    fn text_collapses_whitespace_and_composes() {
        assert_eq!(text("  Hà  Nội "), Ok(json!("Hà Nội")));
        assert_eq!(text("Ha\u{300}"), Ok(json!("Hà")));
        assert_eq!(text("   "), Err(NormalizeError::Empty));
    }

    #[test]
    fn names_are_upper_cased_with_diacritics() {
        assert_eq!(name("Nguyễn  Văn An"), Ok(json!("NGUYỄN VĂN AN")));
        assert_eq!(name("đặng thị ưng."), Ok(json!("ĐẶNG THỊ ƯNG")));
        assert!(name("NGUYEN 1").is_err());
        assert!(name("TRANG \u{301}").is_err());
        assert_eq!(name("BÙI MINH TRÍ -"), Ok(json!("BÙI MINH TRÍ")));
        assert!(name("").is_err());
    }

    #[test]
    fn dates_in_every_notation() {
        for raw in [
            "05/07/2024",
            "05-07-2024",
            "05.07.2024",
            "5/7/2024",
            "05 / 07 / 2024",
            "ngày 05 tháng 7 năm 2024",
            "Ngày 5 tháng 07 năm 2024",
            "ngày05 tháng7 năm2024",
            "ngay 05 thang 7 nam 2024",
            "05 tháng 7 năm 2024",
        ] {
            assert_eq!(date(raw), Ok(json!("2024-07-05")), "{raw}");
        }
    }

    #[test]
    fn impossible_or_garbled_dates_are_refused() {
        assert!(matches!(
            date("30/02/2024"),
            Err(NormalizeError::ImpossibleDate(_))
        ));
        assert!(matches!(
            date("31/04/2023"),
            Err(NormalizeError::ImpossibleDate(_))
        ));
        assert_eq!(date("29/02/2024"), Ok(json!("2024-02-29")));
        assert!(date("29/02/2023").is_err());
        assert!(date("05/07/202Z").is_err());
        assert!(date("05/07/24").is_err());
        assert!(date("05/13/2024").is_err());
        assert!(date("05/07/2024 abc").is_err());
        assert!(date("ngày 05 tháng năm 2024").is_err());
    }

    #[test]
    fn ids_are_exactly_twelve_digits() {
        assert_eq!(id12("001 050 012 345"), Ok(json!("001050012345")));
        assert_eq!(id12("001.050.012.345"), Ok(json!("001050012345")));
        assert!(id12("00105001234").is_err());
        assert!(id12("0010500123456").is_err());
        assert!(id12("0O1050012345").is_err());
    }

    #[test]
    fn sex_maps_to_english_words() {
        assert_eq!(sex("Nam"), Ok(json!("male")));
        assert_eq!(sex("Nữ"), Ok(json!("female")));
        assert_eq!(sex("NỮ."), Ok(json!("female")));
        assert!(sex("Nan").is_err());
    }

    #[test]
    fn integers_drop_separators_and_units() {
        assert_eq!(int("1.500.000.000"), Ok(json!(1500000000u64)));
        assert_eq!(int("1.500.000.000 đồng"), Ok(json!(1500000000u64)));
        assert_eq!(int("200.000.000 VNĐ"), Ok(json!(200000000u64)));
        assert_eq!(int("125"), Ok(json!(125)));
        assert!(int("1.50").is_err());
        assert!(int("12a").is_err());
        assert!(int("12,5").is_err());
    }

    #[test]
    fn areas_use_the_comma_decimal_mark() {
        assert_eq!(area("120,5 m²"), Ok(json!(120.5)));
        assert_eq!(area("120,5 m2"), Ok(json!(120.5)));
        assert_eq!(area("85 m2"), Ok(json!(85.0)));
        assert_eq!(area("1.250,75m²"), Ok(json!(1250.75)));
        assert_eq!(area("96"), Ok(json!(96.0)));
        assert!(area("120.5 m²").is_err());
        assert!(area("abc m²").is_err());
        assert!(area("0 m²").is_err());
    }
}
