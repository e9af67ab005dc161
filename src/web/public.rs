//! What anyone may use without logging in, rate-limited per client address
//! and size-limited: the verification page `/verify` (drop a result PDF,
//! or paste or scan the text of a QR seal) and `/d/{document_id}`, the page a
//! printed QR seal can link to (the document's status and signed fields,
//! never more than the seal itself carries). Verification here is the
//! same as `docseal verify`, plus this office's own registry's signed word on
//! the document.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota};
use maud::{html, Markup};

use super::error::ApiError;
use super::page::{self, t, Viewer};
use super::{App, AppState, MAX_VERIFY_BODY};
use crate::queue::{DocumentStatus, EntryKind, LogEntries, Registry};
use crate::verify::{CheckStatus, Report, Verdict};

/// Requests per second one client address may make to the public routes.
pub const PUBLIC_PER_SECOND: u32 = 20;
/// Requests one client address may make at once before the rate applies.
pub const PUBLIC_BURST: u32 = 60;

/// Requests per client address.
pub type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// The limiter of the public routes.
pub fn limiter() -> Limiter {
    let per_second = NonZeroU32::new(PUBLIC_PER_SECOND).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(PUBLIC_BURST).unwrap_or(NonZeroU32::MIN);
    governor::RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))
}

/// Refuses a client address over its rate with `429`.
pub async fn rate_limit(State(app): AppState, req: Request, next: Next) -> Response {
    if let Some(peer) = super::peer(req.extensions()) {
        if app.public_limiter.check_key(&peer.ip()).is_err() {
            let mut r = ApiError::rate_limited().into_response();
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
            return r;
        }
        // Forget addresses that have not asked for a while.
        if app.public_limiter.len() > 100_000 {
            app.public_limiter.retain_recent();
        }
    }
    next.run(req).await
}

/// The public pages.
pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/verify") }),
        )
        .route("/verify", get(verify_page).post(verify_submit))
        .route("/d/{document_id}", get(document_page))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            rate_limit,
        ))
        .layer(DefaultBodyLimit::max(MAX_VERIFY_BODY))
}

/// What to verify.
pub enum Input {
    /// A result PDF's bytes, with the name it came with.
    Pdf(String, bytes::Bytes),
    /// The text of a QR seal.
    Qr(String),
}

/// Verifies a result PDF or a QR seal against this office's trust list, then
/// adds this office's registry's signed word on the document (revoked
/// fails, superseded passes with a note, unknown cannot tell). The CPU work
/// runs on a blocking thread, at most [`super::VERIFY_SLOTS`] at once.
pub async fn verify(app: &Arc<App>, input: Input) -> Result<Report, ApiError> {
    let _slot = app
        .verify_slots
        .acquire()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let worker = app.clone();
    let (mut report, sha256) = tokio::task::spawn_blocking(move || match input {
        Input::Pdf(name, bytes) => {
            let sha = crate::store::sha256_hex(&bytes);
            (
                crate::verify::verify_bytes(&name, &bytes, &worker.trust),
                Some(sha),
            )
        }
        Input::Qr(text) => (crate::verify::verify_qr(text.trim(), &worker.trust), None),
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    if report.verdict == Verdict::Invalid {
        return Ok(report);
    }
    let Some(document_id) = report.document.as_ref().map(|d| d.document_id.clone()) else {
        return Ok(report);
    };
    let nonce = crate::status::new_nonce().map_err(|e| ApiError::internal(&e))?;
    let answer = status_answer(app, &document_id, &nonce).await?;
    let body = serde_json::to_vec(&answer).map_err(|e| ApiError::internal(&e))?;
    crate::verify::check_status_answer(
        &mut report,
        "this office's registry",
        &body,
        &nonce,
        &app.trust,
        sha256.as_deref(),
        crate::status::DEFAULT_MAX_AGE,
    );
    Ok(report)
}

/// The registry's signed status answer for a document, to a question
/// carrying `nonce`; `None` in the row when the registry has no such document.
pub async fn status_answer(
    app: &App,
    document_id: &str,
    nonce: &str,
) -> Result<crate::status::SignedStatus, ApiError> {
    let queue = app.queue.as_ref();
    let row = queue.document(document_id).await?;
    // The manifest exactly as attached, from the transparency log's entry
    // for the document (absent from a registry older than the log).
    let manifest_sha256 = queue
        .find(EntryKind::Document, document_id)
        .await?
        .map(|e| crate::store::sha256_hex(&e.entry));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    crate::status::answer(
        document_id,
        row.as_ref(),
        manifest_sha256,
        nonce,
        now,
        &app.status_signer,
    )
    .map_err(|e| ApiError::internal(&e))
}

fn verify_form() -> Markup {
    html! {
        div.card {
            h2 { (t("Tệp PDF kết quả", "Result PDF")) }
            form #verify-pdf-form method="post" action="/verify" enctype="multipart/form-data" {
                input type="file" name="pdf" accept="application/pdf" required;
                " "
                button #verify-pdf-btn type="submit" { (t("Xác minh", "Verify")) }
            }
        }
        div.card {
            h2 { (t("Mã QR trên bản in", "QR seal of a printed copy")) }
            p { (t("Dán nội dung mã QR (bắt đầu bằng DS1:) hoặc quét bằng máy quét mã.",
                   "Paste the QR text (it starts with DS1:) or scan it with a code scanner.")) }
            form #verify-qr-form method="post" action="/verify" enctype="multipart/form-data" {
                textarea name="qr" rows="4" placeholder="DS1:…" {}
                button #verify-qr-btn type="submit" { (t("Xác minh", "Verify")) }
            }
        }
    }
}

async fn verify_page() -> Response {
    page::respond(
        StatusCode::OK,
        page::layout(
            "Verify",
            &Viewer::default(),
            html! {
                h1 { (t("Xác minh văn bản điện tử", "Verify an electronic document")) }
                (verify_form())
            },
        ),
    )
}

/// The verdict in words.
fn verdict_words(v: Verdict) -> (&'static str, &'static str, &'static str, &'static str) {
    match v {
        Verdict::Valid => (
            "valid",
            "VALID",
            "HỢP LỆ: văn bản do cơ quan cấp đúng như hiển thị và chưa bị sửa đổi.",
            "This document was issued as shown and has not been changed.",
        ),
        Verdict::Invalid => (
            "invalid",
            "INVALID",
            "KHÔNG HỢP LỆ: không được dựa vào văn bản này.",
            "Do not rely on this document.",
        ),
        Verdict::CannotTell => (
            "cannot_tell",
            "CANNOT TELL",
            "CHƯA XÁC ĐỊNH: có bước kiểm tra không thể kết luận tại đây.",
            "A check could not be decided here.",
        ),
    }
}

/// Each check's name in Vietnamese and English, and what its outcome means
/// in plain Vietnamese (the detail that follows is the verifier's own words).
fn check_words(name: &str, status: CheckStatus) -> (&'static str, &'static str, &'static str) {
    use CheckStatus::{Fail, Pass, Skipped, Unknown};
    let (vi, en) = match name {
        "trust_list" => ("Danh sách tin cậy", "Trust list"),
        "read" => ("Đọc tệp", "Reading the file"),
        "pdf_signature" => ("Chữ ký số trên tệp PDF", "PDF signature"),
        "signature" | "manifest" => ("Chữ ký trên dữ liệu văn bản", "Signed record"),
        "key_validity" => ("Hiệu lực của khóa ký", "Signing key validity"),
        "pdf_key_validity" => ("Hiệu lực của khóa ký tệp PDF", "PDF-signing key validity"),
        "certificate_page" => ("Trang chứng nhận", "Certificate page"),
        "qr_seal" => ("Mã QR", "QR seal"),
        "registry_status" => ("Tình trạng tại cơ quan cấp", "Status at the issuing office"),
        "log_proof" => ("Sổ công khai", "Transparency log"),
        "source_scan" => ("Bản quét gốc", "Original scan"),
        _ => ("Kiểm tra", "Check"),
    };
    let said = match (name, status) {
        ("trust_list", Pass) => "Danh sách khóa tin cậy có chữ ký hợp lệ của cơ quan gốc.",
        ("pdf_signature", Pass) => "Toàn bộ tệp được ký số và không bị sửa đổi sau khi ký.",
        ("pdf_signature", Fail) => {
            "Chữ ký số không khớp: tệp đã bị sửa đổi hoặc không do cơ quan cấp ký."
        }
        ("signature" | "manifest", Pass) => {
            "Dữ liệu của văn bản được ký bằng khóa của cơ quan cấp."
        }
        ("signature" | "manifest", Fail) => "Dữ liệu của văn bản không khớp với chữ ký.",
        ("key_validity", Pass) => "Khóa ký còn hiệu lực vào thời điểm cấp văn bản.",
        ("key_validity", Fail) => "Khóa ký đã hết hiệu lực hoặc bị thu hồi vào thời điểm cấp.",
        ("pdf_key_validity", Pass) => "Khóa ký tệp PDF còn hiệu lực vào thời điểm cấp văn bản.",
        ("pdf_key_validity", Fail) => {
            "Khóa ký tệp PDF đã hết hiệu lực hoặc bị thu hồi vào thời điểm cấp."
        }
        ("certificate_page", Pass) => "Trang chứng nhận hiển thị đúng nội dung đã ký.",
        ("certificate_page", Fail) => "Trang chứng nhận hiển thị khác với nội dung đã ký.",
        ("qr_seal", Pass) => "Mã QR có chữ ký hợp lệ và khớp với dữ liệu văn bản.",
        ("qr_seal", Fail) => "Mã QR không hợp lệ hoặc không khớp với văn bản.",
        ("registry_status", Pass) => "Cơ quan cấp xác nhận văn bản vẫn còn hiệu lực.",
        ("registry_status", Fail) => "Cơ quan cấp đã thu hồi văn bản này.",
        ("log_proof", Pass) => "Văn bản có trong sổ công khai của cơ quan cấp.",
        ("log_proof", Fail) => "Bằng chứng trong sổ công khai không khớp.",
        ("source_scan", Pass) => "Văn bản được lập từ đúng bản quét này.",
        ("source_scan", Fail) => "Văn bản không được lập từ bản quét này.",
        (_, Pass) => "Đạt.",
        (_, Fail) => "Không đạt.",
        (_, Unknown) => "Không thể kết luận tại đây.",
        (_, Skipped) => "Không kiểm tra.",
    };
    (vi, en, said)
}

/// A field's label in Vietnamese (from the schema), with its name.
fn field_label(doc_type: &str, field: &str) -> Markup {
    let label = doc_type
        .parse::<crate::schema::DocType>()
        .ok()
        .and_then(|t| {
            t.schema()
                .field(field)
                .map(|f| f.label.trim_end_matches(':').to_string())
        });
    match label {
        Some(l) => t(&l, field),
        None => html! { (field) },
    }
}

/// The report as a page section: the verdict, then every check.
pub fn report_markup(report: &Report) -> Markup {
    let (class, word, vi, en) = verdict_words(report.verdict);
    html! {
        div.card {
            p.verdict.(class) #verdict { (word) }
            p { (t(vi, en)) }
            @if let Some(d) = &report.document {
                dl.fields {
                    dt { (t("Số văn bản", "Document id")) } dd #document-id { (d.document_id) }
                    dt { (t("Loại", "Type")) } dd { (d.doc_type) }
                    dt { (t("Cơ quan cấp", "Issued by")) } dd { (d.office) }
                    dt { (t("Thời điểm cấp", "Issued at")) } dd { (d.issued_at.to_string()) }
                    @for (k, v) in &d.fields {
                        dt { (field_label(&d.doc_type, k)) } dd { (v.as_str().map_or_else(|| v.to_string(), str::to_string)) }
                    }
                }
            }
            h2 { (t("Các bước kiểm tra", "Checks")) }
            ul {
                @for c in &report.checks {
                    @let (tvi, ten, said) = check_words(c.name, c.status);
                    @let class = match c.status {
                        CheckStatus::Pass => "check pass",
                        CheckStatus::Fail => "check fail",
                        CheckStatus::Unknown => "check unknown",
                        CheckStatus::Skipped => "check skipped",
                    };
                    li class=(class) data-check=(c.name) {
                        strong { (t(tvi, ten)) } ": " (said)
                        span.en.detail lang="en" { (c.detail) }
                    }
                }
            }
            @for n in &report.notes { p.en { (n) } }
        }
    }
}

/// Reads what the verification form sent: a PDF file or a QR text.
pub async fn read_verify_form(mut form: Multipart) -> Result<Input, ApiError> {
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| super::error::from_rejection(e.status(), e.body_text()))?
    {
        match field.name() {
            Some("pdf") => {
                let name = field.file_name().unwrap_or("document.pdf").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| super::error::from_rejection(e.status(), e.body_text()))?;
                if !bytes.is_empty() {
                    return Ok(Input::Pdf(name, bytes));
                }
            }
            Some("qr") => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| super::error::from_rejection(e.status(), e.body_text()))?;
                if !text.trim().is_empty() {
                    return Ok(Input::Qr(text));
                }
            }
            _ => {}
        }
    }
    Err(ApiError::bad_request(
        "give a result PDF (field `pdf`) or a QR text (field `qr`)",
    ))
}

async fn verify_submit(State(app): AppState, form: Multipart) -> Response {
    let viewer = Viewer::default();
    let result = match read_verify_form(form).await {
        Ok(input) => verify(&app, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => page::respond(
            StatusCode::OK,
            page::layout(
                "Verification",
                &viewer,
                html! {
                    h1 { (t("Kết quả xác minh", "Verification result")) }
                    (report_markup(&report))
                    h2 { (t("Xác minh văn bản khác", "Verify another document")) }
                    (verify_form())
                },
            ),
        ),
        Err(e) => page::error_page(e.status, &viewer, &e.message, &e.message),
    }
}

async fn document_page(State(app): AppState, Path(document_id): Path<String>) -> Response {
    let viewer = Viewer::default();
    if !super::api::valid_document_id(&document_id) {
        return page::error_page(
            StatusCode::NOT_FOUND,
            &viewer,
            "Không có văn bản này.",
            "There is no such document.",
        );
    }
    let queue = app.queue.as_ref();
    let row = match queue.document(&document_id).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return page::error_page(
                StatusCode::NOT_FOUND,
                &viewer,
                "Cơ quan này không cấp văn bản nào có số này.",
                "This office issued no document with this id.",
            )
        }
        Err(e) => {
            let e = ApiError::from(e);
            return page::error_page(e.status, &viewer, &e.message, &e.message);
        }
    };
    // The fields the QR seal carries: the signed record's, from the
    // manifest as logged.
    let fields = match queue.find(EntryKind::Document, &document_id).await {
        Ok(Some(entry)) => serde_json::from_slice::<serde_json::Value>(&entry.entry)
            .ok()
            .and_then(|v| v["manifest"]["record"]["fields"].as_object().cloned())
            .unwrap_or_default(),
        _ => serde_json::Map::new(),
    };
    let (class, vi, en) = match row.status {
        DocumentStatus::Valid => ("valid", "Còn hiệu lực", "Valid"),
        DocumentStatus::Revoked => ("invalid", "Đã bị thu hồi", "Revoked"),
        DocumentStatus::Superseded => ("cannot_tell", "Đã được thay thế", "Superseded"),
    };
    let issued = crate::model::format_rfc3339(row.issued_at);
    page::respond(
        StatusCode::OK,
        page::layout(
            &document_id,
            &viewer,
            html! {
                h1 { (t("Văn bản", "Document")) " " (document_id) }
                div.card {
                    p.verdict.(class) #document-status data-status=(row.status.as_str()) { (t(vi, en)) }
                    @if let Some(reason) = &row.status_reason { p { (reason) } }
                    dl.fields {
                        dt { (t("Loại", "Type")) } dd { (row.doc_type) }
                        dt { (t("Thời điểm cấp", "Issued at")) } dd { (issued) }
                        dt { (t("Khóa ký", "Signing key")) } dd { (row.key_id) }
                        dt { "SHA-256 PDF" } dd { code { (row.pdf_sha256) } }
                        @for (k, v) in &fields {
                            dt { (field_label(&row.doc_type, k)) } dd { (v.as_str().map_or_else(|| v.to_string(), str::to_string)) }
                        }
                    }
                }
                p { (t("Để kiểm tra chính tệp PDF hoặc bản in, dùng trang xác minh.",
                       "To check the PDF itself or a printed copy, use the verification page.")) }
                p { a href="/verify" { (t("Xác minh", "Verify")) } }
            },
        ),
    )
}
