//! The release `qinling server` as a separate process on 127.0.0.1:0, and a small client for its API.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::qinling_binary;

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> Self {
        Self::start_on("127.0.0.1:0", data_dir, extra_args)
    }

    /// A server with extra environment variables (credentials).
    pub fn start_with_env(data_dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn("127.0.0.1:0", data_dir, extra_args, env)
    }

    /// A server listening on `listen` (`0.0.0.0:0` where containers must reach it).
    pub fn start_on(listen: &str, data_dir: &Path, extra_args: &[&str]) -> Self {
        Self::spawn(listen, data_dir, extra_args, &[])
    }

    fn spawn(listen: &str, data_dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(qinling_binary())
            .envs(env.iter().copied())
            .args(["server", "--listen", listen, "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the release qinling binary");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let url = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("qinling listening on ").map(str::to_owned))
            .expect("the server did not start");
        Self { child, url }
    }

    /// The server's resident memory, in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("the server's status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    pub fn api(&self) -> Api {
        Api { client: reqwest::Client::new(), url: self.url.clone() }
    }

    /// Calls that carry a Keystone token (`X-Auth-Token`), for a server with authentication on.
    pub fn api_as(&self, token: &str) -> Api {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-auth-token", token.parse().expect("a token is a header value"));
        let client = reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client");
        Api { client, url: self.url.clone() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// JSON calls against one server; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    url: String,
}

impl Api {
    pub async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.url)).send().await.expect("GET");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("JSON answer")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Value {
        let response = self.client.post(format!("{}{path}", self.url)).json(&body).send().await.expect("POST");
        assert!(response.status().is_success(), "POST {path}: {}", response.status());
        response.json().await.expect("JSON answer")
    }

    /// Creates a Wasm runtime and returns its id.
    pub async fn wasm_runtime(&self) -> String {
        let runtime = self.post_json("/v1/runtimes", serde_json::json!({"name": "wasm", "image": "wasm"})).await;
        runtime["id"].as_str().expect("runtime id").to_owned()
    }

    /// Uploads a Wasm package as a function of `runtime` and returns the function's id.
    pub async fn upload(&self, runtime: &str, package: Vec<u8>) -> String {
        self.upload_file(runtime, package, "f.wasm").await
    }

    /// Uploads a package (`.wasm` or `.zip`, by `file_name`) as a function of `runtime`; its id.
    pub async fn upload_file(&self, runtime: &str, package: Vec<u8>, file_name: &str) -> String {
        let form = Form::new()
            .text("runtime_id", runtime.to_owned())
            .text("code", r#"{"source": "package"}"#)
            .part("package", Part::bytes(package).file_name(file_name.to_owned()));
        let response =
            self.client.post(format!("{}/v1/functions", self.url)).multipart(form).send().await.expect("upload");
        assert!(response.status().is_success(), "upload: {}", response.text().await.unwrap_or_default());
        response.json::<Value>().await.expect("JSON answer")["id"].as_str().expect("function id").to_owned()
    }

    /// Runs a sync execution and checks that it succeeded.
    pub async fn execute(&self, body: &Value) {
        let execution = self.post_json("/v1/executions", body.clone()).await;
        assert_eq!(execution["status"], "success", "{execution}");
    }
}

/// Sync executions of `body` from `concurrency` clients for `time`: every round trip's duration.
pub async fn load(api: &Api, body: &Value, concurrency: usize, time: Duration) -> Vec<Duration> {
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..concurrency)
        .map(|_| {
            let (api, body, stop) = (api.clone(), body.clone(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    api.execute(&body).await;
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(time).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.expect("a load client"));
    }
    all
}
