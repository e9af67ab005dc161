//! The typed-record contract, read from `schemas/<doc_type>.schema.json`.
//!
//! Each schema (JSON Schema 2020-12) describes the `fields` object of one document
//! type. Besides standard keywords it carries what the pipeline needs to find the
//! fields on paper: `title` of the schema is the document title printed on the
//! paper, `x-titles` lists every accepted title, and each property has the printed
//! label as its `title`, its normalized form as `x-form` and, where the law fixes
//! the value to a closed list, that list as `x-terms`; where values are
//! written with a known vocabulary but are not a closed list, common values as
//! `x-vocabulary` (causes of death). The schemas are built
//! into the binary, so there is exactly one copy of the contract.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The schema files, built into the binary.
const SCHEMA_SOURCES: &[(&str, &str)] = &[
    (
        "birth_certificate",
        include_str!("../schemas/birth_certificate.schema.json"),
    ),
    (
        "death_extract",
        include_str!("../schemas/death_extract.schema.json"),
    ),
    (
        "marriage_certificate",
        include_str!("../schemas/marriage_certificate.schema.json"),
    ),
    (
        "citizen_id",
        include_str!("../schemas/citizen_id.schema.json"),
    ),
    (
        "business_household_registration",
        include_str!("../schemas/business_household_registration.schema.json"),
    ),
    (
        "business_household_termination",
        include_str!("../schemas/business_household_termination.schema.json"),
    ),
    (
        "land_use_certificate",
        include_str!("../schemas/land_use_certificate.schema.json"),
    ),
    (
        "construction_permit",
        include_str!("../schemas/construction_permit.schema.json"),
    ),
];

/// Errors in the schema files themselves (a build defect, never user input).
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A schema file is not valid JSON.
    #[error("schema {doc_type}: {source}")]
    Json {
        /// The document type whose schema is broken.
        doc_type: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A schema file lacks a keyword the pipeline needs or has a wrong value.
    #[error("schema {doc_type}: {what}")]
    Invalid {
        /// The document type whose schema is broken.
        doc_type: String,
        /// What is wrong.
        what: String,
    },
}

/// A document type: a closed set that mirrors the files in `schemas/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// `GIẤY KHAI SINH`
    BirthCertificate,
    /// `TRÍCH LỤC KHAI TỬ`
    DeathExtract,
    /// `GIẤY CHỨNG NHẬN KẾT HÔN`
    MarriageCertificate,
    /// `CĂN CƯỚC CÔNG DÂN` / `CĂN CƯỚC`
    CitizenId,
    /// `GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH`
    BusinessHouseholdRegistration,
    /// `THÔNG BÁO VỀ VIỆC CHẤM DỨT HOẠT ĐỘNG HỘ KINH DOANH`
    BusinessHouseholdTermination,
    /// `GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, ...`
    LandUseCertificate,
    /// `GIẤY PHÉP XÂY DỰNG`
    ConstructionPermit,
}

impl DocType {
    /// Every document type, in the order of the schemas in `schemas/`.
    pub const ALL: [DocType; 8] = [
        DocType::BirthCertificate,
        DocType::DeathExtract,
        DocType::MarriageCertificate,
        DocType::CitizenId,
        DocType::BusinessHouseholdRegistration,
        DocType::BusinessHouseholdTermination,
        DocType::LandUseCertificate,
        DocType::ConstructionPermit,
    ];

    /// The snake-case id used in records, file names and schemas.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::BirthCertificate => "birth_certificate",
            DocType::DeathExtract => "death_extract",
            DocType::MarriageCertificate => "marriage_certificate",
            DocType::CitizenId => "citizen_id",
            DocType::BusinessHouseholdRegistration => "business_household_registration",
            DocType::BusinessHouseholdTermination => "business_household_termination",
            DocType::LandUseCertificate => "land_use_certificate",
            DocType::ConstructionPermit => "construction_permit",
        }
    }

    /// The schema of this type.
    pub fn schema(self) -> &'static TypeSchema {
        let all = schemas();
        &all[self as usize]
    }
}

impl fmt::Display for DocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown document type `{s}`"))
    }
}

/// The normalized form of a field value (`x-form` in the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Unicode NFC, trimmed, inner whitespace collapsed.
    Text,
    /// Text in upper case, diacritics kept.
    Name,
    /// ISO 8601 `YYYY-MM-DD`.
    Date,
    /// Exactly 12 digits, as a string.
    Id12,
    /// `male` or `female`.
    Sex,
    /// A non-negative integer.
    Int,
    /// Square metres as a JSON number.
    Area,
}

impl Form {
    /// The form's name, as `x-form` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Text => "text",
            Form::Name => "name",
            Form::Date => "date",
            Form::Id12 => "id12",
            Form::Sex => "sex",
            Form::Int => "int",
            Form::Area => "area",
        }
    }
}

impl FromStr for Form {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "text" => Form::Text,
            "name" => Form::Name,
            "date" => Form::Date,
            "id12" => Form::Id12,
            "sex" => Form::Sex,
            "int" => Form::Int,
            "area" => Form::Area,
            other => return Err(format!("unknown form `{other}`")),
        })
    }
}

/// One field of a document type.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The field's name in the record, e.g. `full_name`.
    pub name: String,
    /// The label printed on paper, e.g. `Họ, chữ đệm, tên:`.
    pub label: String,
    /// The normalized form of its value.
    pub form: Form,
    /// Whether a record without it must go to review.
    pub required: bool,
    /// A regular expression the normalized value must match, if any.
    pub pattern: Option<String>,
    /// The closed list of terms the value is one of, when the law fixes it
    /// (`x-terms`: the land use categories); empty when the value is free.
    pub terms: Vec<String>,
    /// Common values of a free field written with a known vocabulary
    /// (`x-vocabulary`: causes of death); their words tell a misread mark
    /// (`phối` where the vocabulary has `phổi`). Empty when none.
    pub vocabulary: Vec<String>,
}

impl FieldSpec {
    /// Whether what the value says is printed in ASCII: digits, Latin
    /// capitals and signs. So are ids, dates, counts and areas, whose other
    /// words (`ngày … tháng`, `đồng`, `m²`) are a fixed vocabulary their
    /// form reads without marks, and text whose pattern admits nothing else
    /// (`^[0-9]{2}[A-Z][0-9]{7}$`).
    pub fn printed_in_ascii(&self) -> bool {
        match self.form {
            Form::Id12 | Form::Date | Form::Int | Form::Area => true,
            Form::Text => self
                .pattern
                .as_deref()
                .is_some_and(|p| p.is_ascii() && !p.contains("[^")),
            Form::Name | Form::Sex => false,
        }
    }
}

/// Everything the pipeline knows about one document type.
pub struct TypeSchema {
    /// The type.
    pub doc_type: DocType,
    /// The schema's `$id`.
    pub id: String,
    /// Titles printed on the paper (the first is the canonical one).
    pub titles: Vec<String>,
    /// Fields in the order of the contract.
    pub fields: Vec<FieldSpec>,
    /// The schema document itself.
    pub json: Value,
    validator: jsonschema::Validator,
}

impl fmt::Debug for TypeSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeSchema")
            .field("doc_type", &self.doc_type)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl TypeSchema {
    /// The field spec with this name.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Validates a `fields` object; returns the names of fields that fail
    /// (missing required ones included). A failed check is a normal outcome.
    pub fn invalid_fields(&self, fields: &BTreeMap<String, Value>) -> Vec<String> {
        let mut bad: Vec<String> = self
            .field_errors(fields)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        bad.sort();
        bad.dedup();
        bad
    }

    /// Validates a `fields` object; returns each refused field with the rule
    /// it breaks, in plain words (missing required fields last).
    pub fn field_errors(&self, fields: &BTreeMap<String, Value>) -> Vec<(String, String)> {
        let instance = Value::Object(fields.clone().into_iter().collect());
        let mut bad: Vec<(String, String)> = Vec::new();
        for err in self.validator.iter_errors(&instance) {
            let path = err.instance_path().to_string();
            let name = path.trim_start_matches('/').split('/').next().unwrap_or("");
            if !name.is_empty() {
                bad.push((name.to_string(), format!("the schema refuses it: {err}")));
            }
        }
        for f in &self.fields {
            if f.required && !fields.contains_key(&f.name) {
                let rule = "the field is required: give its value".to_string();
                bad.push((f.name.clone(), rule));
            }
        }
        bad
    }
}

fn parse_schema(doc_type: DocType, source: &str) -> Result<TypeSchema, SchemaError> {
    let name = doc_type.as_str();
    let invalid = |what: &str| SchemaError::Invalid {
        doc_type: name.to_string(),
        what: what.to_string(),
    };
    let json: Value = serde_json::from_str(source).map_err(|source| SchemaError::Json {
        doc_type: name.to_string(),
        source,
    })?;
    if json.get("x-doc-type").and_then(Value::as_str) != Some(name) {
        return Err(invalid("x-doc-type does not match the file name"));
    }
    let id = json
        .get("$id")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing $id"))?
        .to_string();
    let titles: Vec<String> = json
        .get("x-titles")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("missing x-titles"))?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if titles.is_empty() {
        return Err(invalid("x-titles is empty"));
    }
    let required: Vec<&str> = json
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let props = json
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("missing properties"))?;
    let mut fields = Vec::new();
    for (fname, p) in props {
        let label = p
            .get("title")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&format!("field {fname} has no title (its label)")))?;
        let form: Form = p
            .get("x-form")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&format!("field {fname} has no x-form")))?
            .parse()
            .map_err(|e: String| invalid(&e))?;
        fields.push(FieldSpec {
            name: fname.clone(),
            label: label.to_string(),
            form,
            required: required.contains(&fname.as_str()),
            pattern: p.get("pattern").and_then(Value::as_str).map(str::to_string),
            terms: strings(p.get("x-terms")),
            vocabulary: strings(p.get("x-vocabulary")),
        });
    }
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&json)
        .map_err(|e| invalid(&format!("not a valid JSON Schema: {e}")))?;
    Ok(TypeSchema {
        doc_type,
        id,
        titles,
        fields,
        json,
        validator,
    })
}

/// All schemas, parsed once, indexed by `DocType as usize`.
pub fn schemas() -> &'static [TypeSchema] {
    static SCHEMAS: OnceLock<Vec<TypeSchema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        DocType::ALL
            .iter()
            .map(|&t| {
                let (_, src) = SCHEMA_SOURCES
                    .iter()
                    .find(|(n, _)| *n == t.as_str())
                    .expect("every DocType has a schema source (checked by tests)");
                parse_schema(t, src).unwrap_or_else(|e| panic!("built-in schema is broken: {e}"))
            })
            .collect()
    })
}

/// The strings of a JSON array; none for anything else.
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_has_a_schema_and_round_trips_its_name() {
        for t in DocType::ALL {
            let s = t.schema();
            assert_eq!(s.doc_type, t);
            assert_eq!(t.as_str().parse::<DocType>(), Ok(t));
            assert!(!s.fields.is_empty());
            assert!(s.id.contains(t.as_str()));
        }
        assert_eq!(SCHEMA_SOURCES.len(), DocType::ALL.len());
    }

    #[test]
    fn labels_and_forms_come_from_the_schema() {
        let s = DocType::BirthCertificate.schema();
        let f = s.field("personal_id").unwrap();
        assert_eq!(f.label, "Số định danh cá nhân:");
        assert_eq!(f.form, Form::Id12);
        assert!(f.required);
        assert!(!s.field("ethnicity").unwrap().required);
        assert_eq!(
            DocType::CitizenId.schema().titles,
            vec!["CĂN CƯỚC CÔNG DÂN", "CĂN CƯỚC"]
        );
    }

    #[test]
    fn ascii_values_are_told_by_form_and_pattern() {
        let ascii = |t: DocType, f: &str| t.schema().field(f).unwrap().printed_in_ascii();
        let household = DocType::BusinessHouseholdRegistration;
        assert!(ascii(household, "business_code"));
        assert!(ascii(household, "owner_id"));
        assert!(ascii(household, "capital_vnd"));
        assert!(ascii(household, "first_registration_date"));
        assert!(ascii(DocType::LandUseCertificate, "serial"));
        assert!(ascii(DocType::LandUseCertificate, "area_m2"));
        // Names and places carry marks; a name's pattern admits them.
        assert!(!ascii(household, "owner_name"));
        assert!(!ascii(household, "address"));
        assert!(!ascii(DocType::BirthCertificate, "sex"));
        // A document's number may be `123/QĐ-UBND`.
        assert!(!ascii(DocType::ConstructionPermit, "permit_number"));
    }

    #[test]
    fn validation_reports_bad_and_missing_fields() {
        let s = DocType::ConstructionPermit.schema();
        let mut fields: BTreeMap<String, Value> = BTreeMap::new();
        fields.insert("permit_number".into(), json!("245/GPXD"));
        fields.insert("owner_name".into(), json!("NGUYỄN VĂN AN"));
        fields.insert("address".into(), json!("Hà Nội"));
        fields.insert("parcel_number".into(), json!(12));
        fields.insert("map_sheet".into(), json!(3));
        fields.insert("building_area_m2".into(), json!(120.5));
        fields.insert("floors".into(), json!(3));
        fields.insert("issue_date".into(), json!("2024-02-30"));
        assert_eq!(s.invalid_fields(&fields), vec!["issue_date"]);
        fields.insert("issue_date".into(), json!("2024-02-29"));
        assert!(s.invalid_fields(&fields).is_empty());
        fields.remove("floors");
        fields.insert("owner_name".into(), json!("nguyễn"));
        assert_eq!(s.invalid_fields(&fields), vec!["floors", "owner_name"]);
    }
}
