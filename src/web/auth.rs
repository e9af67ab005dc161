//! Who is asking. The API takes `Authorization: Bearer TOKEN` (a staff
//! token from `docseal users add`); the desk signs in with the same token
//! and then carries an HttpOnly, SameSite=Strict session cookie. Only the
//! SHA-256 of tokens and session ids is stored. A request that changes
//! something with the cookie must carry the session's CSRF token (the
//! `csrf` form field on the desk's forms, or the `X-CSRF-Token` header).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::error::ApiError;
use super::App;
use crate::auth::token_sha256;
use crate::queue::{Action, NewAudit, Staff, User};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "docseal_session";
/// How long a desk session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// The header carrying the CSRF token on API calls made with the cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The longest token or session id considered.
const MAX_TOKEN_LEN: usize = 128;

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub user: User,
    /// The session's id hash and CSRF token, when signed in with the cookie.
    pub session: Option<(String, String)>,
}

impl Caller {
    /// `403` unless the caller's role may do `action`.
    pub fn require(&self, action: Action, what: &str) -> Result<(), ApiError> {
        if self.user.role.may(action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(what))
        }
    }

    /// The session's CSRF token, if signed in with the cookie.
    pub fn csrf(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, c)| c.as_str())
    }

    /// Whether `given` is the session's CSRF token (always true for a
    /// bearer token, which a browser never sends by itself).
    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        match &self.session {
            None => true,
            Some((_, expected)) => given.is_some_and(|g| constant_time_eq(g, expected)),
        }
    }

    /// Appends an audit line for what this caller did; a failure to write
    /// it is logged (the change it records has been made).
    pub async fn audit(
        &self,
        app: &App,
        action: &str,
        subject: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) {
        let entry = NewAudit {
            actor: &self.user.name,
            action,
            subject,
            before,
            after,
        };
        if let Err(e) = app.queue.audit(&entry).await {
            tracing::error!(error = %e, action, subject, "An audit line could not be written.");
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The bearer token of a request, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The session cookie's value, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    let jar = axum_extra::extract::CookieJar::from_headers(&parts.headers);
    jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
}

/// Who the request comes from, if anyone: a bearer token first, then the
/// session cookie.
pub async fn identify(parts: &Parts, app: &App) -> Result<Option<Caller>, ApiError> {
    let queue = app.queue.as_ref();
    if let Some(token) = bearer(parts) {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        return Ok(queue
            .user_for_token(&token_sha256(token))
            .await?
            .map(|user| Caller {
                user,
                session: None,
            }));
    }
    let Some(id) = session_cookie(parts).filter(|v| !v.is_empty() && v.len() <= MAX_TOKEN_LEN)
    else {
        return Ok(None);
    };
    let id_sha = token_sha256(&id);
    Ok(queue.session(&id_sha).await?.map(|s| Caller {
        user: s.user,
        session: Some((id_sha, s.csrf_token)),
    }))
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    /// A caller of the API: `401` without good credentials; a request with
    /// the cookie that changes something must carry the CSRF header.
    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = identify(parts, app)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !safe && !caller.csrf_ok(header) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "a request made with the desk's cookie must carry its X-CSRF-Token header",
            ));
        }
        Ok(caller)
    }
}

/// Whoever calls, if anyone: for routes that audit a refused call before
/// answering it (`401` or `403`), which [`Caller`] cannot do.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Arc<App>> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        Ok(MaybeCaller(identify(parts, app).await?))
    }
}

/// A member of staff on a desk page: without a session, the browser is
/// sent to the login page.
#[derive(Debug, Clone)]
pub struct DeskCaller(pub Caller);

impl FromRequestParts<Arc<App>> for DeskCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        match identify(parts, app).await {
            Ok(Some(c)) if c.session.is_some() => Ok(DeskCaller(c)),
            Ok(_) => Err(Redirect::to("/desk/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The `Set-Cookie` value of a new session.
pub fn session_set_cookie(id: &str, secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, id.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie_duration(SESSION_TTL))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that ends the session in the browser.
pub fn session_clear_cookie(secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie_duration(Duration::ZERO))
        .build()
        .to_string()
}

fn cookie_duration(d: Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(0))
}
