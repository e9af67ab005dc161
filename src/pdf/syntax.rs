//! Small pieces of PDF syntax shared by the readers and the writers: dates,
//! text strings, ToUnicode CMaps, and the bound on what one stream may
//! inflate to.

use std::collections::HashMap;

use lopdf::{Object, StringFormat};

/// The most bytes one stream may inflate to while reading a PDF.
pub const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// A PDF date, `D:YYYYMMDDHHmmSSZ`, in UTC.
pub fn pdf_date(unix_seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses a PDF date (`D:YYYYMMDDHHmmSS` with `Z`, `+HH'mm'` or `-HH'mm'`)
/// into Unix seconds.
pub fn parse_pdf_date(bytes: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(bytes).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = num(0..4)?;
    let field = |r: std::ops::Range<usize>, default: i64| -> Option<i64> {
        if s.len() < r.end {
            Some(default)
        } else {
            num(r)
        }
    };
    let month = field(4..6, 1)?;
    let day = field(6..8, 1)?;
    let hour = field(8..10, 0)?;
    let minute = field(10..12, 0)?;
    let second = field(12..14, 0)?;
    let offset = match s.get(14..15) {
        None | Some("Z") => 0,
        Some(sign @ ("+" | "-")) => {
            let oh = num(15..17)?;
            let om = s
                .get(18..20)
                .and_then(|m| m.parse::<i64>().ok())
                .unwrap_or(0);
            let total = oh * 3600 + om * 60;
            if sign == "+" {
                total
            } else {
                -total
            }
        }
        Some(_) => return None,
    };
    let date = time::Date::from_calendar_date(
        i32::try_from(year).ok()?,
        time::Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp() - offset)
}

/// A PDF text string: a literal when ASCII, else UTF-16BE with a byte order
/// mark (written as hexadecimal digits).
pub fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// A string object as bytes to write by hand (the signature's incremental
/// update): a literal with every `(`, `)` and `\` escaped and CR/LF as `\r`/
/// `\n`, or upper-case hexadecimal digits. Any other object is written by
/// `lopdf`.
pub fn string_token(string: &Object) -> Vec<u8> {
    match string {
        Object::String(bytes, StringFormat::Literal) => literal(bytes),
        Object::String(bytes, StringFormat::Hexadecimal) => {
            let mut hex = String::with_capacity(bytes.len() * 2 + 2);
            hex.push('<');
            for b in bytes {
                hex.push_str(&format!("{b:02X}"));
            }
            hex.push('>');
            hex.into_bytes()
        }
        other => {
            let mut out = Vec::new();
            // Writing into a Vec cannot fail.
            let _ = lopdf::Writer::write_object(&mut out, other);
            out
        }
    }
}

/// A literal string with PDF escapes.
pub fn literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'('];
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
    out
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or bytes as Latin-1).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// One token of a CMap.
#[derive(Debug, PartialEq)]
enum Token {
    Hex(Vec<u8>),
    Open,
    Close,
    Word(String),
}

fn tokenize(cmap: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < cmap.len() {
        let c = cmap[i];
        match c {
            b'<' if cmap.get(i + 1) != Some(&b'<') => {
                let end = cmap[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(cmap.len(), |p| i + p);
                let digits: Vec<u8> = cmap[i + 1..end]
                    .iter()
                    .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
                    .collect();
                let bytes = digits
                    .chunks(2)
                    .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
                    .collect();
                tokens.push(Token::Hex(bytes));
                i = end + 1;
            }
            b'[' => {
                tokens.push(Token::Open);
                i += 1;
            }
            b']' => {
                tokens.push(Token::Close);
                i += 1;
            }
            b'%' => {
                while i < cmap.len() && cmap[i] != b'\n' && cmap[i] != b'\r' {
                    i += 1;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < cmap.len()
                    && !cmap[i].is_ascii_whitespace()
                    && !b"<>[]%".contains(&cmap[i])
                {
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                tokens.push(Token::Word(
                    String::from_utf8_lossy(&cmap[start..i]).into_owned(),
                ));
            }
        }
    }
    tokens
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn utf16be(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The `bfchar` and `bfrange` entries of a ToUnicode CMap.
pub fn parse_to_unicode(cmap: &[u8]) -> HashMap<u32, String> {
    /// The most codes one `bfrange` entry may expand to.
    const MAX_RANGE: u32 = 0x1_0000;
    let tokens = tokenize(cmap);
    let mut map = HashMap::new();
    let mut i = 0;
    let mut mode = "";
    while i < tokens.len() {
        match &tokens[i] {
            Token::Word(w) if w == "beginbfchar" || w == "beginbfrange" => {
                mode = if w == "beginbfchar" { "char" } else { "range" };
                i += 1;
            }
            Token::Word(w) if w == "endbfchar" || w == "endbfrange" => {
                mode = "";
                i += 1;
            }
            Token::Hex(src) if mode == "char" => {
                if let Some(Token::Hex(dst)) = tokens.get(i + 1) {
                    map.insert(code_of(src), utf16be(dst));
                }
                i += 2;
            }
            Token::Hex(lo) if mode == "range" => {
                let (lo, hi) = match tokens.get(i + 1) {
                    Some(Token::Hex(hi)) => (code_of(lo), code_of(hi)),
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                let hi = hi.min(lo.saturating_add(MAX_RANGE));
                match tokens.get(i + 2) {
                    Some(Token::Hex(dst)) => {
                        let mut units: Vec<u16> = dst
                            .chunks(2)
                            .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
                            .collect();
                        for code in lo..=hi {
                            map.insert(code, String::from_utf16_lossy(&units));
                            if let Some(last) = units.last_mut() {
                                *last = last.wrapping_add(1);
                            }
                        }
                        i += 3;
                    }
                    Some(Token::Open) => {
                        let mut j = i + 3;
                        let mut code = lo;
                        while let Some(Token::Hex(dst)) = tokens.get(j) {
                            if code <= hi {
                                map.insert(code, utf16be(dst));
                            }
                            code = code.saturating_add(1);
                            j += 1;
                        }
                        i = j + 1;
                    }
                    _ => i += 2,
                }
            }
            _ => i += 1,
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    const T2024: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
    const SIGNED_AT: i64 = 1_720_171_800; // 2024-07-05T09:30:00Z

    #[test]
    fn pdf_dates_round_trip() {
        assert_eq!(pdf_date(SIGNED_AT), "D:20240705093000Z");
        assert_eq!(parse_pdf_date(b"D:20240705093000Z"), Some(SIGNED_AT));
        assert_eq!(parse_pdf_date(b"D:20240705163000+07'00'"), Some(SIGNED_AT));
        assert_eq!(parse_pdf_date(b"D:2024"), Some(T2024));
        assert_eq!(parse_pdf_date(b"D:20241305"), None);
        assert_eq!(decode_text(&[0xFE, 0xFF, 0x1E, 0xBF]), "ế");
        assert_eq!(
            string_token(&text_string("Bến")),
            b"<FEFF00421EBF006E>".to_vec()
        );
    }

    #[test]
    fn the_issue_time_is_the_document_date_in_utc() {
        let issued = crate::model::parse_rfc3339("2024-07-05T20:30:00+07:00");
        assert_eq!(issued.map(pdf_date).as_deref(), Some("D:20240705133000Z"));
    }

    #[test]
    fn text_strings_are_literal_when_ascii() {
        assert_eq!(
            text_string("a(b)"),
            Object::String(b"a(b)".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            string_token(&text_string("a(b)\n")),
            b"(a\\(b\\)\\n)".to_vec()
        );
    }

    #[test]
    fn parses_bfchar_and_both_bfrange_forms() {
        let cmap = b"/CIDInit /ProcSet findresource begin\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar\n<0001> <1EE8>\n<0002> <D835DC00>\nendbfchar\n\
            2 beginbfrange\n<0010> <0012> <0041>\n<0020> <0021> [<0111> <01B0>]\nendbfrange\n";
        let map = parse_to_unicode(cmap);
        assert_eq!(map[&1], "Ứ");
        assert_eq!(map[&2], "\u{1D400}");
        assert_eq!(map[&0x10], "A");
        assert_eq!(map[&0x12], "C");
        assert_eq!(map[&0x20], "đ");
        assert_eq!(map[&0x21], "ư");
        assert_eq!(map.len(), 7);
    }
}
