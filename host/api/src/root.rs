//! The version documents: `/` lists API versions, `/v1` names the v1 root, as Qinling's did.

use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(versions)).route("/v1", get(v1)).route("/v1/", get(v1))
}

/// The URL clients reached this server by, from the `Host` header.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

fn v1_url(headers: &HeaderMap) -> String {
    format!("{}/v1", base_url(headers))
}

async fn versions(headers: HeaderMap) -> Json<Value> {
    Json(json!({
        "versions": [{
            "id": "v1.0",
            "status": "CURRENT",
            "links": [{"href": v1_url(&headers), "target": "v1", "rel": "self"}],
        }]
    }))
}

async fn v1(headers: HeaderMap) -> Json<Value> {
    Json(json!({"uri": v1_url(&headers)}))
}
