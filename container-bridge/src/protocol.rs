//! The worker protocol, client side (the server side and the full description are in
//! runtimes/README.md): `GET /health`, `POST /load` (fetch a package from a URL with a token),
//! `POST /execute` (input, timeout, memory; output, duration, log). JSON over HTTP/1.1.

use std::time::Duration;

use qinling_core::{ExecutionOutcome, WorkerKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol version workers announce in `/health`.
pub const PROTOCOL: &str = "qinling-worker/1";
/// The port workers listen on inside their container or pod.
pub const WORKER_PORT: u16 = 9090;
/// How long a worker may take to fetch, unpack and import a package.
const LOAD_TIMEOUT: Duration = Duration::from_secs(60);
/// How long past the execution's own timeout the bridge waits for the worker's answer.
const EXECUTE_GRACE: Duration = Duration::from_secs(10);
/// How long a health check may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// What a worker reports about itself.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub protocol: String,
    /// The function the worker holds, if any.
    pub function: Option<LoadedFunction>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LoadedFunction {
    pub function_id: String,
    pub function_version: i64,
}

impl LoadedFunction {
    /// The function and version this worker holds, if its id is one of ours.
    pub fn key(&self) -> Option<WorkerKey> {
        Some(WorkerKey { function_id: self.function_id.parse().ok()?, version: self.function_version })
    }
}

#[derive(Serialize)]
struct LoadRequest<'a> {
    function_id: String,
    function_version: i64,
    entry: Option<&'a str>,
    download_url: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct ExecuteRequest {
    execution_id: String,
    input: Value,
    timeout: f64,
    memory_size: u64,
}

#[derive(Deserialize)]
struct ExecuteReply {
    success: bool,
    output: Value,
    duration: f64,
    #[serde(default)]
    log: String,
}

#[derive(Deserialize)]
struct Refusal {
    error: String,
}

/// Why a worker did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The worker refused the request (HTTP 4xx): for a load, the package or its entry is at fault.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The worker could not be reached, failed (HTTP 5xx), or answered something that is not the protocol.
    #[error("{0}")]
    Broken(String),
}

/// Speaks the worker protocol to workers at their base URL (`http://10.1.2.3:9090`).
#[derive(Clone)]
pub struct WorkerClient {
    http: reqwest::Client,
}

impl Default for WorkerClient {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerClient {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .expect("a plain HTTP client builds");
        Self { http }
    }

    pub async fn health(&self, address: &str) -> Result<Health, WorkerError> {
        let request = self.http.get(format!("{address}/health")).timeout(HEALTH_TIMEOUT);
        let health: Health = reply(request.send().await).await?;
        if health.protocol != PROTOCOL {
            return Err(WorkerError::Broken(format!("the worker speaks {:?}, not {PROTOCOL:?}", health.protocol)));
        }
        Ok(health)
    }

    /// Has the worker fetch and load a function's package.
    pub async fn load(
        &self,
        address: &str,
        key: WorkerKey,
        entry: Option<&str>,
        download: &qinling_core::PackageDownload,
    ) -> Result<(), WorkerError> {
        let body = LoadRequest {
            function_id: key.function_id.to_string(),
            function_version: key.version,
            entry,
            download_url: &download.url,
            token: &download.token,
        };
        let request = self.http.post(format!("{address}/load")).json(&body).timeout(LOAD_TIMEOUT);
        reply::<Value>(request.send().await).await.map(drop)
    }

    /// Runs one execution on the worker and returns what came of it.
    pub async fn execute(
        &self,
        address: &str,
        execution: &qinling_core::ContainerExecution,
    ) -> Result<ExecutionOutcome, WorkerError> {
        let input = serde_json::from_str(&execution.input)
            .map_err(|e| WorkerError::Broken(format!("the execution's input is not JSON: {e}")))?;
        let body = ExecuteRequest {
            execution_id: execution.execution_id.to_string(),
            input,
            timeout: execution.limits.timeout.as_secs_f64(),
            memory_size: execution.limits.memory_size,
        };
        let wait = execution.limits.timeout + EXECUTE_GRACE;
        let request = self.http.post(format!("{address}/execute")).json(&body).timeout(wait);
        let answer: ExecuteReply = reply(request.send().await).await?;
        let output = match (answer.success, answer.output) {
            (true, output) => Ok(output.to_string()),
            (false, Value::String(message)) => Err(message),
            (false, other) => Err(other.to_string()),
        };
        Ok(ExecutionOutcome { output, duration: Duration::from_secs_f64(answer.duration.max(0.0)), log: answer.log })
    }
}

/// Decodes a worker's answer: a 2xx JSON body, or a refusal with its `error`.
async fn reply<T: serde::de::DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, WorkerError> {
    let response = sent.map_err(|e| WorkerError::Broken(describe(&e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| WorkerError::Broken(describe(&e)))?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| WorkerError::Broken(format!("the worker's answer is not the protocol: {e}")));
    }
    let message = serde_json::from_slice::<Refusal>(&body)
        .map(|refusal| refusal.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(500).collect());
    if status.is_client_error() {
        Err(WorkerError::Refused { status: status.as_u16(), message })
    } else {
        Err(WorkerError::Broken(format!("the worker failed (HTTP {status}): {message}")))
    }
}

fn describe(error: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
