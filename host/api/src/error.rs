//! [`ApiError`]: every failure as an HTTP status and `{"faultstring": "..."}`, the shape Qinling's
//! clients read. Server-side failures are logged here, once, and answered without internals.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use qinling_engine::EngineError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

/// Seconds a client is told to wait before retrying when the platform is at capacity.
const RETRY_AFTER_SECS: &str = "1";

#[derive(Serialize)]
struct Fault<'a> {
    faultstring: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        let status = match &error {
            EngineError::Invalid(_) => StatusCode::BAD_REQUEST,
            EngineError::NotFound { .. } => StatusCode::NOT_FOUND,
            EngineError::Conflict(_) => StatusCode::CONFLICT,
            EngineError::Forbidden(_) => StatusCode::FORBIDDEN,
            EngineError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            EngineError::Overloaded(_) => StatusCode::TOO_MANY_REQUESTS,
            EngineError::Unavailable(_) => {
                tracing::warn!(error = %error, "request failed on a dependency");
                StatusCode::SERVICE_UNAVAILABLE
            }
            EngineError::Store(_) | EngineError::Internal(_) => {
                tracing::error!(error = %error, "request failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal server error; the server log has details",
                );
            }
        };
        Self::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(Fault { faultstring: &self.message })).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
        }
        response
    }
}

pub(crate) async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no resource at {}", uri.path()))
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this resource does not support that method")
}
