//! `/v1/packages/{digest}`: where container workers download the package they load, with the token the
//! bridge gave them in `X-Auth-Token` (see runtimes/README.md). Not for users: they download a function's
//! package with `GET /v1/functions/{id}?download=true`.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::extract::ApiPath;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/v1/packages/{digest}", get(download))
}

async fn download(
    State(state): State<AppState>,
    ApiPath(digest): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = headers.get("x-auth-token").and_then(|value| value.to_str().ok()).unwrap_or_default();
    let package = state.engine.package_for_worker(&digest, token).await?;
    Ok(([(CONTENT_TYPE, "application/zip")], Body::from(package)).into_response())
}
