//! TEMPORARY: contract stubs, replaced by the real implementations on merge.
#![allow(missing_docs, dead_code, clippy::all)]
use serde::{Deserialize, Serialize};
use std::future::Future;
use crate::queue::QueueError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionMeta { pub dossier_code: Option<String>, pub procedure_code: Option<String>, pub operator: Option<String> }
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem { pub submission_id: String, pub name: String, pub doc_type: String, pub needs_review: Vec<String>, pub finished_at: i64, pub meta: SubmissionMeta }
pub trait Reviews: Send + Sync + 'static {
    fn set_meta(&self, submission_id: &str, meta: &SubmissionMeta) -> impl Future<Output = Result<(), QueueError>> + Send;
    fn review_queue(&self, version: &str, doc_type: Option<&str>, after: Option<(i64, &str)>, limit: u32) -> impl Future<Output = Result<Vec<ReviewItem>, QueueError>> + Send;
}
impl Reviews for crate::queue::AnyQueue {
    async fn set_meta(&self, _: &str, _: &SubmissionMeta) -> Result<(), QueueError> { todo!() }
    async fn review_queue(&self, _: &str, _: Option<&str>, _: Option<(i64, &str)>, _: u32) -> Result<Vec<ReviewItem>, QueueError> { todo!() }
}
