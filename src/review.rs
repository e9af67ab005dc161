//! TEMPORARY stub, replaced on merge.
#![allow(missing_docs, dead_code, clippy::all)]
use serde::Serialize;
use crate::queue::{AnyQueue, DocumentRow, JobState, SubmissionMeta};
use crate::store::AnyStore;
use crate::worker::Services;
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0}")] NotFound(String),
    #[error("{0}")] Conflict(String),
    #[error("{field}: {rule}")] Invalid { field: String, rule: String },
    #[error("{0}")] Failed(String),
}
#[derive(Debug, Serialize)]
pub struct SubmissionView { pub submission_id: String, pub name: String, pub state: JobState, pub error: Option<String>, pub doc_type: String, pub record: Option<serde_json::Value>, pub fields: Vec<FieldView>, pub pages: Vec<PageSize>, pub document_id: Option<String>, pub meta: SubmissionMeta, pub decision: Option<serde_json::Value> }
#[derive(Debug, Serialize)]
pub struct FieldView { pub name: String, pub label: String, pub required: bool, pub form: String, pub value: Option<serde_json::Value>, pub confidence: Option<f32>, pub review: Option<ReasonView>, pub page: Option<usize>, pub bbox: Option<[u32; 4]> }
#[derive(Debug, Serialize)]
pub struct ReasonView { pub code: &'static str, pub en: String, pub vi: String }
#[derive(Debug, Serialize)]
pub struct PageSize { pub n: usize, pub width: u32, pub height: u32 }
pub async fn show(_: &Services<AnyQueue, AnyStore>, _: &str) -> Result<SubmissionView, ReviewError> { todo!() }
pub async fn page_png(_: &Services<AnyQueue, AnyStore>, _: &str, _: usize) -> Result<Vec<u8>, ReviewError> { todo!() }
pub async fn approve(_: &Services<AnyQueue, AnyStore>, _: &str, _: &serde_json::Map<String, serde_json::Value>, _: &str) -> Result<DocumentRow, ReviewError> { todo!() }
pub async fn reject(_: &Services<AnyQueue, AnyStore>, _: &str, _: &str, _: &str) -> Result<(), ReviewError> { todo!() }
