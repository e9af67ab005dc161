//! The JSON API under `/v1`, and the OpenAPI 3.1 document made from these
//! handlers' annotations (`/v1/openapi.json`).
//!
//! Staff routes take `Authorization: Bearer TOKEN` (or the desk's session
//! cookie, with the CSRF header on changes); `POST /v1/verify` and
//! `GET /v1/documents/{id}/status` are public and rate-limited.
//! `GET /v1/records` and `GET /v1/prefill` are for other agencies' systems
//! (a `system` user's token, the `records:read` scope); every call to them,
//! answered or refused, is audited.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::auth::{Caller, MaybeCaller};
use super::error::{from_rejection, ApiError, ErrorBody};
use super::public::{self, Input};
use super::{
    App, AppState, BODY_TIMEOUT, MAX_SMALL_BODY, MAX_VERIFY_BODY, REQUEST_TIMEOUT, UPLOAD_TIMEOUT,
};
use crate::queue::{
    Action, Channel, DocumentRow, DocumentStatus, Jobs, NewAudit, Records, Registry, ResultCodes,
    Reviews, Staff, Stats, SubmissionMeta, Timeline,
};
use crate::store::ObjectStore;

/// The longest document id the API accepts.
const MAX_DOCUMENT_ID_LEN: usize = 64;
/// The most items of the review queue one request returns.
const MAX_REVIEW_LIMIT: u32 = 200;

/// Whether `id` can be a document id (`DS-` and letters, digits, `-`).
pub fn valid_document_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_DOCUMENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `id` can be a submission id (64 lowercase hexadecimal digits).
pub fn valid_submission_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_submission_id(id: &str) -> Result<(), ApiError> {
    if valid_submission_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "no such submission: an id is 64 hexadecimal digits",
        ))
    }
}

fn check_document_id(id: &str) -> Result<(), ApiError> {
    if valid_document_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "no such document: an id is `DS-` and up to 64 letters, digits or `-`",
        ))
    }
}

/// JSON in, with refusals in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(from_rejection(r.status(), r.body_text())),
        }
    }
}

/// The public `/v1` routes (verification and status, rate-limited) and the
/// operational ones.
pub fn public_routes(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/v1/verify", post(verify))
        .route("/v1/documents/{id}/status", get(document_status))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            public::rate_limit,
        ))
        .layer(DefaultBodyLimit::max(MAX_VERIFY_BODY))
        .merge(
            Router::new()
                .route("/v1/openapi.json", get(openapi))
                .route("/healthz", get(healthz))
                .route("/readyz", get(readyz))
                .route("/metrics", get(metrics))
                .layer(DefaultBodyLimit::max(MAX_SMALL_BODY)),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
}

/// Every `/v1` route and the operational ones.
pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    let upload_limit = usize::try_from(app.max_scan_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    let uploads = Router::new()
        .route("/v1/submissions", post(create_submissions))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            UPLOAD_TIMEOUT,
        ));
    let staff = Router::new()
        .route("/v1/submissions/{id}", get(get_submission))
        .route("/v1/submissions/{id}/pages/{n}", get(get_page))
        .route("/v1/submissions/{id}/approve", post(approve))
        .route("/v1/submissions/{id}/reject", post(reject))
        .route("/v1/review", get(review_queue))
        .route("/v1/documents/{id}", get(get_document))
        .route("/v1/documents/{id}/pdf", get(get_pdf))
        .route("/v1/documents/{id}/revoke", post(revoke))
        .route("/v1/stats", get(stats))
        .route("/v1/audit", get(audit))
        .route("/v1/report", get(report))
        .route("/v1/records", get(records))
        .route("/v1/prefill", get(prefill))
        .layer(DefaultBodyLimit::max(MAX_SMALL_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    Router::new()
        .merge(staff)
        .merge(uploads)
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .merge(public_routes(app))
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "docseal",
        description = "Scanned submissions in; typed records and signed, verifiable result documents out. Staff routes take `Authorization: Bearer TOKEN` (from `docseal users add`).",
    ),
    paths(
        create_submissions, get_submission, get_page, review_queue, approve, reject,
        get_document, get_pdf, document_status, revoke, verify, stats, report, audit,
        records, prefill, healthz, readyz, metrics
    ),
    components(schemas(
        ErrorBody, Created, CreatedItem, ApproveRequest, Approved, RejectRequest, RevokeRequest,
        QrRequest, ReviewPage, DocumentView, StatsView
    )),
    modifiers(&BearerAuth),
    tags((name = "submissions"), (name = "review"), (name = "documents"), (name = "public"), (name = "operations"), (name = "reuse"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// What an upload queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// One item per file, in the order sent.
    pub submissions: Vec<CreatedItem>,
}

/// One uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedItem {
    /// The submission id: SHA-256 of the file.
    pub id: String,
    /// The file's name.
    pub name: String,
    /// Its media type as sniffed.
    pub media_type: String,
    /// `queued`, or the state of the same file submitted before.
    pub state: String,
    /// Whether the same bytes had been submitted before.
    pub duplicate: bool,
    /// Where to follow it.
    pub href: String,
}

/// Reads an upload: every `files` part (each at most the scan limit, the
/// whole body too) and the optional metadata parts.
/// What an upload brings: its files, their dossier and procedure, and how
/// they reached the office.
type Upload = (Vec<(String, Vec<u8>)>, SubmissionMeta, Channel);

async fn read_upload(app: &App, mut form: Multipart) -> Result<Upload, ApiError> {
    let mut files = Vec::new();
    let mut meta = SubmissionMeta::default();
    let mut channel = Channel::Desk;
    let err =
        |e: axum::extract::multipart::MultipartError| from_rejection(e.status(), e.body_text());
    while let Some(mut field) = form.next_field().await.map_err(err)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "files" | "file" => {
                let file_name = field
                    .file_name()
                    .map(sanitize_name)
                    .unwrap_or_else(|| format!("upload-{}", files.len() + 1));
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(err)? {
                    if (bytes.len() + chunk.len()) as u64 > app.max_scan_bytes {
                        return Err(ApiError::too_large(format!(
                            "{file_name}: larger than the limit of {} bytes for one scan",
                            app.max_scan_bytes
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                files.push((file_name, bytes));
            }
            "channel" => {
                let text = field.text().await.map_err(err)?;
                channel = Channel::parse(&text).map_err(|e| ApiError::invalid(&name, &e))?;
            }
            "dossier_code" | "procedure_code" | "operator" => {
                let text = field.text().await.map_err(err)?;
                let text = text.trim();
                if text.chars().count() > 128 || text.chars().any(char::is_control) {
                    return Err(ApiError::invalid(
                        &name,
                        "at most 128 characters, without control characters",
                    ));
                }
                let value = (!text.is_empty()).then(|| text.to_string());
                // The codes are checked by the validator `docseal submit` uses.
                let value = match (name.as_str(), value) {
                    ("dossier_code", Some(v)) => Some(
                        crate::dossier::dossier_code(&v)
                            .map_err(|e| ApiError::invalid(&name, &e.to_string()))?,
                    ),
                    ("procedure_code", Some(v)) => Some(
                        crate::dossier::procedure_code(&v)
                            .map_err(|e| ApiError::invalid(&name, &e.to_string()))?,
                    ),
                    (_, v) => v,
                };
                match name.as_str() {
                    "dossier_code" => meta.dossier_code = value,
                    "procedure_code" => meta.procedure_code = value,
                    _ => meta.operator = value,
                }
            }
            _ => {}
        }
    }
    Ok((files, meta, channel))
}

/// A file name as given, without its directories and control characters,
/// at most 200 characters.
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "upload".to_string()
    } else {
        clean
    }
}

/// Takes in uploaded files (shared by the API and the desk's upload page).
pub async fn upload(app: &App, caller: &Caller, form: Multipart) -> Result<Created, ApiError> {
    let _slot = app
        .upload_slots
        .acquire()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let (files, meta, channel) = read_upload(app, form).await?;
    if files.is_empty() {
        return Err(ApiError::bad_request(
            "send one or more scans as `files` parts of a multipart/form-data body",
        ));
    }
    for (name, bytes) in &files {
        if bytes.is_empty() {
            return Err(ApiError::bad_request(format!("{name}: the file is empty")));
        }
        if crate::decode::sniff(bytes).is_none() {
            return Err(ApiError::unsupported(format!(
                "{name}: not a PNG, JPEG, TIFF or PDF scan"
            )));
        }
    }
    let queue = app.queue.as_ref();
    let store = app.store.as_ref();
    let mut out = Vec::new();
    for (name, bytes) in files {
        // Recorded before the job is queued, so a worker never issues the
        // document without its dossier's result code.
        if meta != SubmissionMeta::default() {
            queue
                .set_meta(&crate::store::sha256_hex(&bytes), &meta)
                .await?;
        }
        if channel == Channel::Online {
            crate::queue::Intake::set_channel(queue, &crate::store::sha256_hex(&bytes), channel)
                .await?;
        }
        let taken = crate::intake::take_in(queue, store, &name, bytes, false)
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        use crate::queue::Submitted;
        let (state, duplicate) = match taken.submitted {
            Submitted::Queued | Submitted::Requeued => ("queued".to_string(), false),
            Submitted::AlreadyKnown(s) => (s.as_str().to_string(), true),
        };
        if !duplicate {
            let after = json!({ "name": name, "media_type": taken.media_type, "meta": meta });
            caller
                .audit(app, "submission.upload", &taken.id, None, Some(&after))
                .await;
        }
        out.push(CreatedItem {
            href: format!("/v1/submissions/{}", taken.id),
            id: taken.id,
            name,
            media_type: taken.media_type.to_string(),
            state,
            duplicate,
        });
    }
    Ok(Created { submissions: out })
}

/// Upload scans.
///
/// A `multipart/form-data` body with one or more `files` parts and, optionally,
/// `dossier_code`, `procedure_code` and `operator`. Each file is stored, then
/// queued; the same bytes sent again are not queued twice.
#[utoipa::path(post, path = "/v1/submissions", tag = "submissions",
    security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", content = String, description = "`files` (one or more scans), `dossier_code`, `procedure_code`, `operator`, `channel` (`desk`, the default, or `online`)"),
    responses(
        (status = 202, description = "Queued", body = Created),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_submissions(
    State(app): AppState,
    caller: Caller,
    headers: HeaderMap,
    req: Request,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    caller.require(Action::Upload, "upload scans")?;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::unsupported(
            "send the scans as multipart/form-data with `files` parts",
        ));
    }
    let form = Multipart::from_request(req, &())
        .await
        .map_err(|e| from_rejection(e.status(), e.body_text()))?;
    let created = upload(&app, &caller, form).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

/// A submission: its state, its record, the reasons each doubtful field goes
/// to review (a code and plain words), its document and links.
#[utoipa::path(get, path = "/v1/submissions/{id}", tag = "submissions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id (SHA-256 of the scan)")),
    responses((status = 200, description = "The submission", body = Object),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_submission(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::Read, "read submissions")?;
    check_submission_id(&id)?;
    let view = crate::review::show(app.issuing()?, &id).await?;
    let mut v = serde_json::to_value(&view).map_err(|e| ApiError::internal(&e))?;
    let pages: Vec<String> = view
        .pages
        .iter()
        .map(|p| format!("/v1/submissions/{id}/pages/{}", p.n))
        .collect();
    let mut links = json!({ "self": format!("/v1/submissions/{id}"), "pages": pages,
        "desk": format!("/desk/submissions/{id}") });
    if let Some(doc) = &view.document_id {
        links["document"] = json!(format!("/v1/documents/{doc}"));
        links["pdf"] = json!(format!("/v1/documents/{doc}/pdf"));
        links["public"] = json!(format!("/d/{doc}"));
    }
    v["links"] = links;
    // A document split out of a multi-document scan names the scan and its pages.
    if let Some(part) = crate::queue::Intake::part_source(app.queue.as_ref(), &id).await? {
        v["split_from"] = json!({ "source_id": part.source_id,
            "first_page": part.first_page, "last_page": part.last_page });
    }
    Ok(Json(v))
}

/// A page of the submission as it was read, as PNG, for review.
#[utoipa::path(get, path = "/v1/submissions/{id}/pages/{n}", tag = "review",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id"), ("n" = usize, Path, description = "Page number, from 1")),
    responses((status = 200, description = "PNG", content_type = "image/png", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_page(
    State(app): AppState,
    caller: Caller,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, ApiError> {
    caller.require(Action::Read, "read submissions")?;
    check_submission_id(&id)?;
    if n == 0 {
        return Err(ApiError::not_found("pages are numbered from 1"));
    }
    let png = crate::review::page_png(app.issuing()?, &id, n).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        png,
    )
        .into_response())
}

/// Query of the review queue.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// Only this document type.
    doc_type: Option<String>,
    /// At most this many (default 50, at most 200).
    limit: Option<u32>,
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
}

/// One page of the review queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    /// The records waiting, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<crate::queue::ReviewItem>,
    /// Give this as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn parse_cursor(c: &str) -> Option<(i64, String)> {
    let (at, id) = c.split_once('.')?;
    let at = at.parse().ok()?;
    valid_submission_id(id).then(|| (at, id.to_string()))
}

/// Reads a page of the review queue (shared by the API and the desk).
pub async fn review_page(
    app: &App,
    doc_type: Option<&str>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ReviewPage, ApiError> {
    let after = match cursor {
        None | Some("") => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            ApiError::invalid("cursor", "give the `next_cursor` of an earlier page")
        })?),
    };
    if let Some(t) = doc_type {
        if t.parse::<crate::schema::DocType>().is_err() {
            return Err(ApiError::invalid("doc_type", "not a known document type"));
        }
    }
    let limit = limit.clamp(1, MAX_REVIEW_LIMIT);
    let items = app
        .queue
        .review_queue(
            crate::pipeline_version(),
            doc_type,
            after.as_ref().map(|(at, id)| (*at, id.as_str())),
            limit,
        )
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| {
            items
                .last()
                .map(|i| format!("{}.{}", i.finished_at, i.submission_id))
        })
        .flatten();
    Ok(ReviewPage { items, next_cursor })
}

/// The review queue: records waiting for a person, oldest first.
#[utoipa::path(get, path = "/v1/review", tag = "review",
    security(("bearer" = [])), params(ReviewQuery),
    responses((status = 200, body = ReviewPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn review_queue(
    State(app): AppState,
    caller: Caller,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<ReviewPage>, ApiError> {
    caller.require(Action::Read, "read the review queue")?;
    let page = review_page(
        &app,
        q.doc_type.as_deref(),
        q.limit.unwrap_or(50),
        q.cursor.as_deref(),
    )
    .await?;
    Ok(Json(page))
}

/// The values a reviewer approves.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApproveRequest {
    /// Field values as the reviewer saw and possibly corrected them; a
    /// field not given keeps the value read.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, Value>,
}

/// An approval's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    /// The document issued.
    pub document_id: String,
    /// Where it is.
    #[schema(value_type = Object)]
    pub links: Value,
}

fn document_links(id: &str) -> Value {
    json!({
        "document": format!("/v1/documents/{id}"),
        "pdf": format!("/v1/documents/{id}/pdf"),
        "status": format!("/v1/documents/{id}/status"),
        "public": format!("/d/{id}"),
    })
}

/// Approve a record: seal and issue its document with the reviewer's values.
/// The manifest records who approved and which fields were corrected or
/// confirmed. 409 when the submission was already decided.
#[utoipa::path(post, path = "/v1/submissions/{id}/approve", tag = "review",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    request_body = ApproveRequest,
    responses((status = 200, body = Approved), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn approve(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApproveRequest>,
) -> Result<Json<Approved>, ApiError> {
    caller.require(Action::Review, "approve records")?;
    check_submission_id(&id)?;
    let row = crate::review::approve(app.issuing()?, &id, &body.fields, &caller.user.name).await?;
    Ok(Json(Approved {
        links: document_links(&row.document_id),
        document_id: row.document_id,
    }))
}

/// Why a record is rejected.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectRequest {
    /// The reason, in plain words.
    pub reason: String,
}

fn check_reason(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::invalid(
            "reason",
            "give a reason of 1 to 1000 characters",
        ));
    }
    Ok(reason)
}

/// Reject a record: nothing is issued; the reason is kept.
#[utoipa::path(post, path = "/v1/submissions/{id}/reject", tag = "review",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    request_body = RejectRequest,
    responses((status = 204, description = "Rejected"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<StatusCode, ApiError> {
    caller.require(Action::Review, "reject records")?;
    check_submission_id(&id)?;
    let reason = check_reason(&body.reason)?;
    crate::review::reject(app.issuing()?, &id, reason, &caller.user.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An issued document, as the registry keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// Document id.
    pub document_id: String,
    /// The submission it came from.
    pub submission_id: String,
    /// Document type.
    pub doc_type: String,
    /// Issue time, RFC 3339.
    pub issued_at: String,
    /// Signing key id.
    pub key_id: String,
    /// SHA-256 of the result PDF.
    pub pdf_sha256: String,
    /// `valid`, `revoked` or `superseded`.
    pub status: String,
    /// Why the status changed.
    pub status_reason: Option<String>,
    /// When it changed, RFC 3339.
    pub status_at: Option<String>,
    /// Where to get it.
    #[schema(value_type = Object)]
    pub links: Value,
    /// The dossier code, procedure code and result code (`<dossier code>-KQ<n>`),
    /// when the document was issued for a dossier.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub dossier: Option<crate::dossier::DossierResult>,
}

impl From<DocumentRow> for DocumentView {
    fn from(d: DocumentRow) -> DocumentView {
        DocumentView {
            links: document_links(&d.document_id),
            issued_at: crate::model::format_rfc3339(d.issued_at),
            status_at: d.status_at.map(crate::model::format_rfc3339),
            document_id: d.document_id,
            submission_id: d.submission_id,
            doc_type: d.doc_type,
            key_id: d.key_id,
            pdf_sha256: d.pdf_sha256,
            status: d.status.as_str().to_string(),
            status_reason: d.status_reason,
            dossier: None,
        }
    }
}

async fn document_row(app: &App, id: &str) -> Result<DocumentRow, ApiError> {
    check_document_id(id)?;
    app.queue
        .document(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no document {id}")))
}

/// An issued document.
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id, DS-…")),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_document(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    caller.require(Action::Read, "read documents")?;
    let mut view: DocumentView = document_row(&app, &id).await?.into();
    view.dossier = app.queue.result_code(&id).await?;
    Ok(Json(view))
}

/// The signed result PDF.
#[utoipa::path(get, path = "/v1/documents/{id}/pdf", tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The signed PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_pdf(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::Read, "read documents")?;
    pdf_response(&app, &id).await
}

/// The result PDF of a document as a download.
pub async fn pdf_response(app: &App, id: &str) -> Result<Response, ApiError> {
    let row = document_row(app, id).await?;
    let pdf = app.store.get(&row.pdf_key).await?.ok_or_else(|| {
        ApiError::internal(&format_args!("the PDF of {id} is missing from the store"))
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.pdf\"", row.document_id),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// Query of a status request.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatusQuery {
    /// The verifier's nonce (up to 64 hexadecimal digits), echoed in the
    /// signed answer.
    nonce: Option<String>,
}

/// The registry's signed statement of a document's status today (public).
#[utoipa::path(get, path = "/v1/documents/{id}/status", tag = "public",
    params(("id" = String, Path, description = "Document id"), StatusQuery),
    responses((status = 200, description = "Signed status (docseal-status/2)", body = Object),
        (status = 404, description = "Signed answer that the document is unknown", body = Object),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn document_status(
    State(app): AppState,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    if !valid_document_id(&id) {
        return Err(ApiError::bad_request(
            "the document id must be 1 to 64 letters, digits, `-` or `_`",
        ));
    }
    let nonce = q.nonce.unwrap_or_default();
    if nonce.len() > crate::status::MAX_NONCE_LEN || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request(
            "the nonce must be at most 64 hexadecimal digits",
        ));
    }
    let answer = public::status_answer(&app, &id, &nonce.to_ascii_lowercase()).await?;
    let code = if answer.statement.status == crate::status::RegistryStatus::Unknown {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok((code, Json(answer)).into_response())
}

/// Why a document is revoked.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The reason verifiers will see.
    pub reason: String,
}

/// Revoke a document (admins): verifiers asking the registry are told it
/// must not be relied on. 409 when it is already revoked.
#[utoipa::path(post, path = "/v1/documents/{id}/revoke", tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id")),
    request_body = RevokeRequest,
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn revoke(
    State(app): AppState,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevokeRequest>,
) -> Result<Json<DocumentView>, ApiError> {
    caller.require(Action::Revoke, "revoke documents")?;
    let reason = check_reason(&body.reason)?;
    let row = revoke_document(&app, &caller, &id, reason).await?;
    Ok(Json(row.into()))
}

/// Revokes a document, logs the revocation and audits it (shared by the API
/// and the desk).
pub async fn revoke_document(
    app: &App,
    caller: &Caller,
    id: &str,
    reason: &str,
) -> Result<DocumentRow, ApiError> {
    let before = document_row(app, id).await?;
    if before.status == DocumentStatus::Revoked {
        return Err(ApiError::conflict(format!("{id} is already revoked")));
    }
    let queue = app.queue.as_ref();
    let row = queue
        .revoke_document(id, reason)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no document {id}")))?;
    let at = row
        .status_at
        .map_or_else(|| "-".to_string(), crate::model::format_rfc3339);
    crate::tlog::entry::log_revocation(
        queue,
        crate::queue::EntryKind::DocumentRevocation,
        id,
        row.status_reason.as_deref().unwrap_or(reason),
        &at,
    )
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let b = json!({ "status": before.status.as_str() });
    let a = json!({ "status": row.status.as_str(), "reason": row.status_reason });
    caller
        .audit(app, "document.revoke", id, Some(&b), Some(&a))
        .await;
    Ok(row)
}

/// A QR seal's text to verify.
#[derive(Debug, Deserialize, ToSchema)]
pub struct QrRequest {
    /// The text of the QR seal, `DS1:…`.
    pub qr: String,
}

/// Verify a result PDF (`application/pdf` body) or a QR seal
/// (`{"qr": "DS1:…"}`): the report of `docseal verify --json`, with this
/// office's registry's word on the document (public).
#[utoipa::path(post, path = "/v1/verify", tag = "public",
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (QrRequest = "application/json"))),
    responses((status = 200, description = "The verification report", body = Object),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn verify(
    State(app): AppState,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let input = if content_type.starts_with("application/pdf") {
        let bytes = Bytes::from_request(req, &())
            .await
            .map_err(|e| from_rejection(e.status(), e.body_text()))?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request("the body is empty: send the PDF"));
        }
        Input::Pdf("document.pdf".to_string(), bytes)
    } else if content_type.starts_with("application/json") {
        let ApiJson(q) = ApiJson::<QrRequest>::from_request(req, &()).await?;
        if q.qr.trim().is_empty() {
            return Err(ApiError::invalid("qr", "give the QR seal's text, DS1:…"));
        }
        Input::Qr(q.qr)
    } else if content_type.starts_with("multipart/form-data") {
        let form = Multipart::from_request(req, &())
            .await
            .map_err(|e| from_rejection(e.status(), e.body_text()))?;
        public::read_verify_form(form).await?
    } else {
        return Err(ApiError::unsupported(
            "send a PDF as application/pdf, or {\"qr\": \"DS1:…\"} as application/json",
        ));
    };
    let report = public::verify(&app, input).await?;
    Ok(Json(report).into_response())
}

/// Counts and timings.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    /// Jobs by state.
    #[schema(value_type = Object)]
    pub counts: BTreeMap<String, u64>,
    /// Finished jobs by day, document type and state (the last 30 days).
    #[schema(value_type = Vec<Object>)]
    pub daily: Vec<crate::queue::DailyCount>,
    /// Median processing time of the last 1,000 finished jobs, seconds.
    pub p50_secs: Option<f64>,
    /// 95th percentile of the same.
    pub p95_secs: Option<f64>,
    /// Records waiting for review.
    pub review_backlog: u64,
    /// The record waiting longest for review.
    #[schema(value_type = Object)]
    pub oldest_review: Option<Value>,
    /// Jobs finished in the last 10 minutes.
    pub finished_last_10_min: u64,
    /// Age of the oldest queued job, seconds.
    pub oldest_waiting_secs: Option<i64>,
}

/// Counts by state, per type and per day, processing times, review backlog.
#[utoipa::path(get, path = "/v1/stats", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, body = StatsView), (status = 401, body = ErrorBody)))]
async fn stats(State(app): AppState, caller: Caller) -> Result<Json<StatsView>, ApiError> {
    caller.require(Action::Read, "read statistics")?;
    let queue = app.queue.as_ref();
    let s = queue.status().await?;
    let b = queue.breakdown(30).await?;
    let counts = BTreeMap::from([
        ("received".to_string(), s.received),
        ("queued".to_string(), s.queued),
        ("processing".to_string(), s.processing),
        ("issued".to_string(), s.issued),
        ("needs_review".to_string(), s.needs_review),
        ("rejected".to_string(), s.rejected),
        ("failed".to_string(), s.failed),
    ]);
    Ok(Json(StatsView {
        counts,
        daily: b.daily,
        p50_secs: s.p50_secs,
        p95_secs: s.p95_secs,
        review_backlog: s.needs_review,
        oldest_review: b.oldest_review.map(|(id, at)| {
            json!({ "submission_id": id, "waiting_since": crate::model::format_rfc3339(at / 1000) })
        }),
        finished_last_10_min: s.finished_last_10_min,
        oldest_waiting_secs: s.oldest_waiting_secs,
    }))
}

/// Query of the on-time report.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// The month, YYYY-MM (default: the current one).
    month: Option<String>,
    /// `json` (default) or `svg` (a bar chart).
    format: Option<String>,
}

/// The on-time report of `month` (`YYYY-MM`; the current month when
/// absent), shared by the API and the desk's report page.
pub async fn month_report(
    app: &App,
    month: Option<&str>,
) -> Result<crate::deadline::MonthReport, ApiError> {
    use crate::deadline::{Deadlines, YearMonth};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let month = match month {
        Some(m) => {
            YearMonth::parse(m).map_err(|_| ApiError::invalid("month", "YYYY-MM, e.g. 2025-07"))?
        }
        None => YearMonth::of(now),
    };
    let deadlines = Deadlines::builtin().map_err(|e| ApiError::internal(&e))?;
    let (start, end) = month.range_ms();
    let times = app.queue.submission_times(start, end).await?;
    Ok(deadlines.report(month, &times, now))
}

/// A month's on-time report per procedure: received, resolved on time or
/// late, pending and overdue, by the committed procedure and holiday tables.
#[utoipa::path(get, path = "/v1/report", tag = "operations",
    security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "The report (JSON), or an SVG bar chart with `format=svg`", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn report(
    State(app): AppState,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    caller.require(Action::Read, "read the on-time report")?;
    let report = month_report(&app, q.month.as_deref()).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "svg" => Ok(([(header::CONTENT_TYPE, "image/svg+xml")], report.to_svg()).into_response()),
        _ => Err(ApiError::invalid("format", "`json` or `svg`")),
    }
}

/// The most held records one lookup by citizen reads.
const MAX_PERSON_RECORDS: u32 = 1000;

/// The caller of a reuse route, once allowed; a refusal (no or a bad
/// token: `401`; a role other than `system`: `403`) is audited first.
async fn reuse_caller(
    app: &App,
    who: MaybeCaller,
    action: &str,
    subject: &str,
) -> Result<Caller, ApiError> {
    match who.0 {
        Some(c) if c.user.role.may(Action::ReadRecords) => Ok(c),
        Some(c) => {
            let after = json!({ "refused": 403, "route": action });
            c.audit(app, "records.refused", subject, None, Some(&after))
                .await;
            Err(ApiError::forbidden(
                "read held records by citizen (a `system` user's token is needed)",
            ))
        }
        None => {
            let after = json!({ "refused": 401, "route": action });
            let entry = NewAudit {
                actor: "anonymous",
                action: "records.refused",
                subject,
                before: None,
                after: Some(&after),
            };
            if let Err(e) = app.queue.audit(&entry).await {
                tracing::error!(error = %e, "An audit line could not be written.");
            }
            Err(ApiError::unauthorized())
        }
    }
}

/// The personal id of a reuse query, checked: 12 digits.
fn personal_id(given: Option<&str>) -> Result<&str, ApiError> {
    match given {
        Some(id) if crate::reuse::valid_personal_id(id) => Ok(id),
        _ => Err(ApiError::invalid("personal_id", "exactly 12 digits")),
    }
}

/// The audit subject of a reuse query: its personal id when well formed.
fn reuse_subject(given: Option<&str>) -> &str {
    given
        .filter(|id| crate::reuse::valid_personal_id(id))
        .unwrap_or("-")
}

/// A citizen's held records, newest first.
async fn person_records(app: &App, id: &str) -> Result<Vec<crate::reuse::PersonRecord>, ApiError> {
    let held = app.queue.records_mentioning(id, MAX_PERSON_RECORDS).await?;
    Ok(crate::reuse::person_records(&held, id))
}

/// Query of held records by citizen.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordsQuery {
    /// The citizen's personal id (12 digits).
    personal_id: Option<String>,
}

/// The held records that concern a citizen: records of issued documents
/// that still stand in which a personal-id field carries the given id, with
/// the fields that carry it. For another agency's system (a `system`
/// user's token); every call, answered or refused, is audited.
#[utoipa::path(get, path = "/v1/records", tag = "reuse",
    security(("bearer" = [])), params(RecordsQuery),
    responses((status = 200, description = "The citizen's held records", body = Object),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn records(
    State(app): AppState,
    who: MaybeCaller,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<Value>, ApiError> {
    let given = q.personal_id.as_deref();
    let caller = reuse_caller(&app, who, "records", reuse_subject(given)).await?;
    let id = personal_id(given)?;
    let found = person_records(&app, id).await?;
    let documents: Vec<&str> = found.iter().map(|r| r.document_id.as_str()).collect();
    let after = json!({ "documents": documents });
    caller
        .audit(&app, "records.read", id, None, Some(&after))
        .await;
    if found.is_empty() {
        return Err(ApiError::not_found(
            "no held record concerns this personal id",
        ));
    }
    Ok(Json(json!({ "personal_id": id, "records": found })))
}

/// Query of a prefilled form.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PrefillQuery {
    /// The citizen's personal id (12 digits).
    personal_id: Option<String>,
    /// The form: `certified_copy`, `business_household_registration`,
    /// `business_household_termination`, `death_registration`,
    /// `land_use_certificate`.
    form: Option<String>,
}

/// A target form's fields filled from the citizen's held records, by the
/// committed mapping of the form (`schemas/prefill/FORM.json`): each value
/// with the document it came from, and the fields no record fills. For
/// another agency's system; every call, answered or refused, is audited.
#[utoipa::path(get, path = "/v1/prefill", tag = "reuse",
    security(("bearer" = [])), params(PrefillQuery),
    responses((status = 200, description = "The prefilled form", body = Object),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn prefill(
    State(app): AppState,
    who: MaybeCaller,
    Query(q): Query<PrefillQuery>,
) -> Result<Json<crate::reuse::Prefill>, ApiError> {
    let given = q.personal_id.as_deref();
    let caller = reuse_caller(&app, who, "prefill", reuse_subject(given)).await?;
    let id = personal_id(given)?;
    let forms = crate::reuse::mappings().map_err(|e| ApiError::internal(&e))?;
    let form = q.form.as_deref().unwrap_or_default();
    let Some(mapping) = forms.iter().find(|m| m.form == form) else {
        let known: Vec<&str> = forms.iter().map(|m| m.form.as_str()).collect();
        return Err(ApiError::not_found(format!(
            "no such form; the forms are {}",
            known.join(", ")
        )));
    };
    let found = person_records(&app, id).await?;
    let filled = crate::reuse::prefill(mapping, &found);
    let mut documents: Vec<&str> = filled
        .fields
        .values()
        .map(|p| p.document_id.as_str())
        .collect();
    documents.sort_unstable();
    documents.dedup();
    let after = json!({ "form": form, "documents": documents });
    caller
        .audit(&app, "records.prefill", id, None, Some(&after))
        .await;
    if found.is_empty() {
        return Err(ApiError::not_found(
            "no held record concerns this personal id",
        ));
    }
    Ok(Json(filled))
}

/// Query of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only lines after this sequence number.
    after: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    limit: Option<u32>,
}

/// The audit log (admins), as NDJSON: one line per state change, oldest first.
#[utoipa::path(get, path = "/v1/audit", tag = "operations",
    security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "NDJSON", content_type = "application/x-ndjson", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn audit(
    State(app): AppState,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadAudit, "read the audit log")?;
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let lines = app.queue.audit_log(q.after.unwrap_or(0), limit).await?;
    let mut out = String::new();
    for l in &lines {
        out.push_str(&serde_json::to_string(l).map_err(|e| ApiError::internal(&e))?);
        out.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Object)))]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The queue and the store can be used.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Object), (status = 503, body = ErrorBody)))]
async fn readyz(State(app): AppState) -> Result<Json<Value>, ApiError> {
    let queue = app.queue.as_ref();
    let unfinished = queue.unfinished().await?;
    app.store.get("readyz/probe").await?;
    Ok(Json(json!({
        "status": "ready",
        "unfinished_jobs": unfinished,
        "workers": app.workers,
    })))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn metrics(State(app): AppState) -> Result<Response, ApiError> {
    let report = app.queue.status().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(&report),
    )
        .into_response())
}
