//! Review: what a person needs to finish a record that went to review, and
//! its approval or rejection; the one implementation `docseal review` and
//! the server share.
//!
//! The worker stores, beside each record and keyed by submission and
//! pipeline version, the OCR words and a [`Sidecar`]: why each field is up
//! for review, where on its page each field was read, and how each page was
//! turned. [`show`] and [`page_png`] read them; [`approve`] renders the
//! result from them without OCR.
//!
//! An approval never issues half a document: the decision (values, approver,
//! time) is recorded first; the document is built from the recorded decision
//! alone (so a retry makes the same bytes), stored and logged; only then one
//! transaction moves the job to `issued` with its document row and audit
//! line. An approval interrupted anywhere leaves the job `needs_review` with
//! its decision recorded; approving again completes the recorded decision.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::classify::{Classified, Evidence};
use crate::decode::{self, Budget, Limits};
use crate::model::{IssuedAt, ManifestReview, OcrPage, Page, Record, ReviewReason};
use crate::pipeline::{self, Analysis, IssueContext, Issued};
use crate::queue::{
    Decided, Decision, DecisionKind, DocumentRow, EntryKind, JobState, JobView, Jobs, LogEntries,
    QueueError, Registry, ResultCodes, Reviews, SubmissionMeta,
};
use crate::store::{ObjectKind, ObjectStore, StoreError};
use crate::worker::Services;

/// The sidecar format this version writes.
pub const SIDECAR_FORMAT: &str = "docseal-review/1";

/// Why an operation on a submission in review was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No such submission, or no such page of it.
    #[error("{0}")]
    NotFound(String),
    /// The submission is not waiting for review: already decided, issued,
    /// failed or still being processed.
    #[error("{0}")]
    Conflict(String),
    /// A value was refused: names the field and the rule it breaks.
    #[error("{field}: {rule}")]
    Invalid {
        /// The field.
        field: String,
        /// The rule, in plain words.
        rule: String,
    },
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue or registry failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Something needed is missing or could not be built.
    #[error("{0}")]
    Failed(String),
}

fn invalid(field: &str, rule: impl Into<String>) -> ReviewError {
    ReviewError::Invalid {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// What the worker stores for review beside a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// [`SIDECAR_FORMAT`].
    pub format: String,
    /// Each page as the result shows it, in order.
    pub pages: Vec<SidecarPage>,
    /// Each field up for review or found on a page, by name.
    pub fields: BTreeMap<String, SidecarField>,
}

/// One page of a submission as the result shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarPage {
    /// Width in pixels, once turned.
    pub width: u32,
    /// Height in pixels, once turned.
    pub height: u32,
    /// Clockwise quarter turns given to the decoded page.
    pub quarter_turns: u8,
}

/// What a reviewer is told of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarField {
    /// Why the field is up for review ([`ReviewReason::code`]), if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The page it was found on, 1 for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// `x0, y0, x1, y1` in that page's pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[u32; 4]>,
    /// What the box holds: `value`, or `label` when only the label was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub box_of: Option<String>,
}

impl Sidecar {
    /// The review data of an analysis. Boxes are brought from the text's
    /// coordinates to the pixels of the page image (they differ only for a
    /// PDF page's own text layer).
    pub fn of(a: &Analysis) -> Sidecar {
        let pages: Vec<SidecarPage> = a
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| SidecarPage {
                width: p.image.width(),
                height: p.image.height(),
                quarter_turns: a.quarter_turns.get(i).copied().unwrap_or(0),
            })
            .collect();
        let mut fields: BTreeMap<String, SidecarField> = BTreeMap::new();
        for (name, place) in &a.record.places {
            let (Some(page), Some(text)) = (pages.get(place.page), a.ocr.get(place.page)) else {
                continue;
            };
            let scale = |v: u32, from: u32, to: u32| -> u32 {
                if from == 0 || from == to {
                    v.min(to)
                } else {
                    ((u64::from(v) * u64::from(to)) / u64::from(from)).min(u64::from(to)) as u32
                }
            };
            let b = place.bbox;
            fields.insert(
                name.clone(),
                SidecarField {
                    reason: None,
                    page: Some(place.page + 1),
                    bbox: Some([
                        scale(b.x0, text.width, page.width),
                        scale(b.y0, text.height, page.height),
                        scale(b.x1, text.width, page.width),
                        scale(b.y1, text.height, page.height),
                    ]),
                    box_of: Some(if place.label_only { "label" } else { "value" }.into()),
                },
            );
        }
        for name in &a.record.needs_review {
            let reason = a.record.review_reason(name).map(|r| r.code().to_string());
            fields
                .entry(name.clone())
                .or_insert_with(|| SidecarField {
                    reason: None,
                    page: None,
                    bbox: None,
                    box_of: None,
                })
                .reason = reason;
        }
        Sidecar {
            format: SIDECAR_FORMAT.to_string(),
            pages,
            fields,
        }
    }
}

/// Everything a reviewer sees of one submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionView {
    /// The submission id.
    pub submission_id: String,
    /// Its file name.
    pub name: String,
    /// Its job's state.
    pub state: JobState,
    /// The job's last error.
    pub error: Option<String>,
    /// The document type read (`unknown` when none).
    pub doc_type: String,
    /// The record, once there is one.
    pub record: Option<Value>,
    /// Each field of the type's schema, in the schema's order.
    pub fields: Vec<FieldView>,
    /// The pages as the result shows them.
    pub pages: Vec<PageSize>,
    /// The issued document, if any.
    pub document_id: Option<String>,
    /// What the clerk said of the submission.
    pub meta: SubmissionMeta,
    /// Who approved or rejected it, when, and what they decided.
    pub decision: Option<Value>,
}

/// One field as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldView {
    /// The field's name in the record.
    pub name: String,
    /// Its Vietnamese label, from the schema.
    pub label: String,
    /// Whether a record needs it.
    pub required: bool,
    /// The form of its value (`text`, `name`, `date`, …).
    pub form: String,
    /// The value read, if any.
    pub value: Option<Value>,
    /// The confidence of the value read.
    pub confidence: Option<f32>,
    /// Why the field is up for review; `None` when it is not.
    pub review: Option<ReasonView>,
    /// The page the value (or its label) was found on, 1 for the first.
    pub page: Option<usize>,
    /// `x0, y0, x1, y1` in that page's PNG pixels.
    pub bbox: Option<[u32; 4]>,
}

/// Why a field is up for review: a stable code and plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonView {
    /// The machine code, e.g. `low_confidence`.
    pub code: &'static str,
    /// In English.
    pub en: String,
    /// In Vietnamese.
    pub vi: String,
}

/// A page's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageSize {
    /// The page number, 1 for the first.
    pub n: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ReasonView {
    /// The reason with this code in both languages; a code this version does
    /// not know (or none, for data stored before reasons were) is shown as a
    /// plain request to check the field.
    pub fn of(code: Option<&str>) -> ReasonView {
        match code.and_then(ReviewReason::from_code) {
            Some(r) => ReasonView {
                code: r.code(),
                en: r.to_string(),
                vi: vietnamese(r).to_string(),
            },
            None => ReasonView {
                code: "check",
                en: "the field must be checked".into(),
                vi: "cần kiểm tra lại trường này".into(),
            },
        }
    }
}

/// A reason for review in Vietnamese, for the desk's staff.
pub fn vietnamese(reason: ReviewReason) -> &'static str {
    match reason {
        ReviewReason::Missing => "không tìm thấy trường bắt buộc này",
        ReviewReason::Format => "giá trị không đúng định dạng của trường",
        ReviewReason::LowConfidence => "giá trị được đọc với độ tin cậy thấp",
        ReviewReason::Conflict => "hai lần đọc trường này cho kết quả khác nhau",
        ReviewReason::Noise => "giá trị có vết bẩn hoặc khoảng trống: có thể bị sót chữ",
        ReviewReason::UnknownUnit => {
            "địa danh không có trong danh mục đơn vị hành chính, nhưng gần giống một đơn vị"
        }
        ReviewReason::AmbiguousMarks => "dấu của địa danh khớp với nhiều đơn vị hành chính",
        ReviewReason::MixedCase => "các chữ của địa danh được viết hoa không thống nhất",
        ReviewReason::Doubtful => "giá trị có vẻ bị đọc sai hoặc bị cắt mất",
        ReviewReason::DateOrder => "các ngày tháng trong hồ sơ mâu thuẫn với nhau",
    }
}

/// The job of a submission for this pipeline version.
async fn job_of<Q: Registry>(queue: &Q, submission_id: &str) -> Result<JobView, ReviewError> {
    queue
        .job(submission_id, crate::pipeline_version())
        .await?
        .ok_or_else(|| ReviewError::NotFound(format!("no submission {submission_id}")))
}

/// The review data stored for a submission, if any (a submission processed
/// before review data was stored has none).
async fn sidecar<S: ObjectStore>(
    store: &S,
    submission_id: &str,
) -> Result<Option<Sidecar>, ReviewError> {
    let key = ObjectKind::Review.key_for_submission(submission_id, crate::pipeline_version());
    match store.get(&key).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ReviewError::Failed(format!("review data of {submission_id}: {e}"))),
    }
}

/// The record of a job, typed.
fn record_of(job: &JobView) -> Result<Option<Record>, ReviewError> {
    job.record_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| ReviewError::Failed(format!("record of {}: {e}", job.submission_id)))
}

/// A decision as a reviewer sees it.
fn decision_view(d: &Decision) -> Value {
    let mut v = json!({
        "kind": d.kind,
        "actor": d.actor,
        "decided_at": crate::model::format_rfc3339(d.decided_at.div_euclid(1000)),
        "completed": d.completed_at.is_some(),
    });
    for key in ["corrected", "confirmed", "reason"] {
        if let Some(x) = d.detail.get(key) {
            v[key] = x.clone();
        }
    }
    v
}

/// Everything a reviewer sees of one submission.
pub async fn show<Q: Jobs + Registry + Reviews, S: ObjectStore>(
    services: &Services<Q, S>,
    submission_id: &str,
) -> Result<SubmissionView, ReviewError> {
    let queue = services.queue.as_ref();
    let job = job_of(queue, submission_id).await?;
    let record = record_of(&job)?;
    let sidecar = sidecar(services.store.as_ref(), submission_id).await?;
    let decision = queue
        .decision(submission_id, crate::pipeline_version())
        .await?;
    let mut fields = Vec::new();
    if let Some(r) = &record {
        let schema = r.doc_type.map(|t| t.schema());
        for spec in schema.iter().flat_map(|s| s.fields.iter()) {
            let stored = sidecar.as_ref().and_then(|s| s.fields.get(&spec.name));
            let up = r.needs_review.contains(&spec.name);
            fields.push(FieldView {
                name: spec.name.clone(),
                label: spec.label.clone(),
                required: spec.required,
                form: spec.form.as_str().to_string(),
                value: r.fields.get(&spec.name).cloned(),
                confidence: r.confidence.fields.get(&spec.name).copied(),
                review: up.then(|| ReasonView::of(stored.and_then(|f| f.reason.as_deref()))),
                page: stored.and_then(|f| f.page),
                bbox: stored.and_then(|f| f.bbox),
            });
        }
    }
    let pages = sidecar
        .iter()
        .flat_map(|s| s.pages.iter().enumerate())
        .map(|(i, p)| PageSize {
            n: i + 1,
            width: p.width,
            height: p.height,
        })
        .collect();
    Ok(SubmissionView {
        submission_id: job.submission_id.clone(),
        name: job.name.clone(),
        state: job.state,
        error: job.error.clone(),
        doc_type: record
            .as_ref()
            .map_or("unknown", Record::doc_type_str)
            .to_string(),
        record: job
            .record_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        fields,
        pages,
        document_id: job.document_id.clone(),
        meta: queue.meta(submission_id).await?,
        decision: decision.as_ref().map(decision_view),
    })
}

/// The decoded pages of a scan, each turned as the result shows it
/// (`turns[i]` for page `i`), within `limits`. CPU work: call it off the
/// async runtime's threads.
fn upright_pages(bytes: &[u8], turns: &[u8], limits: &Limits) -> Result<Vec<Page>, ReviewError> {
    let budget = Budget::new(limits);
    let mut pages = decode::decode_within(bytes, &budget)
        .map_err(|e| ReviewError::Failed(format!("the stored scan cannot be read: {e}")))?
        .pages;
    for (page, turn) in pages.iter_mut().zip(turns) {
        page.turn(*turn);
    }
    Ok(pages)
}

/// Runs CPU work off the async runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ReviewError> + Send + 'static,
) -> Result<T, ReviewError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ReviewError::Failed(format!("the work stopped: {e}")))?
}

/// The stored scan of a submission.
async fn scan<S: ObjectStore>(store: &S, submission_id: &str) -> Result<Vec<u8>, ReviewError> {
    let key = ObjectKind::Scan.key_for_sha256(submission_id);
    store
        .get(&key)
        .await?
        .ok_or_else(|| ReviewError::Failed(format!("the scan of {submission_id} is not stored")))
}

/// The page as it was read (turned upright as the result shows it), PNG,
/// within the pixel limits.
pub async fn page_png<Q: Registry, S: ObjectStore>(
    services: &Services<Q, S>,
    submission_id: &str,
    n: usize,
) -> Result<Vec<u8>, ReviewError> {
    job_of(services.queue.as_ref(), submission_id).await?;
    let turns: Vec<u8> = sidecar(services.store.as_ref(), submission_id)
        .await?
        .map(|s| s.pages.iter().map(|p| p.quarter_turns).collect())
        .unwrap_or_default();
    let bytes = scan(services.store.as_ref(), submission_id).await?;
    let limits = services.pipeline.limits;
    let id = submission_id.to_string();
    blocking(move || {
        let pages = upright_pages(&bytes, &turns, &limits)?;
        let page = n
            .checked_sub(1)
            .and_then(|i| pages.get(i))
            .ok_or_else(|| ReviewError::NotFound(format!("{id} has no page {n}")))?;
        let mut png = std::io::Cursor::new(Vec::new());
        page.image
            .write_to(&mut png, image::ImageFormat::Png)
            .map_err(|e| ReviewError::Failed(format!("page {n} cannot be encoded: {e}")))?;
        Ok(png.into_inner())
    })
    .await
}

/// The record a person approves: the record read with the values given
/// (each normalized by its field's form, then the whole checked against the
/// schema), and which fields were corrected and which confirmed.
pub fn approved_record(
    read: &Record,
    given: &Map<String, Value>,
) -> Result<(Record, Vec<String>, Vec<String>), ReviewError> {
    let Some(doc_type) = read.doc_type else {
        return Err(invalid(
            "doc_type",
            "the document type was not recognised; such a submission can only be rejected",
        ));
    };
    let schema = doc_type.schema();
    let mut record = read.clone();
    let (mut corrected, mut confirmed) = (Vec::new(), Vec::new());
    for (name, value) in given {
        let Some(spec) = schema.field(name) else {
            return Err(invalid(
                name,
                format!("{} has no such field", doc_type.as_str()),
            ));
        };
        let raw = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(invalid(name, "give the value as text")),
        };
        let read_value = read.fields.get(name);
        let as_read = |v: &Value| {
            v == value
                || match v {
                    Value::String(s) => s == raw.trim(),
                    other => raw.trim().parse::<Value>().is_ok_and(|p| p == *other),
                }
        };
        let new = if read_value.is_some_and(as_read) {
            // The value as read (and shown), given back unchanged.
            read_value.cloned()
        } else if raw.trim().is_empty() {
            if spec.required {
                return Err(invalid(name, "the field is required: it cannot be empty"));
            }
            None
        } else {
            match crate::normalize::by_form(spec.form, &raw) {
                Ok(v) => Some(v),
                // A value typed in its normalized form (`2019-08-15`) is
                // taken when the schema accepts it as it is.
                Err(e) => {
                    let text = raw.trim();
                    let mut typed = vec![Value::String(text.to_string())];
                    if let Ok(n) = text.parse::<serde_json::Number>() {
                        typed.push(Value::Number(n));
                    }
                    let accepted = typed.into_iter().find(|t| {
                        let probe = BTreeMap::from([(name.clone(), t.clone())]);
                        !schema
                            .field_errors(&probe)
                            .into_iter()
                            .any(|(f, _)| f == *name)
                    });
                    match accepted {
                        Some(t) => Some(t),
                        None => return Err(invalid(name, e.to_string())),
                    }
                }
            }
        };
        if new.as_ref() == read.fields.get(name) {
            confirmed.push(name.clone());
        } else {
            corrected.push(name.clone());
        }
        match new {
            Some(v) => {
                record.fields.insert(name.clone(), v);
                record.confidence.fields.insert(name.clone(), 1.0);
            }
            None => {
                record.fields.remove(name);
                record.confidence.fields.remove(name);
            }
        }
    }
    if let Some((field, rule)) = schema.field_errors(&record.fields).into_iter().next() {
        return Err(invalid(&field, rule));
    }
    // Approving confirms the fields up for review that were left as read.
    for name in &read.needs_review {
        if !given.contains_key(name) && record.fields.contains_key(name) {
            confirmed.push(name.clone());
            record.confidence.fields.insert(name.clone(), 1.0);
        }
    }
    corrected.sort();
    confirmed.sort();
    record.needs_review.clear();
    record.review_reasons.clear();
    record.places.clear();
    Ok((record, corrected, confirmed))
}

/// What building a document from a decision needs, loaded before the
/// decision is recorded so that a recorded decision can always be completed.
struct Inputs {
    scan: Vec<u8>,
    words: Vec<OcrPage>,
    turns: Vec<u8>,
}

async fn inputs<S: ObjectStore>(store: &S, submission_id: &str) -> Result<Inputs, ReviewError> {
    let version = crate::pipeline_version();
    let missing = || {
        ReviewError::Failed(format!(
            "the review data of {submission_id} is not stored (it was processed by an older \
             version); process it again with `submit --force` before approving"
        ))
    };
    let sidecar = sidecar(store, submission_id).await?.ok_or_else(missing)?;
    let key = ObjectKind::Words.key_for_submission(submission_id, version);
    let words = store.get(&key).await?.ok_or_else(missing)?;
    let words = serde_json::from_slice(&words)
        .map_err(|e| ReviewError::Failed(format!("OCR words of {submission_id}: {e}")))?;
    Ok(Inputs {
        scan: scan(store, submission_id).await?,
        words,
        turns: sidecar.pages.iter().map(|p| p.quarter_turns).collect(),
    })
}

/// A refusal for a decision that already stands.
fn decided_already(d: &Decision) -> ReviewError {
    let at = crate::model::format_rfc3339(d.decided_at.div_euclid(1000));
    let what = match d.kind {
        DecisionKind::Approve => "approved",
        DecisionKind::Reject => "rejected",
    };
    ReviewError::Conflict(format!(
        "{} was already {what} by {} at {at}",
        d.submission_id, d.actor
    ))
}

fn not_in_review(submission_id: &str, state: Option<JobState>) -> ReviewError {
    match state {
        None => ReviewError::NotFound(format!("no submission {submission_id}")),
        Some(s) => ReviewError::Conflict(format!(
            "{submission_id} is {}, not waiting for review",
            s.as_str()
        )),
    }
}

/// Seals and issues with the reviewer's values. `fields` holds the values
/// the reviewer saw and possibly changed (any field of the schema; a field
/// not given keeps the value read). The manifest records who approved and
/// which fields were corrected and which confirmed.
///
/// When an earlier approval of the submission was recorded but not
/// completed (it was interrupted), that approval is completed; the result
/// is its document when the values given now are the same, and a conflict
/// otherwise.
pub async fn approve<Q: Jobs + Registry + Reviews + LogEntries + ResultCodes, S: ObjectStore>(
    services: &Services<Q, S>,
    submission_id: &str,
    fields: &Map<String, Value>,
    actor: &str,
) -> Result<DocumentRow, ReviewError> {
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(invalid(
            "approved_by",
            "give the name of the person approving",
        ));
    }
    let queue = services.queue.as_ref();
    let version = crate::pipeline_version();
    let job = job_of(queue, submission_id).await?;
    let mut standing = queue.decision(submission_id, version).await?;
    let mut asked = None;
    if standing.is_none() {
        if job.state != JobState::NeedsReview {
            return Err(not_in_review(submission_id, Some(job.state)));
        }
        let read = record_of(&job)?
            .ok_or_else(|| ReviewError::Failed(format!("{submission_id} has no record")))?;
        let (record, corrected, confirmed) = approved_record(&read, fields)?;
        // Everything the document is built from is there before the
        // decision is recorded.
        inputs(services.store.as_ref(), submission_id).await?;
        let record_value = serde_json::to_value(&record)
            .map_err(|e| ReviewError::Failed(format!("the record cannot be written: {e}")))?;
        let detail = json!({
            "record": record_value,
            "corrected": corrected,
            "confirmed": confirmed,
        });
        asked = Some(record_value);
        standing = match queue
            .record_approval(submission_id, version, actor, &detail)
            .await?
        {
            Decided::Recorded(d) | Decided::Standing(d) => Some(d),
            Decided::NotInReview(state) => return Err(not_in_review(submission_id, state)),
        };
    }
    let Some(decision) = standing else {
        return Err(not_in_review(submission_id, None));
    };
    if decision.kind != DecisionKind::Approve || decision.completed_at.is_some() {
        return Err(decided_already(&decision));
    }
    // A decision recorded by an interrupted approval is completed as it was
    // recorded; the values given now count only if they are the same.
    let asked = match asked {
        Some(a) => Some(a),
        None => match record_of(&job)? {
            Some(read) => approved_record(&read, fields)
                .ok()
                .and_then(|(r, _, _)| serde_json::to_value(r).ok()),
            None => None,
        },
    };
    let same = asked.as_ref() == decision.detail.get("record") && decision.actor == actor;
    let document = complete(services, &decision).await?;
    if same {
        Ok(document)
    } else {
        Err(ReviewError::Conflict(format!(
            "an approval of {submission_id} by {} recorded earlier was completed as recorded \
             (document {}); the values given now were not used",
            decision.actor, document.document_id
        )))
    }
}

/// Builds, stores, logs and registers the document of a recorded approval.
/// Deterministic: the same decision gives the same bytes, so completing it
/// again rewrites the same objects and log entry.
async fn complete<Q: Registry + Reviews + LogEntries + ResultCodes, S: ObjectStore>(
    services: &Services<Q, S>,
    decision: &Decision,
) -> Result<DocumentRow, ReviewError> {
    let id = decision.submission_id.clone();
    let record: Record = decision
        .detail
        .get("record")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ReviewError::Failed(format!("the recorded approval of {id}: {e}")))?
        .ok_or_else(|| {
            ReviewError::Failed(format!("the recorded approval of {id} has no record"))
        })?;
    let names = |key: &str| -> Vec<String> {
        decision.detail[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let issued_at = IssuedAt::from_unix_seconds(decision.decided_at.div_euclid(1000));
    let review = ManifestReview {
        approved_by: decision.actor.clone(),
        approved_at: issued_at,
        corrected: names("corrected"),
        confirmed: names("confirmed"),
    };
    let inputs = inputs(services.store.as_ref(), &id).await?;
    let issuing = services.issuing();
    let version = decision.pipeline_version.clone();
    let record_json = serde_json::to_string(&record)
        .map_err(|e| ReviewError::Failed(format!("the record cannot be written: {e}")))?;
    let source = id.clone();
    let dossier = services
        .queue
        .result_for(&pipeline::document_id(&id, &version), &id)
        .await?;
    let issued: Issued = blocking(move || {
        let pages = upright_pages(&inputs.scan, &inputs.turns, &issuing.pipeline.limits)?;
        let analysis = Analysis {
            source_sha256: source,
            media_type: pipeline::media_type(decode::sniff(&inputs.scan)),
            quarter_turns: inputs.turns,
            prepare_steps: Vec::new(),
            pages,
            ocr: inputs.words,
            classified: Classified {
                doc_type: record.doc_type,
                confidence: record.confidence.doc_type,
                evidence: Evidence::default(),
            },
            record,
        };
        let ctx = IssueContext {
            issuer: &issuing.issuer,
            issued_at,
            credentials: &issuing.credentials,
            fonts: &issuing.fonts,
            pipeline_version: &version,
            pdf_signature: issuing.pipeline.pdf_signature,
        };
        let mut manifest = pipeline::manifest(&analysis, &ctx);
        manifest.review = Some(review);
        manifest.dossier = dossier;
        pipeline::issue_manifest(&analysis, manifest, &ctx)
            .map_err(|e| ReviewError::Failed(format!("the document cannot be issued: {e}")))
    })
    .await?;
    let row = crate::worker::document_row(&id, &issued);
    let record_key = ObjectKind::Record.key_for(record_json.as_bytes());
    let store = services.store.as_ref();
    store.put(&record_key, record_json.clone()).await?;
    store.put(&row.pdf_key, issued.pdf).await?;
    services
        .queue
        .append(EntryKind::Document, &row.document_id, &issued.attachment)
        .await?;
    if !services
        .queue
        .complete_approval(decision, &row, &record_json, &record_key)
        .await?
    {
        return Err(ReviewError::Conflict(format!(
            "{id} is no longer waiting for review"
        )));
    }
    Ok(services
        .queue
        .document(&row.document_id)
        .await?
        .unwrap_or(row))
}

/// Refuses a submission in review for `reason`: nothing is issued, and the
/// job ends `rejected`.
pub async fn reject<Q: Registry + Reviews, S: ObjectStore>(
    services: &Services<Q, S>,
    submission_id: &str,
    reason: &str,
    actor: &str,
) -> Result<(), ReviewError> {
    let (reason, actor) = (reason.trim(), actor.trim());
    if reason.is_empty() {
        return Err(invalid("reason", "give the reason for rejecting"));
    }
    if actor.is_empty() {
        return Err(invalid(
            "rejected_by",
            "give the name of the person rejecting",
        ));
    }
    let queue = services.queue.as_ref();
    job_of(queue, submission_id).await?;
    match queue
        .reject(submission_id, crate::pipeline_version(), actor, reason)
        .await?
    {
        Decided::Recorded(_) => Ok(()),
        Decided::Standing(d) => Err(decided_already(&d)),
        Decided::NotInReview(state) => Err(not_in_review(submission_id, state)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DocType;

    fn read() -> Record {
        let mut r = Record::unknown(0.9);
        r.doc_type = Some(DocType::BirthCertificate);
        r.fields.insert("full_name".into(), json!("NGUYỄN VĂN AN"));
        r.confidence.fields.insert("full_name".into(), 0.4);
        r.flag("full_name", ReviewReason::LowConfidence);
        r
    }

    #[test]
    fn every_reason_reads_in_both_languages() {
        for r in ReviewReason::ALL {
            let v = ReasonView::of(Some(r.code()));
            assert_eq!(v.code, r.code());
            assert!(!v.en.is_empty() && !v.vi.is_empty());
        }
        assert_eq!(ReasonView::of(Some("nonsense")).code, "check");
    }

    #[test]
    fn a_malformed_value_is_refused_naming_the_field() {
        let mut given = Map::new();
        given.insert("date_of_birth".into(), json!("31/02/2020"));
        match approved_record(&read(), &given) {
            Err(ReviewError::Invalid { field, rule }) => {
                assert_eq!(field, "date_of_birth");
                assert!(rule.contains("calendar"), "{rule}");
            }
            other => panic!("{other:?}"),
        }
        let mut given = Map::new();
        given.insert("shoe_size".into(), json!("42"));
        assert!(matches!(
            approved_record(&read(), &given),
            Err(ReviewError::Invalid { field, .. }) if field == "shoe_size"
        ));
    }
}
