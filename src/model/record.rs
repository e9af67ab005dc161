//! The typed record extracted from a document: normalized field values,
//! confidences, and the fields a person must check, each with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{BBox, TextSource};
use crate::schema::DocType;

/// Per-record confidences.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Confidence {
    /// Confidence in the document type.
    pub doc_type: f32,
    /// Confidence of each field found.
    pub fields: BTreeMap<String, f32>,
}

/// Why a field of a record goes to review. Each is something extraction
/// decided about the field; [`ReviewReason::code`] is a stable machine code
/// and the `Display` text says it in plain words for a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewReason {
    /// A required field was not found.
    Missing,
    /// No reading of the value has the field's form, or the schema refuses it.
    Format,
    /// The value's words, or its label, were read with low confidence.
    LowConfidence,
    /// Two readings of the field disagree.
    Conflict,
    /// Stray marks or a gap in the value, or a value starting right of its
    /// column: words may be lost.
    Noise,
    /// A unit name of a place is in no list, but one letter away from a
    /// province or district.
    UnknownUnit,
    /// The letters of a unit name of a place fit several listed units that
    /// differ only in their marks.
    AmbiguousMarks,
    /// A listed unit name of a place is printed with its words capitalised
    /// unlike each other.
    MixedCase,
    /// The value has the field's form but looks misread or cut short.
    Doubtful,
    /// The record's dates contradict each other.
    DateOrder,
}

impl ReviewReason {
    /// Every reason, in the order of the enum.
    pub const ALL: [ReviewReason; 10] = [
        ReviewReason::Missing,
        ReviewReason::Format,
        ReviewReason::LowConfidence,
        ReviewReason::Conflict,
        ReviewReason::Noise,
        ReviewReason::UnknownUnit,
        ReviewReason::AmbiguousMarks,
        ReviewReason::MixedCase,
        ReviewReason::Doubtful,
        ReviewReason::DateOrder,
    ];

    /// The stable machine code, e.g. `low_confidence`.
    pub fn code(self) -> &'static str {
        match self {
            ReviewReason::Missing => "missing",
            ReviewReason::Format => "format",
            ReviewReason::LowConfidence => "low_confidence",
            ReviewReason::Conflict => "conflict",
            ReviewReason::Noise => "noise",
            ReviewReason::UnknownUnit => "unknown_unit",
            ReviewReason::AmbiguousMarks => "ambiguous_marks",
            ReviewReason::MixedCase => "mixed_case",
            ReviewReason::Doubtful => "doubtful",
            ReviewReason::DateOrder => "date_order",
        }
    }

    /// The reason with this machine code.
    pub fn from_code(code: &str) -> Option<ReviewReason> {
        ReviewReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl std::fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReviewReason::Missing => "a required field was not found",
            ReviewReason::Format => "the value does not have the field's form",
            ReviewReason::LowConfidence => "the value was read with low confidence",
            ReviewReason::Conflict => "two readings of the field disagree",
            ReviewReason::Noise => "stray marks or a gap in the value: words may be lost",
            ReviewReason::UnknownUnit => {
                "a place name is not in the list of administrative units, but close to one"
            }
            ReviewReason::AmbiguousMarks => {
                "the marks of a place name fit more than one administrative unit"
            }
            ReviewReason::MixedCase => {
                "a place name is printed with its words capitalised unlike each other"
            }
            ReviewReason::Doubtful => "the value looks misread or cut short",
            ReviewReason::DateOrder => "the dates of the record contradict each other",
        })
    }
}

/// A typed record, shaped as the schemas in `schemas/` say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The document type, `None` for `unknown`.
    #[serde(with = "doc_type_or_unknown")]
    pub doc_type: Option<DocType>,
    /// Normalized values of the fields that were found.
    pub fields: BTreeMap<String, Value>,
    /// Confidences.
    pub confidence: Confidence,
    /// Fields a person must check: missing required ones, failed formats, low
    /// confidence (sorted; the reasons are in `review_reasons`).
    pub needs_review: Vec<String>,
    /// Where the text of each page came from (`ocr` or `pdf_text`), in page
    /// order, set by the pipeline when some page's text came from the input
    /// PDF's text layer; empty, and not written, when every page was OCRed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_sources: Vec<TextSource>,
    /// Why each field of `needs_review` is there, as extraction decided.
    /// Not part of the record's JSON (the contract lists field names only),
    /// so a record read back from JSON has none.
    #[serde(skip)]
    pub review_reasons: BTreeMap<String, ReviewReason>,
    /// Where on its page each field's value was read, or, for a field with
    /// no value, where its label was found. Not part of the record's JSON.
    #[serde(skip)]
    pub places: BTreeMap<String, FieldPlace>,
    /// Fields put up for review that were read a second time, from their
    /// box on the page, and what that reading gave. Not part of the
    /// record's JSON.
    #[serde(skip)]
    pub reread: BTreeMap<String, Reread>,
}

/// A second reading of a field put up for review: its box cut from the
/// page, enlarged and read as one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reread {
    /// The value read the second time, normalized and checked like the
    /// first; `None` when that reading gave no value of the field's form.
    pub value: Option<Value>,
    /// Its confidence, as extraction computes it.
    pub confidence: f32,
    /// Whether it settled the field: it agreed with the first reading, or
    /// put right the marks the first reading was unsure of, surely and with
    /// every check passed, so the field left review.
    pub settled: bool,
}

/// Where on a page a field was found, in the pixels of the page as the
/// result document shows it (turned upright).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldPlace {
    /// The page's index (0 for the first).
    pub page: usize,
    /// The box around the value's words, or around the label's.
    pub bbox: BBox,
    /// Whether only the label was found (the value was not read).
    pub label_only: bool,
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
            text_sources: Vec::new(),
            review_reasons: BTreeMap::new(),
            places: BTreeMap::new(),
            reread: BTreeMap::new(),
        }
    }

    /// Rounds every confidence to three decimals (more digits carry no
    /// information and make records harder to read).
    pub fn round_confidences(&mut self) {
        let r = |v: f32| (v * 1000.0).round() / 1000.0;
        self.confidence.doc_type = r(self.confidence.doc_type);
        for v in self.confidence.fields.values_mut() {
            *v = r(*v);
        }
    }

    /// Whether the record may be issued without a person looking at it.
    pub fn is_issuable(&self) -> bool {
        self.doc_type.is_some() && self.needs_review.is_empty()
    }

    /// Puts a field up for review for `reason`. A field already up for
    /// review keeps its first reason; `needs_review` stays sorted.
    pub fn flag(&mut self, field: &str, reason: ReviewReason) {
        if let Err(at) = self
            .needs_review
            .binary_search_by(|f| f.as_str().cmp(field))
        {
            self.needs_review.insert(at, field.to_string());
        }
        self.review_reasons
            .entry(field.to_string())
            .or_insert(reason);
    }

    /// Why a field is up for review, when the record says (a record read
    /// back from JSON does not).
    pub fn review_reason(&self, field: &str) -> Option<ReviewReason> {
        self.review_reasons.get(field).copied()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_have_distinct_codes_that_read_back() {
        for r in ReviewReason::ALL {
            assert_eq!(ReviewReason::from_code(r.code()), Some(r));
            assert!(!r.to_string().is_empty());
        }
        let mut codes: Vec<&str> = ReviewReason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ReviewReason::ALL.len());
    }

    #[test]
    fn flagged_fields_stay_sorted_keep_their_first_reason_and_are_not_written() {
        let mut r = Record::unknown(0.5);
        r.flag("sex", ReviewReason::Format);
        r.flag("full_name", ReviewReason::Missing);
        r.flag("sex", ReviewReason::LowConfidence);
        assert_eq!(r.needs_review, ["full_name", "sex"]);
        assert_eq!(r.review_reason("sex"), Some(ReviewReason::Format));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["needs_review"],
            serde_json::json!(["full_name", "sex"])
        );
        assert!(json.get("review_reasons").is_none());
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back.needs_review, r.needs_review);
        assert_eq!(back.review_reason("sex"), None);
    }
}
