//! A `qinling server` child process on 127.0.0.1:0 (or another address) with its own data directory, and a
//! JSON client for it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a server may take to start.
const STARTUP: Duration = Duration::from_secs(60);

#[derive(Default, Clone)]
pub struct ServerOptions {
    /// Extra `qinling server` flags.
    pub args: Vec<String>,
    /// Where to listen (default 127.0.0.1:0).
    pub listen: Option<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

pub struct Server {
    child: Child,
    pub url: String,
    pub data_dir: PathBuf,
    /// Keeps a temporary data directory alive as long as the server (None when the caller owns it).
    _temp: Option<tempfile::TempDir>,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Server {
    /// A server on a fresh temporary data directory.
    pub async fn start() -> Self {
        Self::start_with(ServerOptions::default()).await
    }

    pub async fn start_with(options: ServerOptions) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut server = Self::start_in(temp.path(), options).await;
        server._temp = Some(temp);
        server
    }

    /// A server on `data_dir`, which outlives it (for restart tests).
    pub async fn start_in(data_dir: &Path, options: ServerOptions) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qinling"))
            .args(["server", "--listen", options.listen.as_deref().unwrap_or("127.0.0.1:0"), "--data-dir"])
            .arg(data_dir)
            .args(&options.args)
            .envs(options.env.iter().map(|(key, value)| (key, value)))
            .env("RUST_LOG", "info")
            // Errors need no native backtraces: they are slow to capture and noisy in the logs.
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting qinling server");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut out_lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(STARTUP, async {
            while let Some(line) = out_lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("qinling listening on ") {
                    return Some(url.to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the server did not start; its log:\n{}", stderr.lock().unwrap()));
        Self { child, url, data_dir: data_dir.to_owned(), _temp: None, stderr, http: reqwest::Client::new() }
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().expect("server still running");
        std::process::Command::new("kill").arg(pid.to_string()).status().unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.unwrap().unwrap();
        assert!(status.success(), "server exited with {status}");
        self.log()
    }

    /// Kills the server with SIGKILL (no chance to clean up) and waits for it to be gone.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// The server's resident memory now and at its peak, in KiB (from /proc).
    pub fn memory_kib(&self) -> (u64, u64) {
        let pid = self.child.id().expect("server still running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|line| line.starts_with(name)).unwrap_or_else(|| panic!("no {name}"));
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The HTTP client (with its connection pool) the helpers use.
    pub fn client(&self) -> reqwest::Client {
        self.http.clone()
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// Scrapes `/metrics` (Prometheus text).
    pub async fn metrics(&self) -> String {
        let response = self.request(Method::GET, "/metrics").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        response.text().await.unwrap()
    }

    /// Sends a request and returns the status and the body as JSON (`Null` for an empty body; a non-JSON
    /// body fails the test, since every answer of the API but logs and downloads is JSON).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}; the server's log:\n{}", self.log()));
        let status = response.status();
        let text = response.text().await.unwrap();
        if text.is_empty() {
            return (status, Value::Null);
        }
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer ({status}): {text}"));
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Creates a Wasm runtime and returns its id.
    pub async fn wasm_runtime(&self) -> String {
        let (status, body) = self.post("/v1/runtimes", json!({"name": "wasm", "image": "wasm"})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `package` as a function of `runtime` the way Qinling's quickstart does (multipart form,
    /// `code` as JSON text), with extra form fields.
    pub async fn create_function(
        &self,
        runtime: &str,
        package: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut form = Form::new()
            .text("runtime_id", runtime.to_owned())
            .text("code", json!({"source": "package"}).to_string())
            .part("package", Part::bytes(package).file_name("function.wasm"));
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        self.send(self.request(Method::POST, "/v1/functions").multipart(form)).await
    }

    /// Creates a function from an example guest and returns its id.
    pub async fn function(&self, runtime: &str, guest: &str, fields: &[(&str, &str)]) -> String {
        let (status, body) = self.create_function(runtime, super::guest(guest), fields).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Runs a function synchronously and returns the execution record.
    pub async fn execute(&self, function: &str, input: Value) -> Value {
        let (status, body) = self.post("/v1/executions", json!({"function_id": function, "input": input})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Polls an execution until it leaves `running` (or fails the test after `within`), and returns it.
    pub async fn wait_for_execution(&self, execution: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (status, body) = self.get(&format!("/v1/executions/{execution}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if body["status"] != "running" {
                return body;
            }
            assert!(tokio::time::Instant::now() < deadline, "execution still running after {within:?}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The log of an execution, checking that it is served as text.
    pub async fn execution_log(&self, execution: &str) -> String {
        let response = self.request(Method::GET, &format!("/v1/executions/{execution}/log")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain"), "log served as {content_type}");
        response.text().await.unwrap()
    }

    /// The package files (`<digest>.pkg`) in the data directory (to prove that nothing is left behind).
    pub fn stored_packages(&self) -> Vec<String> {
        let mut packages = files_in(&self.data_dir.join("packages"));
        packages.retain(|name| name.ends_with(".pkg"));
        packages
    }

    /// The compiled artifacts in the data directory.
    pub fn compiled_artifacts(&self) -> Vec<PathBuf> {
        files_in(&self.data_dir.join("compiled"))
            .into_iter()
            .map(|name| self.data_dir.join("compiled").join(name))
            .collect()
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}
