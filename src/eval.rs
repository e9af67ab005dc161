//! Accuracy of the pipeline against ground truth: classification accuracy,
//! field exact-match rate, and the precision and coverage of fields accepted
//! without review, per document type and overall.
//!
//! A scan `NAME.EXT` has its truth in `NAME.truth.json`:
//! `{"doc_type": "<type or unknown>", "fields": {...normalized values...}}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Record;
use crate::pipeline::{self, PipelineOptions};

/// Errors of an evaluation run (not of single documents).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The directory cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No scan in the directory has a truth file.
    #[error("no scan in {0} has a NAME.truth.json beside it")]
    NoTruth(PathBuf),
}

/// The ground truth of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The document type id, or `unknown`.
    pub doc_type: String,
    /// The normalized field values.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// Counts for one document type (or all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Documents.
    pub docs: u64,
    /// Documents classified as their true type.
    pub classified_right: u64,
    /// Fields in the truth.
    pub truth_fields: u64,
    /// Truth fields whose extracted value is exactly right (reviewed or not).
    pub exact: u64,
    /// Fields accepted without review (found, not in `needs_review`).
    pub accepted: u64,
    /// Accepted fields that are right.
    pub accepted_right: u64,
    /// Documents that would be issued.
    pub issued: u64,
    /// Issued documents whose every field is right and whose type is right.
    pub issued_right: u64,
    /// Documents that failed to process.
    pub failed: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.docs += o.docs;
        self.classified_right += o.classified_right;
        self.truth_fields += o.truth_fields;
        self.exact += o.exact;
        self.accepted += o.accepted;
        self.accepted_right += o.accepted_right;
        self.issued += o.issued;
        self.issued_right += o.issued_right;
        self.failed += o.failed;
    }

    /// Share of documents classified right.
    pub fn classification(&self) -> f64 {
        ratio(self.classified_right, self.docs)
    }
    /// Share of truth fields extracted exactly.
    pub fn exact_match(&self) -> f64 {
        ratio(self.exact, self.truth_fields)
    }
    /// Share of accepted fields that are right.
    pub fn precision(&self) -> f64 {
        ratio(self.accepted_right, self.accepted)
    }
    /// Accepted-and-right fields over all truth fields.
    pub fn coverage(&self) -> f64 {
        ratio(self.accepted_right, self.truth_fields)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// A wrong value, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistake {
    /// The scan.
    pub file: String,
    /// The field (`doc_type` for a misclassification).
    pub field: String,
    /// The true value.
    pub expected: Value,
    /// What the pipeline said (`null` when it found nothing).
    pub got: Value,
    /// Whether the wrong value was accepted without review.
    pub accepted: bool,
}

/// The fields in review for one reason, by whether their value was right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ReviewCause {
    /// Fields whose value was right (coverage lost to review).
    pub right: u64,
    /// Fields whose value was wrong or absent (what review caught).
    pub wrong: u64,
}

/// The evaluation of a directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Counts per true document type.
    pub per_type: BTreeMap<String, Counts>,
    /// Counts over everything.
    pub overall: Counts,
    /// Wrong values, accepted ones first.
    pub mistakes: Vec<Mistake>,
    /// Fields of rightly classified documents in review, by reason code.
    pub review_causes: BTreeMap<String, ReviewCause>,
    /// Scans that failed to process, with the error.
    pub failures: Vec<(String, String)>,
    /// Each scan's own counts, by file name.
    pub documents: BTreeMap<String, Counts>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Whether two normalized values are the same (numbers compared numerically).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// The truth file of a scan.
pub fn truth_path(scan: &Path) -> PathBuf {
    let stem = scan
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    scan.with_file_name(format!("{stem}.truth.json"))
}

/// Scores one record against its truth.
pub fn score(
    file: &str,
    truth: &Truth,
    record: &Record,
    mistakes: &mut Vec<Mistake>,
    causes: &mut BTreeMap<String, ReviewCause>,
) -> Counts {
    let mut c = Counts {
        docs: 1,
        truth_fields: truth.fields.len() as u64,
        ..Counts::default()
    };
    let type_right = record.doc_type_str() == truth.doc_type;
    if type_right {
        c.classified_right = 1;
    } else {
        mistakes.push(Mistake {
            file: file.to_string(),
            field: "doc_type".into(),
            expected: Value::String(truth.doc_type.clone()),
            got: Value::String(record.doc_type_str().to_string()),
            accepted: record.is_issuable(),
        });
    }
    let issuable = record.is_issuable();
    if issuable {
        c.issued = 1;
    }
    let mut all_right = type_right;
    for (name, got) in &record.fields {
        let accepted = record.doc_type.is_some() && !record.needs_review.contains(name);
        let right = type_right
            && truth
                .fields
                .get(name)
                .is_some_and(|want| same_value(want, got));
        if accepted {
            c.accepted += 1;
            if right {
                c.accepted_right += 1;
            }
        } else if type_right {
            tally(causes, record, name, right);
        }
        if right {
            c.exact += 1;
        } else {
            all_right = false;
            mistakes.push(Mistake {
                file: file.to_string(),
                field: name.clone(),
                expected: truth.fields.get(name).cloned().unwrap_or(Value::Null),
                got: got.clone(),
                accepted,
            });
        }
    }
    for (name, want) in &truth.fields {
        if !record.fields.contains_key(name) {
            if type_right {
                tally(causes, record, name, false);
            }
            all_right = false;
            mistakes.push(Mistake {
                file: file.to_string(),
                field: name.clone(),
                expected: want.clone(),
                got: Value::Null,
                accepted: false,
            });
        }
    }
    if issuable && all_right {
        c.issued_right = 1;
    }
    c
}

/// Counts a field in review under its reason (`none` when the record gives
/// none: a field the pipeline did not look for).
fn tally(causes: &mut BTreeMap<String, ReviewCause>, record: &Record, field: &str, right: bool) {
    let code = record.review_reason(field).map_or("none", |r| r.code());
    let cause = causes.entry(code.to_string()).or_default();
    if right {
        cause.right += 1;
    } else {
        cause.wrong += 1;
    }
}

/// Runs the pipeline over every scan with a truth file in `dir`.
pub fn evaluate_dir(dir: &Path, options: &PipelineOptions) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    std::fs::read_dir(dir).map_err(|source| EvalError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let scans: Vec<PathBuf> = crate::config::expand_inputs(&[dir.to_path_buf()])
        .into_iter()
        .filter(|p| truth_path(p).is_file())
        .collect();
    if scans.is_empty() {
        return Err(EvalError::NoTruth(dir.to_path_buf()));
    }
    struct One {
        file: String,
        truth_type: String,
        counts: Counts,
        mistakes: Vec<Mistake>,
        causes: BTreeMap<String, ReviewCause>,
        failure: Option<(String, String)>,
    }
    let results: Vec<One> = scans
        .par_iter()
        .map(|scan| {
            let file = scan.display().to_string();
            let truth: Result<Truth, String> = std::fs::read(truth_path(scan))
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
            let truth = match truth {
                Ok(t) => t,
                Err(e) => {
                    return One {
                        file: file.clone(),
                        truth_type: "?".into(),
                        counts: Counts::default(),
                        mistakes: vec![],
                        causes: BTreeMap::new(),
                        failure: Some((file, format!("bad truth file: {e}"))),
                    }
                }
            };
            let analysis = std::fs::read(scan)
                .map_err(|e| e.to_string())
                .and_then(|b| pipeline::analyze(&b, options).map_err(|e| e.to_string()));
            match analysis {
                Ok(a) => {
                    let mut mistakes = Vec::new();
                    let mut causes = BTreeMap::new();
                    let counts = score(&file, &truth, &a.record, &mut mistakes, &mut causes);
                    One {
                        file,
                        truth_type: truth.doc_type,
                        counts,
                        mistakes,
                        causes,
                        failure: None,
                    }
                }
                Err(e) => One {
                    counts: Counts {
                        docs: 1,
                        truth_fields: truth.fields.len() as u64,
                        failed: 1,
                        ..Counts::default()
                    },
                    truth_type: truth.doc_type,
                    mistakes: vec![],
                    causes: BTreeMap::new(),
                    failure: Some((file.clone(), e)),
                    file,
                },
            }
        })
        .collect();
    let mut report = EvalReport {
        per_type: BTreeMap::new(),
        overall: Counts::default(),
        mistakes: Vec::new(),
        review_causes: BTreeMap::new(),
        failures: Vec::new(),
        documents: BTreeMap::new(),
        seconds: 0.0,
    };
    for r in results {
        report
            .per_type
            .entry(r.truth_type)
            .or_default()
            .add(&r.counts);
        report.overall.add(&r.counts);
        report.documents.insert(r.file, r.counts);
        report.mistakes.extend(r.mistakes);
        for (code, n) in r.causes {
            let cause = report.review_causes.entry(code).or_default();
            cause.right += n.right;
            cause.wrong += n.wrong;
        }
        report.failures.extend(r.failure);
    }
    report.mistakes.sort_by_key(|m| !m.accepted);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

impl EvalReport {
    /// The report as a table.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<34} {:>5} {:>8} {:>8} {:>9} {:>8} {:>7}",
            "type", "docs", "class.", "exact", "precision", "coverage", "issued"
        );
        let row = |s: &mut String, name: &str, c: &Counts| {
            let _ = writeln!(
                s,
                "{:<34} {:>5} {:>7.1}% {:>7.1}% {:>8.2}% {:>7.1}% {:>7}",
                name,
                c.docs,
                100.0 * c.classification(),
                100.0 * c.exact_match(),
                100.0 * c.precision(),
                100.0 * c.coverage(),
                c.issued
            );
        };
        for (t, c) in &self.per_type {
            row(&mut s, t, c);
        }
        row(&mut s, "overall", &self.overall);
        let _ = writeln!(
            s,
            "\nclassification {:.1}%, field exact match {:.1}%, precision of accepted fields {:.2}% ({} of {}), coverage {:.1}%",
            100.0 * self.overall.classification(),
            100.0 * self.overall.exact_match(),
            100.0 * self.overall.precision(),
            self.overall.accepted_right,
            self.overall.accepted,
            100.0 * self.overall.coverage(),
        );
        let _ = writeln!(
            s,
            "issued {} of {} documents; {} of them entirely right; {} failed; {:.1}s",
            self.overall.issued,
            self.overall.docs,
            self.overall.issued_right,
            self.overall.failed,
            self.seconds
        );
        if !self.review_causes.is_empty() {
            let _ = writeln!(
                s,
                "\nfields in review by reason (right value / wrong or none):"
            );
            for (code, n) in &self.review_causes {
                let _ = writeln!(s, "  {code:<16} {:>4} / {}", n.right, n.wrong);
            }
        }
        let accepted_wrong: Vec<&Mistake> = self.mistakes.iter().filter(|m| m.accepted).collect();
        if !accepted_wrong.is_empty() {
            let _ = writeln!(s, "\nwrong values accepted without review:");
            for m in accepted_wrong.iter().take(20) {
                let _ = writeln!(
                    s,
                    "  {} {}: expected {} got {}",
                    m.file, m.field, m.expected, m.got
                );
            }
        }
        for (f, e) in self.failures.iter().take(20) {
            let _ = writeln!(s, "failed: {f}: {e}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReviewReason;
    use crate::schema::DocType;
    use serde_json::json;

    #[test]
    fn scoring_separates_accepted_from_reviewed_mistakes() {
        let truth = Truth {
            doc_type: "citizen_id".into(),
            fields: [
                ("id_number".to_string(), json!("001050012345")),
                ("full_name".to_string(), json!("NGUYỄN VĂN AN")),
                ("sex".to_string(), json!("male")),
            ]
            .into_iter()
            .collect(),
        };
        let mut record = Record::unknown(0.9);
        record.doc_type = Some(DocType::CitizenId);
        record
            .fields
            .insert("id_number".into(), json!("001050012345"));
        record
            .fields
            .insert("full_name".into(), json!("NGUYÊN VĂN AN"));
        record.flag("full_name", ReviewReason::AmbiguousMarks);
        let mut mistakes = vec![];
        let mut causes = BTreeMap::new();
        let c = score("x.png", &truth, &record, &mut mistakes, &mut causes);
        assert_eq!(
            (c.truth_fields, c.exact, c.accepted, c.accepted_right),
            (3, 1, 1, 1)
        );
        assert_eq!(c.issued, 0);
        assert_eq!(mistakes.len(), 2);
        assert!(mistakes.iter().all(|m| !m.accepted));
        // The wrong name in review and the sex never read, under their reasons.
        assert_eq!(
            causes["ambiguous_marks"],
            ReviewCause { right: 0, wrong: 1 }
        );
        assert_eq!(causes["none"], ReviewCause { right: 0, wrong: 1 });
        assert!(same_value(&json!(120.5), &json!(120.50)));
        assert!(same_value(&json!(3), &json!(3.0)));
    }

    #[test]
    fn truth_sits_beside_the_scan() {
        assert_eq!(
            truth_path(Path::new("a/0001_birth.tiff")),
            PathBuf::from("a/0001_birth.truth.json")
        );
    }
}
