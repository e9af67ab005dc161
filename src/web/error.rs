//! Errors as the service answers them: an HTTP status, a stable code and a
//! message in plain words, as `{"error": {"code", "message", "field"?}}`.
//! Internal errors are logged with their detail and answered with a generic
//! message: no path, SQL or library text reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::queue::QueueError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine code, e.g. `not_found`.
    pub code: &'static str,
    /// What happened, in plain words.
    pub message: String,
    /// The field a refused value belongs to.
    pub field: Option<String>,
}

/// The error body, as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code.
    pub code: String,
    /// What happened, in plain words.
    pub message: String,
    /// The field a refused value belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no credentials, or credentials that are not (or no longer) good.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid staff token or session is needed",
        )
    }

    /// 403: the caller's role may not do this.
    pub fn forbidden(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("your role may not {what}"),
        )
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 415.
    pub fn unsupported(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 422 naming the field and the rule it breaks.
    pub fn invalid(field: &str, rule: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_value",
            message: format!("{field}: {rule}"),
            field: Some(field.to_string()),
        }
    }

    /// 429.
    pub fn rate_limited() -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from your address; wait a moment",
        )
    }

    /// 503: a backend cannot be reached; `what` is logged, not sent.
    pub fn unavailable(what: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %what, "A backend could not be used.");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service cannot reach its storage right now; try again later",
        )
    }

    /// 500: `what` is logged, not sent.
    pub fn internal(what: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %what, "A request failed.");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request could not be completed; it has been logged",
        )
    }

    /// The body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(f) = &self.field {
            error["field"] = json!(f);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> ApiError {
        match e {
            QueueError::Conflict(m) => ApiError::conflict(m),
            e => ApiError::unavailable(&e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::unavailable(&e)
    }
}

impl From<crate::review::ReviewError> for ApiError {
    fn from(e: crate::review::ReviewError) -> ApiError {
        use crate::review::ReviewError as R;
        match e {
            R::NotFound(m) => ApiError::not_found(m),
            R::Conflict(m) => ApiError::conflict(m),
            R::Invalid { field, rule } => ApiError::invalid(&field, &rule),
            e => ApiError::internal(&e),
        }
    }
}

/// What a handler that panicked answers (the panic is logged).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown cause");
    ApiError::internal(&format_args!("a handler panicked: {what}")).into_response()
}

/// Axum's own refusals (a body over its limit, a malformed JSON or form
/// body, a bad path parameter) in this service's error shape.
pub fn from_rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large("the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported(text),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => ApiError::bad_request(text),
        other => ApiError::new(other, "bad_request", text),
    }
}
