//! Held records put to use outside the office: one export line per record
//! (NDJSON or CSV), the records that concern a citizen (the fields of a
//! record that carry a 12-digit personal id), and prefill: a held record's
//! fields mapped onto another procedure's application form by a committed
//! mapping per form (`schemas/prefill/FORM.json`). Plain functions over
//! [`HeldRecord`]s: no I/O.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::queue::HeldRecord;
use crate::schema::{DocType, Form};

/// The committed prefill mappings, one per form.
const MAPPINGS: [(&str, &str); 5] = [
    (
        "certified_copy",
        include_str!("../schemas/prefill/certified_copy.json"),
    ),
    (
        "business_household_registration",
        include_str!("../schemas/prefill/business_household_registration.json"),
    ),
    (
        "business_household_termination",
        include_str!("../schemas/prefill/business_household_termination.json"),
    ),
    (
        "death_registration",
        include_str!("../schemas/prefill/death_registration.json"),
    ),
    (
        "land_use_certificate",
        include_str!("../schemas/prefill/land_use_certificate.json"),
    ),
];

/// Errors of the committed mappings.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReuseError {
    /// A mapping file is not what it should be.
    #[error("schemas/prefill/{form}.json: {reason}")]
    Mapping {
        /// The form.
        form: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where one target field's value may come from: a field of a held record
/// of `doc_type` in which the citizen's id is the value of `match`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The record's document type.
    pub doc_type: String,
    /// The record's field that must carry the citizen's personal id.
    #[serde(rename = "match")]
    pub match_field: String,
    /// The record's field whose value fills the target field.
    pub field: String,
}

/// One field of a target form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetField {
    /// Its name in the form.
    pub name: String,
    /// Its label on the form.
    pub label: String,
    /// Its sources, the first that has a value winning.
    pub from: Vec<Source>,
}

/// A target form and how its fields are filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormMapping {
    /// The form's name, as `/v1/prefill?form=` takes it.
    pub form: String,
    /// Its title.
    pub title: String,
    /// The procedure it is the application of (`schemas/procedures.toml`).
    pub procedure: String,
    /// Its fields, in the form's order.
    pub fields: Vec<TargetField>,
}

fn check_mapping(name: &str, text: &str) -> Result<FormMapping, ReuseError> {
    let bad = |reason: String| ReuseError::Mapping {
        form: name.to_string(),
        reason,
    };
    let m: FormMapping = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if m.form != name {
        return Err(bad(format!("names the form `{}`", m.form)));
    }
    for t in &m.fields {
        for s in &t.from {
            let doc_type: DocType = s
                .doc_type
                .parse()
                .map_err(|_| bad(format!("{}: unknown type `{}`", t.name, s.doc_type)))?;
            let schema = doc_type.schema();
            let id = schema.field(&s.match_field).map(|f| f.form);
            if id != Some(Form::Id12) {
                return Err(bad(format!(
                    "{}: {}.{} is not a personal id field",
                    t.name, s.doc_type, s.match_field
                )));
            }
            if schema.field(&s.field).is_none() {
                return Err(bad(format!(
                    "{}: {} has no field `{}`",
                    t.name, s.doc_type, s.field
                )));
            }
        }
    }
    Ok(m)
}

/// The committed mappings, read and checked against the schemas once.
pub fn mappings() -> Result<&'static [FormMapping], ReuseError> {
    static ALL: OnceLock<Result<Vec<FormMapping>, ReuseError>> = OnceLock::new();
    ALL.get_or_init(|| {
        MAPPINGS
            .iter()
            .map(|(name, text)| check_mapping(name, text))
            .collect()
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// Whether `s` is a personal id: exactly 12 ASCII digits.
pub fn valid_personal_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A held record that concerns a citizen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRecord {
    /// The document issued from it.
    pub document_id: String,
    /// Its document type.
    pub doc_type: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// Who approved it, when a person did.
    pub approved_by: Option<String>,
    /// The fields that carry the citizen's personal id.
    pub matched: Vec<String>,
    /// The record's fields.
    pub fields: Map<String, Value>,
}

/// The fields of a record, when its JSON can be read.
fn record_fields(r: &HeldRecord) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(&r.record_json).ok()? {
        Value::Object(mut o) => match o.remove("fields") {
            Some(Value::Object(f)) => Some(f),
            _ => None,
        },
        _ => None,
    }
}

/// Of `held` (newest first), the records in which a personal-id field of
/// the type's schema has the value `personal_id`, in the same order.
pub fn person_records(held: &[HeldRecord], personal_id: &str) -> Vec<PersonRecord> {
    let mut out = Vec::new();
    for r in held {
        let Ok(doc_type) = r.doc_type.parse::<DocType>() else {
            continue;
        };
        let Some(fields) = record_fields(r) else {
            continue;
        };
        let matched: Vec<String> = doc_type
            .schema()
            .fields
            .iter()
            .filter(|f| f.form == Form::Id12)
            .filter(|f| fields.get(&f.name).and_then(Value::as_str) == Some(personal_id))
            .map(|f| f.name.clone())
            .collect();
        if matched.is_empty() {
            continue;
        }
        out.push(PersonRecord {
            document_id: r.document_id.clone(),
            doc_type: r.doc_type.clone(),
            issued_at: crate::model::format_rfc3339(r.issued_at),
            approved_by: r.approved_by.clone(),
            matched,
            fields,
        });
    }
    out
}

/// One prefilled field and where its value came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prefilled {
    /// The value.
    pub value: Value,
    /// The document whose record gave it.
    pub document_id: String,
    /// That record's type.
    pub doc_type: String,
    /// That record's field.
    pub field: String,
}

/// A form prefilled for a citizen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prefill {
    /// The form.
    pub form: String,
    /// Its title.
    pub title: String,
    /// The procedure it applies for.
    pub procedure: String,
    /// The fields filled, by target name.
    pub fields: BTreeMap<String, Prefilled>,
    /// The form's fields no held record fills, in the form's order.
    pub missing: Vec<String>,
}

/// Fills `mapping` from a citizen's records (newest first): for each target
/// field, the first source with a value, taken from the newest record of
/// that type in which the citizen is the one the source names.
pub fn prefill(mapping: &FormMapping, records: &[PersonRecord]) -> Prefill {
    let mut fields = BTreeMap::new();
    let mut missing = Vec::new();
    for t in &mapping.fields {
        let found = t.from.iter().find_map(|s| {
            records
                .iter()
                .filter(|r| r.doc_type == s.doc_type && r.matched.contains(&s.match_field))
                .find_map(|r| {
                    let v = r.fields.get(&s.field).filter(|v| !v.is_null())?;
                    Some(Prefilled {
                        value: v.clone(),
                        document_id: r.document_id.clone(),
                        doc_type: r.doc_type.clone(),
                        field: s.field.clone(),
                    })
                })
        });
        match found {
            Some(p) => {
                fields.insert(t.name.clone(), p);
            }
            None => missing.push(t.name.clone()),
        }
    }
    Prefill {
        form: mapping.form.clone(),
        title: mapping.title.clone(),
        procedure: mapping.procedure.clone(),
        fields,
        missing,
    }
}

/// The formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values (RFC 4180) with a header line.
    Csv,
}

/// The export's fixed columns, before the record's fields.
const FIXED: [&str; 6] = [
    "document_id",
    "submission_id",
    "doc_type",
    "issued_at",
    "pipeline_version",
    "approved_by",
];

/// One held record as an NDJSON line (without the newline).
pub fn ndjson_line(r: &HeldRecord) -> String {
    let fields = record_fields(r).map_or(Value::Null, Value::Object);
    json!({
        "document_id": r.document_id,
        "submission_id": r.submission_id,
        "doc_type": r.doc_type,
        "issued_at": crate::model::format_rfc3339(r.issued_at),
        "pipeline_version": r.pipeline_version,
        "approved_by": r.approved_by,
        "fields": fields,
    })
    .to_string()
}

/// The CSV header: the fixed columns, then one column per field of
/// `doc_type`'s schema, or a single `fields` column (the fields as JSON)
/// when the export mixes types.
pub fn csv_header(doc_type: Option<DocType>) -> String {
    let mut cols: Vec<String> = FIXED.iter().map(|c| c.to_string()).collect();
    match doc_type {
        Some(t) => cols.extend(t.schema().fields.iter().map(|f| f.name.clone())),
        None => cols.push("fields".into()),
    }
    csv_row(&cols)
}

/// One held record as a CSV line (without the line end), matching
/// [`csv_header`].
pub fn csv_line(r: &HeldRecord, doc_type: Option<DocType>) -> String {
    let fields = record_fields(r).unwrap_or_default();
    let mut cols = vec![
        r.document_id.clone(),
        r.submission_id.clone(),
        r.doc_type.clone(),
        crate::model::format_rfc3339(r.issued_at),
        r.pipeline_version.clone(),
        r.approved_by.clone().unwrap_or_default(),
    ];
    match doc_type {
        Some(t) => cols.extend(t.schema().fields.iter().map(|f| match fields.get(&f.name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        })),
        None => cols.push(Value::Object(fields).to_string()),
    }
    csv_row(&cols)
}

/// Cells joined as an RFC 4180 line: a cell with a comma, a quote or a
/// line break is quoted, its quotes doubled.
fn csv_row(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: &str, doc_type: &str, fields: Value) -> HeldRecord {
        HeldRecord {
            document_id: id.into(),
            submission_id: "s".into(),
            pipeline_version: "v".into(),
            doc_type: doc_type.into(),
            issued_at: 1_750_000_000,
            approved_by: None,
            record_json: json!({"doc_type": doc_type, "fields": fields}).to_string(),
        }
    }

    #[test]
    fn every_committed_mapping_names_schema_fields() {
        let all = mappings().unwrap();
        assert_eq!(all.len(), 5);
        let procedures = crate::deadline::Deadlines::builtin().unwrap();
        for m in all {
            assert!(procedures.procedure(&m.procedure).is_some(), "{}", m.form);
        }
    }

    #[test]
    fn prefill_takes_the_citizens_own_fields_only() {
        let id = "079203001234";
        let records = vec![
            // A marriage where the citizen is the wife: husband's id differs.
            held(
                "DS-M",
                "marriage_certificate",
                json!({"husband_id": "079203009999", "wife_id": id}),
            ),
            held(
                "DS-C",
                "citizen_id",
                json!({"id_number": id, "full_name": "NGUYỄN THỊ LAN", "sex": "female"}),
            ),
            held("DS-X", "citizen_id", json!({"id_number": "111111111111"})),
        ];
        let mine = person_records(&records, id);
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].matched, ["wife_id"]);
        let form = mappings()
            .unwrap()
            .iter()
            .find(|m| m.form == "business_household_registration")
            .unwrap();
        let p = prefill(form, &mine);
        assert_eq!(p.fields["owner_full_name"].value, "NGUYỄN THỊ LAN");
        assert_eq!(p.fields["owner_full_name"].document_id, "DS-C");
        assert!(p.missing.contains(&"owner_ethnicity".to_string()));
    }

    #[test]
    fn csv_cells_are_quoted() {
        let r = held(
            "DS-1",
            "citizen_id",
            json!({"full_name": "A, \"B\"", "id_number": "079203001234"}),
        );
        let line = csv_line(&r, Some(DocType::CitizenId));
        assert!(line.contains("\"A, \"\"B\"\"\""), "{line}");
        let header = csv_header(Some(DocType::CitizenId));
        assert_eq!(header.split(',').count(), line.split(",").count() - 1);
    }
}
