//! Vietnam's conventions for an electronic result: the dossier code (mã hồ
//! sơ) and procedure code (mã thủ tục) a submission belongs to, their
//! validation (one validator for the command line, a batch's CSV and the
//! service's upload), and the result code (mã kết quả) `<dossier code>-KQ<n>`.
//!
//! A dossier code follows Circular 01/2018/TT-VPCP as the National Public
//! Service Portal writes it: the receiving agency's identifier (QCVN
//! 102:2016/BTTTT: up to four dot-separated levels, the top level a letter and
//! two digits, e.g. `H29`, the others two or three digits), the reception date
//! `yymmdd` and the dossier's number that day, e.g. `000.00.12.H29-250701-0001`.
//! A procedure code is the national procedure database's `1.004227` or
//! `2.000908`, optionally followed by the agency identifier a province's portal
//! appends (`1.004227.000.00.00.H29`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Manifest;
use crate::qrseal::QrConventions;
use crate::schema::{DocType, Form};

/// The longest dossier code accepted, in characters.
pub const MAX_DOSSIER_CODE: usize = 40;
/// The longest procedure code accepted, in characters.
pub const MAX_PROCEDURE_CODE: usize = 32;
/// The largest result number a dossier may reach (so a result code has a bounded length).
pub const MAX_RESULT_NUMBER: u32 = 9_999;

/// Why a code was refused; the message names the code and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not a dossier code.
    #[error("`{code}` is not a dossier code: {reason} (expected agency-yymmdd-number, e.g. 000.00.12.H29-250701-0001)")]
    Dossier {
        /// The code as given.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not a procedure code.
    #[error("`{code}` is not a procedure code: {reason} (expected e.g. 1.004227 or 2.000908)")]
    Procedure {
        /// The code as given.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A valid dossier code, upper-cased and trimmed.
pub fn dossier_code(input: &str) -> Result<String, CodeError> {
    let code = input.trim().to_ascii_uppercase();
    let bad = |reason: &str| CodeError::Dossier {
        code: input.trim().to_string(),
        reason: reason.to_string(),
    };
    if code.is_empty() {
        return Err(bad("it is empty"));
    }
    if code.chars().count() > MAX_DOSSIER_CODE {
        return Err(bad(&format!(
            "it is longer than {MAX_DOSSIER_CODE} characters"
        )));
    }
    let parts: Vec<&str> = code.split('-').collect();
    let [agency_part, date, number] = parts.as_slice() else {
        return Err(bad("it needs three parts separated by `-`"));
    };
    agency(agency_part).map_err(|r| bad(&r))?;
    if date.len() != 6 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(&format!("`{date}` is not a date yymmdd")));
    }
    let month: u32 = date[2..4].parse().unwrap_or(0);
    let day: u32 = date[4..6].parse().unwrap_or(0);
    let year: i32 = 2000 + date[0..2].parse::<i32>().unwrap_or(0);
    let days = time::Month::try_from(month as u8)
        .map(|m| m.length(year))
        .unwrap_or(0);
    if day == 0 || u32::from(days) < day {
        return Err(bad(&format!("`{date}` is not a date yymmdd")));
    }
    if !(3..=6).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(&format!(
            "`{number}` is not the dossier's number (3 to 6 digits)"
        )));
    }
    if number.bytes().all(|b| b == b'0') {
        return Err(bad("the dossier's number is 0"));
    }
    Ok(code)
}

/// An agency identifier: 1–4 dot-separated levels, each two or three digits or
/// a letter and two digits, with at least one lettered level.
fn agency(s: &str) -> Result<(), String> {
    let levels: Vec<&str> = s.split('.').collect();
    if levels.len() > 4 {
        return Err(format!("the agency `{s}` has more than four levels"));
    }
    let mut lettered = false;
    for level in &levels {
        let b = level.as_bytes();
        let digits = (2..=3).contains(&b.len()) && b.iter().all(u8::is_ascii_digit);
        let letter =
            b.len() == 3 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
        if !digits && !letter {
            return Err(format!(
                "the agency `{s}` has a level `{level}` that is neither 2–3 digits nor a letter and 2 digits"
            ));
        }
        lettered |= letter;
    }
    if !lettered {
        return Err(format!(
            "the agency `{s}` has no level such as H29 (a letter and two digits)"
        ));
    }
    Ok(())
}

/// A valid procedure code, upper-cased and trimmed.
pub fn procedure_code(input: &str) -> Result<String, CodeError> {
    let code = input.trim().to_ascii_uppercase();
    let bad = |reason: &str| CodeError::Procedure {
        code: input.trim().to_string(),
        reason: reason.to_string(),
    };
    if code.is_empty() {
        return Err(bad("it is empty"));
    }
    if code.chars().count() > MAX_PROCEDURE_CODE {
        return Err(bad(&format!(
            "it is longer than {MAX_PROCEDURE_CODE} characters"
        )));
    }
    let b = code.as_bytes();
    let core_ok = b.len() >= 8
        && matches!(b[0], b'1'..=b'3')
        && b[1] == b'.'
        && b[2..8].iter().all(u8::is_ascii_digit);
    if !core_ok {
        return Err(bad(
            "it does not start with a level digit 1–3, a dot and six digits",
        ));
    }
    match &code[8..] {
        "" => Ok(code),
        rest => match rest.strip_prefix('.') {
            Some(a) => agency(a).map(|()| code.clone()).map_err(|r| bad(&r)),
            None => Err(bad("six digits must follow the dot")),
        },
    }
}

/// The result code of the `n`th result of a dossier: `<dossier code>-KQ<n>`.
pub fn result_code(dossier_code: &str, n: u32) -> String {
    format!("{dossier_code}-KQ{n}")
}

/// A document's place in its dossier, assigned once before it is rendered
/// and recorded in its manifest (`dossier`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierResult {
    /// The dossier code.
    pub dossier_code: String,
    /// The procedure code, when the clerk gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure_code: Option<String>,
    /// The result code, `<dossier code>-KQ<n>`.
    pub result_code: String,
}

/// The most characters of a validity or scope value the QR seal carries (a
/// longer value is cut, with `…`; the PDF and the online lookup hold it whole).
pub const QR_VALUE_CHARS: usize = 60;
/// The most characters of the office's name in the QR seal's issuing system.
pub const QR_OFFICE_CHARS: usize = 100;
/// The issuing system's name before the office's.
pub const SYSTEM_NAME: &str = "docseal";

/// The fields of a document type that state its validity and its scope.
fn validity_and_scope(t: DocType) -> (Option<&'static str>, Option<&'static str>) {
    match t {
        DocType::CitizenId => (Some("expiry_date"), None),
        DocType::LandUseCertificate => (Some("land_use_term"), Some("land_use_purpose")),
        DocType::BusinessHouseholdRegistration => (None, Some("business_lines")),
        _ => (None, None),
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// What the QR seal of a manifest carries for Vietnam's conventions, derived
/// only from the manifest (so `verify` can check it).
pub fn qr_conventions(m: &Manifest) -> QrConventions {
    let doc_type = m.record.doc_type.or_else(|| m.doc_type.parse().ok());
    let text = |name: &str| m.record.fields.get(name).and_then(Value::as_str);
    let holder_id = doc_type.and_then(|t| {
        t.schema()
            .fields
            .iter()
            .filter(|f| f.form == Form::Id12)
            .find_map(|f| text(&f.name))
            .map(str::to_string)
    });
    let (validity, scope) = doc_type.map_or((None, None), validity_and_scope);
    let value = |f: Option<&str>| f.and_then(text).map(|v| cut(v, QR_VALUE_CHARS));
    let d = m.dossier.as_ref();
    QrConventions {
        dossier_code: d.map(|d| d.dossier_code.clone()),
        procedure_code: d.and_then(|d| d.procedure_code.clone()),
        result_code: d.map(|d| d.result_code.clone()),
        holder_id,
        title: crate::render::document_title(m),
        system: format!("{SYSTEM_NAME} · {}", cut(&m.issuer.office, QR_OFFICE_CHARS)),
        valid_until: value(validity),
        scope: value(scope),
    }
}

/// One line of a batch's CSV (`file,dossier_code,procedure_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLine {
    /// The `file` column: a path as given or a file name.
    pub file: String,
    /// The dossier code, validated.
    pub dossier_code: Option<String>,
    /// The procedure code, validated.
    pub procedure_code: Option<String>,
}

/// Reads a batch's CSV (`name` names it in errors): a header line with the
/// columns `file`, `dossier_code`, `procedure_code` (in any order; the codes
/// may be empty), then one line per scan. Every code is validated; an error
/// names the file, the line and the column.
pub fn parse_csv(name: &str, text: &str) -> Result<Vec<CsvLine>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(format!(
            "{name}: empty; expected a header file,dossier_code,procedure_code"
        ));
    };
    let header: Vec<String> = split_csv(header.trim_start_matches('\u{feff}'))
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |c: &str| header.iter().position(|h| h == c);
    let file_col = col("file").ok_or_else(|| format!("{name}: line 1 has no `file` column"))?;
    let (dossier_col, procedure_col) = (col("dossier_code"), col("procedure_code"));
    if dossier_col.is_none() && procedure_col.is_none() {
        return Err(format!(
            "{name}: line 1 has neither a `dossier_code` nor a `procedure_code` column"
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let cells = split_csv(line);
        if cells.len() != header.len() {
            return Err(format!(
                "{name}: line {n} has {} columns, the header {}",
                cells.len(),
                header.len()
            ));
        }
        let cell = |c: Option<usize>| {
            c.map(|c| cells[c].trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let file = cells[file_col].trim().to_string();
        if file.is_empty() {
            return Err(format!("{name}: line {n}: the `file` column is empty"));
        }
        let dossier_code = cell(dossier_col)
            .map(|c| dossier_code(&c))
            .transpose()
            .map_err(|e| format!("{name}: line {n} ({file}), column dossier_code: {e}"))?;
        let procedure_code = cell(procedure_col)
            .map(|c| procedure_code(&c))
            .transpose()
            .map_err(|e| format!("{name}: line {n} ({file}), column procedure_code: {e}"))?;
        out.push(CsvLine {
            file,
            dossier_code,
            procedure_code,
        });
    }
    Ok(out)
}

/// Splits one CSV line at commas, with `"` quoting (and `""` for a quote).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(s) = cells.last_mut() {
                    s.push('"');
                }
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => {
                if let Some(s) = cells.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dossier_codes_pass_and_typos_are_caught() {
        for ok in [
            "000.00.12.H29-250701-0001",
            "000.45.33.H56-240315-0012",
            "h29.22-250101-00001",
            "000.00.00.G01-231231-123456",
            " 000.00.12.H29-240229-0001 ",
        ] {
            assert!(dossier_code(ok).is_ok(), "{ok}: {:?}", dossier_code(ok));
        }
        assert_eq!(
            dossier_code("000.00.12.h29-250701-0001").unwrap(),
            "000.00.12.H29-250701-0001"
        );
        for bad in [
            "",
            "000.00.12.H29-250701",
            "000.00.12.H29-250732-0001",
            "000.00.12.H29-251301-0001",
            "000.00.12.H29-250229-0001",
            "000.00.12.29-250701-0001",
            "000.00.12.HH9-250701-0001",
            "000.00.12.H29-250701-0000",
            "000.00.12.H29-250701-01",
            "000.00.12.H29–250701–0001",
            "000.00.12.H29 250701 0001",
            "0000.00.12.H29-250701-0001",
        ] {
            let e = dossier_code(bad).unwrap_err();
            assert!(e.to_string().contains("not a dossier code"), "{bad}: {e}");
        }
    }

    #[test]
    fn procedure_codes() {
        for ok in ["1.004227", "2.000908", "3.000156", "1.004227.000.00.00.H29"] {
            assert!(procedure_code(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1004227",
            "1.00422",
            "4.004227",
            "1.004227x",
            "1.0042277",
            "1,004227",
        ] {
            assert!(procedure_code(bad).is_err(), "{bad}");
        }
        assert_eq!(
            result_code("000.00.12.H29-250701-0001", 2),
            "000.00.12.H29-250701-0001-KQ2"
        );
    }

    #[test]
    fn a_batch_csv_is_read_and_a_bad_code_named() {
        let csv = "file,dossier_code,procedure_code\n\
                   a.png,000.00.12.H29-250701-0001,1.004227\n\
                   \"b, c.png\",000.00.12.H29-250701-0002,\n";
        let lines = parse_csv("meta.csv", csv).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].file, "b, c.png");
        assert_eq!(lines[1].procedure_code, None);
        let err = parse_csv(
            "meta.csv",
            "file,dossier_code\nscan.png,000.00.12.H29-259901-0001\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with("meta.csv: line 2 (scan.png), column dossier_code: `000.00.12.H29-259901-0001` is not a dossier code"),
            "{err}"
        );
    }
}
