//! The HTML layout the desk and the public pages share: one stylesheet in
//! the page, no script from elsewhere, every text in Vietnamese with its
//! English beside it.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet, small enough to send with every page.
const CSS: &str = r#"
:root { --ink:#1d2733; --muted:#5b6673; --line:#d5dbe1; --ok:#1b7f3b; --bad:#b3261e; --warn:#8a5a00; --accent:#0b57d0; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, "Noto Sans", "DejaVu Sans", sans-serif; color:var(--ink); background:#f6f7f9; }
header { background:#fff; border-bottom:1px solid var(--line); padding:.6rem 1.2rem; display:flex; gap:1.2rem; align-items:center; flex-wrap:wrap; }
header .brand { font-weight:700; }
header nav a { margin-right:1rem; }
main { padding:1.2rem; max-width:1400px; margin:0 auto; }
a { color:var(--accent); }
.en { color:var(--muted); font-size:.85em; }
.en::before { content:" · "; }
button .en { color:rgba(255,255,255,.85); }
button.secondary .en { color:var(--muted); }
.en.detail { display:block; } .en.detail::before { content:""; }
h1 .en, h2 .en { font-weight:400; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { text-align:left; padding:.4rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin-bottom:1rem; }
.error { color:var(--bad); font-weight:600; }
.notice { color:var(--ok); font-weight:600; }
.verdict { font-size:1.6rem; font-weight:800; }
.verdict.valid { color:var(--ok); } .verdict.invalid { color:var(--bad); } .verdict.cannot_tell { color:var(--warn); }
.check.pass::before { content:"✔ "; color:var(--ok); } .check.fail::before { content:"✘ "; color:var(--bad); }
.check.unknown::before { content:"? "; color:var(--warn); } .check.skipped::before { content:"– "; color:var(--muted); }
label { display:block; font-weight:600; margin-top:.6rem; }
input[type=text], input[type=password], textarea { width:100%; padding:.45rem; font:inherit; border:1px solid var(--line); border-radius:4px; }
button { font:inherit; padding:.45rem 1rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
.review { display:grid; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); gap:1rem; align-items:start; }
.pages { position:relative; }
.page-wrap { position:relative; margin-bottom:1rem; border:1px solid var(--line); background:#fff; }
.page-wrap img { display:block; width:100%; height:auto; }
.page-wrap svg { position:absolute; inset:0; width:100%; height:100%; pointer-events:none; }
.page-wrap rect { fill:rgba(255,196,0,.18); stroke:#c77700; stroke-width:3; }
.page-wrap rect.doubt { fill:rgba(179,38,30,.12); stroke:var(--bad); }
.page-wrap rect.active { stroke:var(--accent); stroke-width:6; fill:rgba(11,87,208,.12); }
.field { padding:.5rem; border-left:4px solid transparent; }
.field.doubt { border-left-color:var(--bad); background:#fff6f5; }
.field.confirmed { border-left-color:var(--ok); background:#f3fbf5; }
.reason { color:var(--bad); font-size:.9em; }
.keys { color:var(--muted); font-size:.85em; }
kbd { border:1px solid var(--line); border-bottom-width:2px; border-radius:3px; padding:0 .3em; background:#fff; font-size:.85em; }
.progress li[data-state=issued] { color:var(--ok); } .progress li[data-state=failed] { color:var(--bad); }
.progress li[data-state=needs_review] { color:var(--warn); }
dl.fields { display:grid; grid-template-columns: max-content 1fr; gap:.3rem 1rem; }
dl.fields dt { font-weight:600; }
"#;

/// A text in Vietnamese with its English beside it.
pub fn t(vi: &str, en: &str) -> Markup {
    html! { (vi) span.en lang="en" { (en) } }
}

/// Who is looking at a page, for its header.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The signed-in member of staff and their role, if any.
    pub user: Option<(String, String)>,
    /// The session's CSRF token, for the logout form.
    pub csrf: Option<String>,
}

/// A whole page.
pub fn layout(title: &str, viewer: &Viewer, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · docseal" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    span.brand { "docseal" }
                    nav {
                        @if viewer.user.is_some() {
                            a href="/desk" { (t("Hàng chờ duyệt", "Review queue")) }
                            a href="/desk/upload" { (t("Tải lên", "Upload")) }
                            a href="/desk/report" { (t("Báo cáo đúng hạn", "On-time report")) }
                        }
                        a href="/verify" { (t("Xác minh", "Verify")) }
                    }
                    @if let Some((name, role)) = &viewer.user {
                        span { (name) " (" (role) ")" }
                        form method="post" action="/desk/logout" style="display:inline" {
                            @if let Some(csrf) = &viewer.csrf {
                                input type="hidden" name="csrf" value=(csrf);
                            }
                            button.secondary type="submit" { (t("Đăng xuất", "Log out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page answered with a status.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// An error page.
pub fn error_page(status: StatusCode, viewer: &Viewer, vi: &str, en: &str) -> Response {
    respond(
        status,
        layout(
            en,
            viewer,
            html! {
                h1 { (t("Không thực hiện được", "This could not be done")) }
                p.error { (t(vi, en)) }
            },
        ),
    )
}
