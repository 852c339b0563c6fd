//! `GET /metrics` in the Prometheus text format: the engine's figures (executions, queue, pools) and
//! this layer's own, every request's latency by method, route and status code, recorded by a middleware.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dashmap::DashMap;
use qinling_core::metrics::{Exposition, Histogram};

use crate::{ApiError, AppState};

/// The label of requests that matched no route (kept as one, so that scanners cannot add labels).
const UNMATCHED: &str = "unmatched";

/// Request latencies per (method, route template, status code).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: DashMap<(Method, String, u16), Histogram>,
}

impl HttpMetrics {
    fn observe(&self, method: Method, route: &str, code: u16, started: Instant) {
        let elapsed = started.elapsed();
        let key = (method, route.to_owned(), code);
        match self.requests.get(&key) {
            Some(histogram) => histogram.observe(elapsed),
            None => self.requests.entry(key).or_default().observe(elapsed),
        }
    }

    fn exposition(&self) -> Exposition {
        let mut out = Exposition::new();
        let name = "qinling_http_request_duration_seconds";
        out.family(name, "histogram", "REST API requests by method, route and status code, and their latency.");
        let mut keys: Vec<_> = self.requests.iter().map(|entry| entry.key().clone()).collect();
        keys.sort_by(|a, b| (a.1.as_str(), a.0.as_str(), a.2).cmp(&(b.1.as_str(), b.0.as_str(), b.2)));
        for key in keys {
            if let Some(histogram) = self.requests.get(&key) {
                let code = key.2.to_string();
                out.histogram(name, &[("method", key.0.as_str()), ("route", &key.1), ("code", &code)], &histogram);
            }
        }
        out
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Times every request (a middleware over the whole router).
pub(crate) async fn track(State(metrics): State<Arc<HttpMetrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics.observe(method, route.as_deref().unwrap_or(UNMATCHED), response.status().as_u16(), started);
    response
}

async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut out = state.engine.metrics().await?;
    out.extend(state.http.exposition());
    let mut response = out.into_text().into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(response)
}
