//! The staff desk: server-rendered pages with a little script and no build
//! step. Log in with a staff token; the review queue, oldest first; the
//! record page, where the page image shows each doubtful field's box, its
//! reason in plain words and an input holding the value read; the upload
//! page for a batch of scans, with their progress.
//!
//! The record page is keyboard-first: the first doubtful field has the
//! focus; Enter confirms a field and moves to the next doubtful one (typing
//! replaces the value); Ctrl+Enter approves and opens the next record once
//! every doubtful field is confirmed or corrected. Every form carries the
//! session's CSRF token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::api::{self, valid_document_id, valid_submission_id};
use super::auth::{self, Caller, DeskCaller};
use super::error::ApiError;
use super::page::{self, t, Viewer};
use super::{App, AppState, MAX_SMALL_BODY};
use crate::auth::{new_token, token_sha256};
use crate::queue::{Action, Registry, Staff, Stats};
use crate::review::{FieldView, SubmissionView};

/// The desk's routes.
pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    let login = Router::new()
        .route("/desk/login", get(login_page).post(login))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            super::public::rate_limit,
        ));
    let upload_limit = usize::try_from(app.max_scan_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    let upload = Router::new()
        .route("/desk/upload", get(upload_page).post(upload))
        .layer(DefaultBodyLimit::max(upload_limit));
    Router::new()
        .route("/desk", get(queue_page))
        .route("/desk/logout", post(logout))
        .route("/desk/submissions/{id}", get(record_page))
        .route("/desk/submissions/{id}/approve", post(approve))
        .route("/desk/submissions/{id}/reject", post(reject))
        .route("/desk/documents/{id}", get(document_page))
        .route("/desk/report", get(report_page))
        .layer(DefaultBodyLimit::max(MAX_SMALL_BODY))
        .merge(login)
        .merge(upload)
}

fn viewer(c: &Caller) -> Viewer {
    Viewer {
        user: Some((c.user.name.clone(), c.user.role.as_str().to_string())),
        csrf: c.csrf().map(str::to_string),
    }
}

fn csrf_field(c: &Caller) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.csrf().unwrap_or_default()); }
}

/// A `403` page when the form's CSRF token is not the session's.
fn csrf_refused(c: &Caller, given: Option<&str>) -> Option<Response> {
    if c.csrf_ok(given) {
        None
    } else {
        Some(page::error_page(
            StatusCode::FORBIDDEN,
            &viewer(c),
            "Biểu mẫu đã hết hạn; hãy tải lại trang và thử lại.",
            "The form has expired; reload the page and try again.",
        ))
    }
}

fn api_error_page(c: &Caller, e: &ApiError) -> Response {
    page::error_page(e.status, &viewer(c), &e.message, &e.message)
}

fn login_markup(error: bool) -> Markup {
    page::layout(
        "Log in",
        &Viewer::default(),
        html! {
            h1 { (t("Đăng nhập bộ phận một cửa", "Staff log in")) }
            @if error {
                p.error role="alert" { (t("Tên hoặc mã truy cập không đúng.", "Wrong name or access token.")) }
            }
            div.card style="max-width:28rem" {
                form #login method="post" action="/desk/login" {
                    label for="name" { (t("Tên cán bộ", "Name")) }
                    input #name type="text" name="name" autocomplete="username" required autofocus;
                    label for="token" { (t("Mã truy cập", "Access token")) }
                    input #token type="password" name="token" autocomplete="current-password" required;
                    p { button #login-submit type="submit" { (t("Đăng nhập", "Log in")) } }
                }
            }
        },
    )
}

async fn login_page() -> Response {
    page::respond(StatusCode::OK, login_markup(false))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    name: String,
    token: String,
}

async fn login(State(app): AppState, Form(f): Form<LoginForm>) -> Response {
    let queue = app.queue.as_ref();
    let token = f.token.trim();
    let user = if token.is_empty() || token.len() > 128 {
        None
    } else {
        match queue.user_for_token(&token_sha256(token)).await {
            Ok(u) => u.filter(|u| u.name == f.name.trim()),
            Err(e) => return ApiError::from(e).into_response(),
        }
    };
    let Some(user) = user else {
        tracing::warn!(name = %f.name, "A desk login was refused.");
        return page::respond(StatusCode::UNAUTHORIZED, login_markup(true));
    };
    let (id, csrf) = (new_token(), new_token());
    if let Err(e) = queue
        .open_session(&token_sha256(&id), &user.name, &csrf, auth::SESSION_TTL)
        .await
    {
        return ApiError::from(e).into_response();
    }
    let caller = Caller {
        user,
        session: Some((token_sha256(&id), csrf)),
    };
    caller
        .audit(&app, "session.login", &caller.user.name, None, None)
        .await;
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                auth::session_set_cookie(&id, app.secure_cookies),
            ),
            (header::LOCATION, "/desk".to_string()),
        ],
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refused(&c, f.csrf.as_deref()) {
        return r;
    }
    if let Some((id_sha, _)) = &c.session {
        if let Err(e) = app.queue.close_session(id_sha).await {
            return ApiError::from(e).into_response();
        }
    }
    c.audit(&app, "session.logout", &c.user.name, None, None)
        .await;
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                auth::session_clear_cookie(app.secure_cookies),
            ),
            (header::LOCATION, "/desk/login".to_string()),
        ],
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    doc_type: Option<String>,
    cursor: Option<String>,
    rejected: Option<String>,
}

async fn queue_page(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Query(q): Query<QueueQuery>,
) -> Response {
    let doc_type = q.doc_type.as_deref().filter(|s| !s.is_empty());
    let page_of = match api::review_page(&app, doc_type, 50, q.cursor.as_deref()).await {
        Ok(p) => p,
        Err(e) => return api_error_page(&c, &e),
    };
    let stats = app.queue.status().await.ok();
    let body = html! {
        h1 { (t("Hàng chờ duyệt", "Review queue")) }
        @if q.rejected.is_some() {
            p.notice { (t("Đã từ chối hồ sơ.", "The record was rejected.")) }
        }
        @if let Some(s) = &stats {
            p #counts {
                (t("Chờ duyệt", "Waiting for review")) ": " strong #backlog { (s.needs_review) } " · "
                (t("Đang xếp hàng", "Queued")) ": " (s.queued) " · "
                (t("Đang xử lý", "Processing")) ": " (s.processing) " · "
                (t("Đã cấp", "Issued")) ": " (s.issued) " · "
                (t("Lỗi", "Failed")) ": " (s.failed)
            }
        }
        form method="get" action="/desk" {
            label for="doc_type" { (t("Loại giấy tờ", "Document type")) }
            select #doc_type name="doc_type" onchange="this.form.submit()" {
                option value="" { "—" }
                @for dt in crate::schema::DocType::ALL {
                    option value=(dt.as_str()) selected[doc_type == Some(dt.as_str())] { (dt.as_str()) }
                }
            }
        }
        @if page_of.items.is_empty() {
            p #queue-empty { (t("Không còn hồ sơ nào chờ duyệt.", "Nothing is waiting for review.")) }
        } @else {
            table #queue {
                thead { tr {
                    th { (t("Tệp", "File")) } th { (t("Loại", "Type")) }
                    th { (t("Trường cần xem", "Fields to check")) } th { (t("Chờ từ", "Waiting since")) }
                    th { (t("Mã hồ sơ", "Dossier")) }
                } }
                tbody {
                    @for item in &page_of.items {
                        tr {
                            td { a.review-item href=(format!("/desk/submissions/{}", item.submission_id)) { (item.name) } }
                            td { (item.doc_type) }
                            td { (item.needs_review.join(", ")) }
                            td { (crate::model::format_rfc3339(item.finished_at / 1000)) }
                            td { (item.meta.dossier_code.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if let Some(next) = &page_of.next_cursor {
                p { a href=(format!("/desk?cursor={next}&doc_type={}", doc_type.unwrap_or(""))) { (t("Trang sau", "Next page")) " →" } }
            }
        }
    };
    page::respond(
        StatusCode::OK,
        page::layout("Review queue", &viewer(&c), body),
    )
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    month: Option<String>,
}

/// The month's on-time report per procedure: the table, and the chart the
/// API draws (`/v1/report?format=svg`, read with the session's cookie).
async fn report_page(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Query(q): Query<ReportQuery>,
) -> Response {
    let month = q.month.as_deref().filter(|m| !m.is_empty());
    let report = match api::month_report(&app, month).await {
        Ok(r) => r,
        Err(e) => return api_error_page(&c, &e),
    };
    let judged = report.total.on_time + report.total.late;
    let body = html! {
        h1 { (t("Báo cáo đúng hạn", "On-time report")) " " (report.month) }
        form method="get" action="/desk/report" {
            label for="month" { (t("Tháng", "Month")) }
            input #month type="month" name="month" value=(report.month);
            button type="submit" { (t("Xem", "Show")) }
        }
        p { (t("Tính đến", "As of")) " " (report.as_of) }
        @if judged > 0 {
            p #on-time-rate {
                (t("Đúng hạn", "On time")) ": "
                strong { (format!("{:.1} %", 100.0 * report.total.on_time as f64 / judged as f64)) }
                " (" (report.total.on_time) " / " (judged) ")"
            }
        }
        table #report {
            thead { tr {
                th { (t("Thủ tục", "Procedure")) } th { (t("Số ngày", "Days")) }
                th { (t("Tiếp nhận", "Received")) } th { (t("Trực tuyến", "Online")) }
                th { (t("Trực tiếp", "At the desk")) } th { (t("Đã giải quyết", "Resolved")) }
                th { (t("Đúng hạn", "On time")) } th { (t("Quá hạn", "Late")) }
                th { (t("Đang giải quyết", "Pending")) } th { (t("Đã quá hạn", "Overdue")) }
            } }
            tbody {
                @for r in report.procedures.iter().chain(std::iter::once(&report.total)) {
                    tr {
                        td { (r.procedure) @if let Some(n) = &r.name { " · " (n) } }
                        td { (r.working_days.map_or("-".to_string(), |d| d.to_string())) }
                        td { (r.received) } td { (r.received_online) } td { (r.received_desk) }
                        td { (r.resolved) } td { (r.on_time) } td { (r.late) }
                        td { (r.pending) } td { (r.overdue) }
                    }
                }
            }
        }
        img #report-chart src=(format!("/v1/report?month={}&format=svg", report.month))
            alt="On-time report chart";
    };
    page::respond(
        StatusCode::OK,
        page::layout("On-time report", &viewer(&c), body),
    )
}

async fn upload_page(DeskCaller(c): DeskCaller) -> Response {
    page::respond(
        StatusCode::OK,
        page::layout("Upload", &viewer(&c), upload_markup(&c, None)),
    )
}

/// The script that follows uploaded scans until each is finished.
const PROGRESS_JS: &str = r#"
(function () {
  const items = Array.from(document.querySelectorAll('#progress li[data-id]'));
  const words = { queued: 'Đang xếp hàng · queued', processing: 'Đang xử lý · processing',
    issued: 'Đã cấp · issued', needs_review: 'Cần duyệt · needs review', failed: 'Lỗi · failed',
    rejected: 'Đã từ chối · rejected' };
  function poll() {
    let pending = 0;
    Promise.all(items.map(function (li) {
      const s = li.dataset.state;
      if (s !== 'queued' && s !== 'processing') return null;
      pending++;
      return fetch('/v1/submissions/' + li.dataset.id, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (v) {
          if (!v) return;
          li.dataset.state = v.state;
          li.querySelector('.state').textContent = words[v.state] || v.state;
          if (v.state === 'needs_review') {
            li.querySelector('.open').innerHTML = '<a class="review-link" href="/desk/submissions/' + li.dataset.id + '">Duyệt · review</a>';
          } else if (v.state === 'issued' && v.document_id) {
            li.querySelector('.open').innerHTML = '<a href="/d/' + v.document_id + '">' + v.document_id + '</a>';
          } else if (v.state === 'failed' && v.error) {
            li.querySelector('.open').textContent = v.error;
          }
        }).catch(function () {});
    })).then(function () { if (pending > 0) setTimeout(poll, 1000); });
  }
  poll();
})();
"#;

fn upload_markup(c: &Caller, created: Option<&api::Created>) -> Markup {
    html! {
        h1 { (t("Tải lên bản quét", "Upload scans")) }
        div.card {
            form #upload method="post" action="/desk/upload" enctype="multipart/form-data" {
                (csrf_field(c))
                label for="files" { (t("Bản quét (PNG, JPEG, TIFF, PDF)", "Scans (PNG, JPEG, TIFF, PDF)")) }
                input #files type="file" name="files" multiple required accept=".png,.jpg,.jpeg,.tif,.tiff,.pdf";
                label for="dossier_code" { (t("Mã hồ sơ", "Dossier code")) }
                input #dossier_code type="text" name="dossier_code" maxlength="128";
                label for="procedure_code" { (t("Mã thủ tục", "Procedure code")) }
                input #procedure_code type="text" name="procedure_code" maxlength="128";
                p { button #upload-submit type="submit" { (t("Tải lên", "Upload")) } }
            }
        }
        @if let Some(created) = created {
            h2 { (t("Tiến độ", "Progress")) }
            ul #progress.progress {
                @for item in &created.submissions {
                    li data-id=(item.id) data-state=(item.state) {
                        (item.name) " — " span.state { (item.state) } " " span.open {}
                    }
                }
            }
            script { (PreEscaped(PROGRESS_JS)) }
        }
    }
}

async fn upload(State(app): AppState, DeskCaller(c): DeskCaller, form: Multipart) -> Response {
    if let Err(e) = c.require(Action::Upload, "upload scans") {
        return api_error_page(&c, &e);
    }
    // The CSRF token comes first in the form; it is checked before any file
    // is read.
    let mut form = form;
    let first = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some("csrf") => f.text().await.ok(),
        _ => None,
    };
    if let Some(r) = csrf_refused(&c, first.as_deref()) {
        return r;
    }
    match api::upload(&app, &c, form).await {
        Ok(created) => page::respond(
            StatusCode::ACCEPTED,
            page::layout("Upload", &viewer(&c), upload_markup(&c, Some(&created))),
        ),
        Err(e) => api_error_page(&c, &e),
    }
}

/// The script of the record page: keyboard-first review.
const RECORD_JS: &str = r#"
(function () {
  const form = document.getElementById('approve');
  if (!form) return;
  const inputs = Array.from(form.querySelectorAll('input[data-field]'));
  const doubtful = inputs.filter(function (i) { return i.dataset.doubt === '1'; });
  const status = document.getElementById('review-status');
  function box(i) { return document.getElementById('box-' + i.dataset.field); }
  function mark(i) { i.dataset.done = '1'; i.closest('.field').classList.add('confirmed'); }
  function nextOf(i) {
    const list = doubtful.length ? doubtful : inputs;
    const k = list.indexOf(i);
    for (let j = k + 1; j < list.length; j++) if (list[j].dataset.done !== '1') return list[j];
    return list.find(function (x) { return x.dataset.done !== '1'; }) || null;
  }
  inputs.forEach(function (i) {
    i.dataset.read = i.value;
    i.addEventListener('focus', function () {
      i.select();
      document.querySelectorAll('rect.active').forEach(function (r) { r.classList.remove('active'); });
      const b = box(i);
      if (b) { b.classList.add('active'); b.ownerSVGElement.scrollIntoView({ block: 'nearest' }); }
    });
    i.addEventListener('input', function () { mark(i); });
    i.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) { approve(); return; }
      mark(i);
      const n = nextOf(i);
      if (n) { n.focus(); } else { document.getElementById('approve-btn').focus(); }
      left();
    });
  });
  function left() {
    const n = doubtful.filter(function (x) { return x.dataset.done !== '1'; }).length;
    status.textContent = n ? (n + ' trường cần xác nhận · ' + n + ' field(s) to confirm')
                           : 'Sẵn sàng duyệt (Ctrl+Enter) · ready to approve (Ctrl+Enter)';
    return n;
  }
  function approve() {
    const todo = doubtful.find(function (x) { return x.dataset.done !== '1'; });
    if (todo) { todo.focus(); left(); return; }
    form.querySelector('input[name=next]').value = '1';
    form.submit();
  }
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.target.matches('input[data-field], textarea')) {
      e.preventDefault(); approve();
    }
  });
  form.addEventListener('submit', function (e) {
    const todo = doubtful.find(function (x) { return x.dataset.done !== '1'; });
    if (todo) { e.preventDefault(); todo.focus(); left(); }
  });
  left();
  (doubtful[0] || inputs[0]).focus();
})();
"#;

fn field_value(f: &FieldView) -> String {
    match &f.value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn record_markup(
    c: &Caller,
    view: &SubmissionView,
    error: Option<&ApiError>,
    approved: Option<&str>,
    entered: Option<&HashMap<String, String>>,
) -> Markup {
    let id = &view.submission_id;
    let decided = view.state != crate::queue::JobState::NeedsReview;
    let first_doubt = view.fields.iter().position(|f| f.review.is_some());
    html! {
        @if let Some(doc) = approved {
            div.card #approved {
                p.notice { (t("Đã duyệt và cấp văn bản", "Approved and issued")) " " (doc) }
                p {
                    a #document-link href=(format!("/d/{doc}")) { (t("Trang văn bản", "Document page")) }
                    " · "
                    a #pdf-link href=(format!("/v1/documents/{doc}/pdf")) download { (t("Tải PDF", "Download PDF")) }
                }
            }
        }
        h1 { (t("Hồ sơ", "Record")) " " (view.name) }
        p {
            (t("Loại", "Type")) ": " strong { (view.doc_type) } " · "
            (t("Trạng thái", "State")) ": " strong #state { (view.state.as_str()) }
            @if let Some(d) = &view.meta.dossier_code { " · " (t("Mã hồ sơ", "Dossier")) ": " (d) }
            @if let Some(doc) = &view.document_id {
                " · " a href=(format!("/d/{doc}")) { (doc) }
            }
        }
        @if let Some(e) = error {
            p.error role="alert" #form-error { (e.message) }
        }
        div.review {
            div.pages {
                @for p in &view.pages {
                    div.page-wrap {
                        img.page #(format!("page-{}", p.n)) src=(format!("/v1/submissions/{id}/pages/{}", p.n))
                            width=(p.width) height=(p.height) alt=(format!("page {}", p.n));
                        svg viewBox=(format!("0 0 {} {}", p.width, p.height)) preserveAspectRatio="none" {
                            @for f in view.fields.iter().filter(|f| f.page == Some(p.n)) {
                                @if let Some([x0, y0, x1, y1]) = f.bbox {
                                    rect id=(format!("box-{}", f.name)) class=(if f.review.is_some() { "doubt" } else { "" })
                                        x=(x0) y=(y0) width=(x1.saturating_sub(x0)) height=(y1.saturating_sub(y0)) {}
                                }
                            }
                        }
                    }
                }
            }
            div {
                @if decided {
                    div.card {
                        p { (t("Hồ sơ này đã được xử lý; không thể duyệt lại.", "This record has been decided; it cannot be approved again.")) }
                        @if let Some(d) = &view.decision { pre { (serde_json::to_string_pretty(d).unwrap_or_default()) } }
                    }
                } @else {
                    form.card #approve method="post" action=(format!("/desk/submissions/{id}/approve")) {
                        (csrf_field(c))
                        input type="hidden" name="next" value="0";
                        p.keys {
                            kbd { "Enter" } " " (t("xác nhận và sang trường tiếp", "confirms and moves on")) " · "
                            kbd { "Ctrl" } "+" kbd { "Enter" } " " (t("duyệt và mở hồ sơ tiếp theo", "approves and opens the next"))
                        }
                        p #review-status aria-live="polite" {}
                        @for (k, f) in view.fields.iter().enumerate() {
                            @let value = entered.and_then(|m| m.get(&f.name)).cloned().unwrap_or_else(|| field_value(f));
                            div class=(if f.review.is_some() { "field doubt" } else { "field" }) {
                                label for=(format!("f-{}", f.name)) {
                                    (f.label) " " span.en { (f.name) }
                                    @if f.required { " *" }
                                }
                                @if let Some(r) = &f.review {
                                    div.reason data-code=(r.code) { (t(&r.vi, &r.en)) }
                                }
                                @if error.and_then(|e| e.field.as_deref()) == Some(f.name.as_str()) {
                                    div.error { (error.map(|e| e.message.as_str()).unwrap_or_default()) }
                                }
                                input id=(format!("f-{}", f.name)) type="text" name=(format!("f.{}", f.name))
                                    value=(value) data-field=(f.name) data-doubt=(if f.review.is_some() { "1" } else { "0" })
                                    autocomplete="off" spellcheck="false" autofocus[Some(k) == first_doubt];
                            }
                        }
                        p { button #approve-btn type="submit" { (t("Duyệt và cấp", "Approve and issue")) } }
                    }
                    form.card #reject method="post" action=(format!("/desk/submissions/{id}/reject")) {
                        (csrf_field(c))
                        label for="reason" { (t("Lý do từ chối", "Reason for rejecting")) }
                        textarea #reason name="reason" rows="2" required maxlength="1000" {}
                        p { button.secondary #reject-btn type="submit" { (t("Từ chối", "Reject")) } }
                    }
                    script { (PreEscaped(RECORD_JS)) }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct RecordQuery {
    approved: Option<String>,
}

async fn record_page(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Path(id): Path<String>,
    Query(q): Query<RecordQuery>,
) -> Response {
    if !valid_submission_id(&id) {
        return api_error_page(&c, &ApiError::not_found("no such submission"));
    }
    let services = match app.issuing() {
        Ok(s) => s,
        Err(e) => return api_error_page(&c, &e),
    };
    let view = match crate::review::show(services, &id).await {
        Ok(v) => v,
        Err(e) => return api_error_page(&c, &e.into()),
    };
    let approved = q.approved.as_deref().filter(|d| valid_document_id(d));
    page::respond(
        StatusCode::OK,
        page::layout(
            &view.name,
            &viewer(&c),
            record_markup(&c, &view, None, approved, None),
        ),
    )
}

async fn approve(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(r) = csrf_refused(&c, get("csrf")) {
        return r;
    }
    if let Err(e) = c.require(Action::Review, "approve records") {
        return api_error_page(&c, &e);
    }
    if !valid_submission_id(&id) {
        return api_error_page(&c, &ApiError::not_found("no such submission"));
    }
    let services = match app.issuing() {
        Ok(s) => s,
        Err(e) => return api_error_page(&c, &e),
    };
    let entered: HashMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f.").map(|f| (f.to_string(), v.clone())))
        .collect();
    let fields: serde_json::Map<String, serde_json::Value> = entered
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.trim().to_string())))
        .collect();
    match crate::review::approve(services, &id, &fields, &c.user.name).await {
        Ok(row) => {
            let doc = row.document_id;
            if get("next") == Some("1") {
                if let Ok(next) = api::review_page(&app, None, 1, None).await {
                    if let Some(item) = next.items.first() {
                        return Redirect::to(&format!(
                            "/desk/submissions/{}?approved={doc}",
                            item.submission_id
                        ))
                        .into_response();
                    }
                }
            }
            Redirect::to(&format!("/desk/documents/{doc}")).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status != StatusCode::UNPROCESSABLE_ENTITY {
                return api_error_page(&c, &e);
            }
            match crate::review::show(services, &id).await {
                Ok(view) => page::respond(
                    e.status,
                    page::layout(
                        &view.name,
                        &viewer(&c),
                        record_markup(&c, &view, Some(&e), None, Some(&entered)),
                    ),
                ),
                Err(e2) => api_error_page(&c, &e2.into()),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct RejectForm {
    csrf: Option<String>,
    reason: String,
}

async fn reject(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Path(id): Path<String>,
    Form(f): Form<RejectForm>,
) -> Response {
    if let Some(r) = csrf_refused(&c, f.csrf.as_deref()) {
        return r;
    }
    if let Err(e) = c.require(Action::Review, "reject records") {
        return api_error_page(&c, &e);
    }
    let reason = f.reason.trim();
    if reason.is_empty() || !valid_submission_id(&id) {
        return api_error_page(&c, &ApiError::invalid("reason", "give a reason"));
    }
    let services = match app.issuing() {
        Ok(s) => s,
        Err(e) => return api_error_page(&c, &e),
    };
    match crate::review::reject(services, &id, reason, &c.user.name).await {
        Ok(()) => Redirect::to("/desk?rejected=1").into_response(),
        Err(e) => api_error_page(&c, &e.into()),
    }
}

async fn document_page(
    State(app): AppState,
    DeskCaller(c): DeskCaller,
    Path(doc): Path<String>,
) -> Response {
    if !valid_document_id(&doc) {
        return api_error_page(&c, &ApiError::not_found("no such document"));
    }
    let row = match app.queue.document(&doc).await {
        Ok(Some(row)) => row,
        Ok(None) => return api_error_page(&c, &ApiError::not_found("no such document")),
        Err(e) => return api_error_page(&c, &e.into()),
    };
    let body = html! {
        div.card #approved {
            h1 { (t("Đã cấp văn bản", "Document issued")) " " (row.document_id) }
            p { (t("Loại", "Type")) ": " (row.doc_type) " · " (t("Trạng thái", "Status")) ": " (row.status.as_str()) }
            p {
                a #document-link href=(format!("/d/{}", row.document_id)) { (t("Trang văn bản", "Document page")) }
                " · "
                a #pdf-link href=(format!("/v1/documents/{}/pdf", row.document_id)) download { (t("Tải PDF", "Download PDF")) }
                " · "
                a href=(format!("/desk/submissions/{}", row.submission_id)) { (t("Hồ sơ gốc", "The record")) }
            }
            p { a #next-link href="/desk" { (t("Về hàng chờ duyệt", "Back to the review queue")) } }
        }
    };
    page::respond(StatusCode::OK, page::layout(&doc, &viewer(&c), body))
}
