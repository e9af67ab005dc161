//! TEMPORARY: contract stubs, replaced by the real implementations on merge.
#![allow(missing_docs, dead_code, clippy::all)]
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;
use crate::queue::QueueError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role { Clerk, Reviewer, Admin }
impl Role {
    pub fn as_str(self) -> &'static str { match self { Role::Clerk => "clerk", Role::Reviewer => "reviewer", Role::Admin => "admin" } }
    pub fn may(self, a: Action) -> bool { match self { Role::Admin => true, Role::Reviewer => !matches!(a, Action::Revoke | Action::ManageUsers | Action::ReadAudit), Role::Clerk => matches!(a, Action::Read | Action::Upload) } }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action { Read, Upload, Review, Revoke, ManageUsers, ReadAudit }
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User { pub name: String, pub role: Role, pub disabled: bool, pub created_at: i64 }
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session { pub user: User, pub csrf_token: String, pub expires_at: i64 }
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry { pub seq: i64, pub at: i64, pub actor: String, pub action: String, pub subject: String, pub before: Option<serde_json::Value>, pub after: Option<serde_json::Value> }
pub struct NewAudit<'a> { pub actor: &'a str, pub action: &'a str, pub subject: &'a str, pub before: Option<&'a serde_json::Value>, pub after: Option<&'a serde_json::Value> }
pub trait Staff: Send + Sync + 'static {
    fn user_for_token(&self, token_sha256: &str) -> impl Future<Output = Result<Option<User>, QueueError>> + Send;
    fn open_session(&self, session_sha256: &str, user: &str, csrf_token: &str, ttl: Duration) -> impl Future<Output = Result<(), QueueError>> + Send;
    fn session(&self, session_sha256: &str) -> impl Future<Output = Result<Option<Session>, QueueError>> + Send;
    fn close_session(&self, session_sha256: &str) -> impl Future<Output = Result<(), QueueError>> + Send;
    fn audit(&self, entry: &NewAudit<'_>) -> impl Future<Output = Result<(), QueueError>> + Send;
    fn audit_log(&self, after: i64, limit: u32) -> impl Future<Output = Result<Vec<AuditEntry>, QueueError>> + Send;
}
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionMeta { pub dossier_code: Option<String>, pub procedure_code: Option<String>, pub operator: Option<String> }
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem { pub submission_id: String, pub name: String, pub doc_type: String, pub needs_review: Vec<String>, pub finished_at: i64, pub meta: SubmissionMeta }
pub trait Reviews: Send + Sync + 'static {
    fn set_meta(&self, submission_id: &str, meta: &SubmissionMeta) -> impl Future<Output = Result<(), QueueError>> + Send;
    fn review_queue(&self, version: &str, doc_type: Option<&str>, after: Option<(i64, &str)>, limit: u32) -> impl Future<Output = Result<Vec<ReviewItem>, QueueError>> + Send;
}
impl Staff for crate::queue::AnyQueue {
    async fn user_for_token(&self, _: &str) -> Result<Option<User>, QueueError> { todo!() }
    async fn open_session(&self, _: &str, _: &str, _: &str, _: Duration) -> Result<(), QueueError> { todo!() }
    async fn session(&self, _: &str) -> Result<Option<Session>, QueueError> { todo!() }
    async fn close_session(&self, _: &str) -> Result<(), QueueError> { todo!() }
    async fn audit(&self, _: &NewAudit<'_>) -> Result<(), QueueError> { todo!() }
    async fn audit_log(&self, _: i64, _: u32) -> Result<Vec<AuditEntry>, QueueError> { todo!() }
}
impl Reviews for crate::queue::AnyQueue {
    async fn set_meta(&self, _: &str, _: &SubmissionMeta) -> Result<(), QueueError> { todo!() }
    async fn review_queue(&self, _: &str, _: Option<&str>, _: Option<(i64, &str)>, _: u32) -> Result<Vec<ReviewItem>, QueueError> { todo!() }
}
