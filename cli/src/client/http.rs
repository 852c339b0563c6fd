//! A thin REST client: JSON in and out, and the server's `faultstring` as the error when a call fails.

use anyhow::{Context, bail};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

use super::{Connection, table};

pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    pub(crate) json: bool,
}

impl Api {
    pub(crate) fn new(connection: &Connection) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some(token) = &connection.token {
            let mut value = HeaderValue::from_str(token).context("the token is not a valid header value")?;
            value.set_sensitive(true);
            headers.insert("x-auth-token", value);
        }
        Ok(Self {
            http: reqwest::Client::builder().default_headers(headers).build()?,
            base: connection.url.trim_end_matches('/').to_owned(),
            json: connection.json,
        })
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends a request and returns the response if it succeeded, or the server's complaint.
    pub(crate) async fn send(&self, request: RequestBuilder) -> anyhow::Result<Response> {
        let response =
            request.send().await.with_context(|| format!("cannot reach the Qinling server at {}", self.base))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let fault = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|value| value.get("faultstring").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(body);
        bail!("{fault} (HTTP {})", status.as_u16())
    }

    pub(crate) async fn send_json(&self, request: RequestBuilder) -> anyhow::Result<Value> {
        let response = self.send(request).await?;
        response.json().await.context("the server's answer is not JSON")
    }

    pub(crate) async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send_json(self.request(Method::GET, path)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> anyhow::Result<()> {
        self.send(self.request(Method::DELETE, path)).await.map(drop)
    }

    /// Prints one resource: a table, or the JSON with `--json`.
    pub(crate) fn print_resource(&self, value: &Value) {
        if self.json { println!("{value:#}") } else { table::print_resource(value) }
    }

    /// Prints the list under `key` of a list answer: a table of `columns`, or the JSON with `--json`.
    pub(crate) fn print_list(&self, answer: &Value, key: &str, columns: &[&str]) {
        if self.json { println!("{answer:#}") } else { table::print_list(&answer[key], columns) }
    }
}
