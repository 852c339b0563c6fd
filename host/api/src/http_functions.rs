//! HTTP-shaped functions served at their own URLs: any method on `/v1/functions/{function}/http/...`,
//! `/v1/functions/{function}/versions/{version}/http/...` or `/v1/aliases/{alias}/http/...` reaches a
//! `wasi-http` function with the method, the path after `/http` with its query, the headers (without the
//! caller's token and hop-by-hop headers) and the body; the function's status, headers and body come back
//! as it answered, with `X-Execution-Id` naming the execution recorded for it. A function that fails to
//! answer gets 502 with a faultstring.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::uri::Authority;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use qinling_core::{ExecutionStatus, ProjectId, Target};
use qinling_engine::HttpServed;

use crate::extract::ApiPath;
use crate::project::Project;
use crate::target::TargetFields;
use crate::{ApiError, AppState, MAX_BODY};

/// The header naming the execution recorded for a request.
const EXECUTION_ID: HeaderName = HeaderName::from_static("x-execution-id");

/// Headers about one connection (RFC 9110 §7.6.1), which a proxy does not forward.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in [
        "/v1/functions/{function}/http",
        "/v1/functions/{function}/versions/{version}/http",
        "/v1/aliases/{alias}/http",
    ] {
        for route in [prefix.to_owned(), format!("{prefix}/"), format!("{prefix}/{{*path}}")] {
            router = router.route(&route, any(serve));
        }
    }
    router
}

/// The target a route names, and how many path segments its prefix has (`/v1/functions/{f}/http`: 4).
async fn target(
    state: &AppState,
    project: &ProjectId,
    params: &HashMap<String, String>,
) -> Result<(Target, usize), ApiError> {
    if let Some(alias) = params.get("alias") {
        return Ok((Target::Alias(alias.clone()), 4));
    }
    let version = match params.get("version") {
        None => None,
        Some(number) => Some(
            number
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("the version must be a number, not {number:?}")))?,
        ),
    };
    let fields =
        TargetFields { function_id: params.get("function").cloned(), function_version: version, ..Default::default() };
    Ok((fields.required(&state.engine, project).await?, if version.is_some() { 6 } else { 4 }))
}

/// Passes the request on to the function the route names, the route's prefix removed from the path.
async fn serve(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(params): ApiPath<HashMap<String, String>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (target, prefix_segments) = target(&state, &project, &params).await?;
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {MAX_BODY} bytes"))
    })?;
    let mut call = axum::http::Request::new(body);
    *call.method_mut() = parts.method;
    *call.uri_mut() = function_uri(&parts.uri, &parts.headers, prefix_segments)?;
    *call.headers_mut() = forwarded(parts.headers);
    let served = state.engine.serve_http(&project, &target, call).await?;
    Ok(answer(served))
}

/// The URI the function sees: the host the caller named and the path after the route's prefix.
fn function_uri(uri: &Uri, headers: &HeaderMap, prefix_segments: usize) -> Result<Uri, ApiError> {
    let authority = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.parse::<Authority>().ok())
        .map_or_else(|| "localhost".to_owned(), |authority| authority.to_string());
    let rest = after_segments(uri.path(), prefix_segments);
    let rest = if rest.is_empty() { "/" } else { rest };
    let query = uri.query().map(|query| format!("?{query}")).unwrap_or_default();
    format!("http://{authority}{rest}{query}")
        .parse()
        .map_err(|e| ApiError::bad_request(format!("cannot pass this URL on to the function: {e}")))
}

/// `path` without its first `segments` segments (`/a/b/c`, 2 → `/c`).
fn after_segments(path: &str, segments: usize) -> &str {
    let mut at = 0;
    for _ in 0..segments {
        at = path[at + 1..].find('/').map_or(path.len(), |next| at + 1 + next);
        if at == path.len() {
            break;
        }
    }
    &path[at..]
}

/// The caller's headers without its token and without headers about its connection to us (including
/// any that `Connection` names).
fn forwarded(mut headers: HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(',').map(|name| name.trim().to_ascii_lowercase()))
        .collect();
    for name in HOP_BY_HOP.iter().copied().chain(named.iter().map(String::as_str)).chain(["x-auth-token"]) {
        headers.remove(name);
    }
    headers
}

/// The function's response as it answered (without hop-by-hop headers; the length is set again for the
/// body sent), or 502 when it did not answer; both name the execution.
fn answer(served: HttpServed) -> Response {
    let execution_id = HeaderValue::from_str(&served.execution.id.to_string()).expect("a UUID is a valid header");
    let mut response = match served.response {
        Some(response) => {
            let (mut parts, body) = response.into_parts();
            parts.headers = forwarded(std::mem::take(&mut parts.headers));
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::TRANSFER_ENCODING);
            Response::from_parts(parts, Body::from(body))
        }
        None => {
            let message = served.execution.result.as_ref().map_or("", |result| result.output.as_str());
            let status = match served.execution.status {
                ExecutionStatus::Error => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_GATEWAY,
            };
            ApiError::new(status, message).into_response()
        }
    };
    response.headers_mut().insert(EXECUTION_ID, execution_id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_sees_the_path_after_the_route() {
        assert_eq!(after_segments("/v1/functions/f/http/a/b", 4), "/a/b");
        assert_eq!(after_segments("/v1/functions/f/http", 4), "");
        assert_eq!(after_segments("/v1/functions/f/http/", 4), "/");
        assert_eq!(after_segments("/v1/functions/f/versions/2/http/x", 6), "/x");
    }

    #[test]
    fn the_uri_keeps_the_host_and_query() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("faas.example:7070"));
        let uri: Uri = "/v1/aliases/prod/http/greet?name=Ada&x=1".parse().unwrap();
        assert_eq!(function_uri(&uri, &headers, 4).unwrap(), "http://faas.example:7070/greet?name=Ada&x=1");
        let bare: Uri = "/v1/aliases/prod/http".parse().unwrap();
        assert_eq!(function_uri(&bare, &HeaderMap::new(), 4).unwrap(), "http://localhost/");
    }

    #[test]
    fn the_token_and_connection_headers_stay_here() {
        let mut headers = HeaderMap::new();
        headers.insert("x-auth-token", HeaderValue::from_static("secret"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-private"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert("x-trace", HeaderValue::from_static("abc"));
        let kept = forwarded(headers);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type", "x-trace"]);
    }
}
