//! Async executions: answered at once, run by queue workers, bounded, and surviving restarts and crashes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, ServerOptions, assert_fault};

async fn submit(server: &Server, function: &str, input: Value) -> (StatusCode, Value) {
    server.post("/v1/executions", json!({"function_id": function, "input": input, "sync": false})).await
}

#[tokio::test]
async fn an_async_execution_is_answered_at_once_and_finishes_later() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let (status, accepted) = submit(&server, &function, json!({"do": "sleep", "ms": 300})).await;
    assert_eq!(status, StatusCode::CREATED, "{accepted}");
    assert_eq!(accepted["status"], "running");
    assert_eq!(accepted["sync"], false);
    assert_eq!(accepted["result"], json!({}));
    let id = accepted["id"].as_str().unwrap();
    let done = server.wait_for_execution(id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["result"]["output"], json!({"slept_ms": 300}));
    assert!(done["result"]["duration"].as_f64().unwrap() >= 0.3);
    let failed = submit(&server, &function, json!({"do": "error", "message": "async failure"})).await.1;
    let failed = server.wait_for_execution(failed["id"].as_str().unwrap(), Duration::from_secs(10)).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["result"]["output"], "async failure");
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    let options = ServerOptions {
        args: vec!["--async-workers".into(), "0".into(), "--queue-capacity".into(), "2".into()],
        ..Default::default()
    };
    let server = Server::start_with(options).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    for _ in 0..2 {
        assert_eq!(submit(&server, &function, json!({"do": "echo"})).await.0, StatusCode::CREATED);
    }
    let response = server
        .request(reqwest::Method::POST, "/v1/executions")
        .json(&json!({"function_id": function, "sync": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert!(body["faultstring"].as_str().unwrap().contains("the async queue is full"), "{body}");
    let sync = server.execute(&function, json!({"do": "echo", "value": "sync still works"})).await;
    assert_eq!(sync["status"], "success");
}

#[tokio::test]
async fn queued_executions_run_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let idle = ServerOptions { args: vec!["--async-workers".into(), "0".into()], ..Default::default() };
    let server = Server::start_in(data.path(), idle).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let queued = submit(&server, &function, json!({"do": "echo", "value": "after restart"})).await.1;
    let id = queued["id"].as_str().unwrap().to_owned();
    server.stop().await;

    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let done = server.wait_for_execution(&id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["result"]["output"], "after restart");
}

#[tokio::test]
async fn an_execution_running_when_the_server_is_killed_ends_in_error() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[("timeout", "60")]).await;
    let running = submit(&server, &function, json!({"do": "sleep", "ms": 30_000})).await.1;
    let id = running["id"].as_str().unwrap().to_owned();
    // Give a worker time to claim it, then kill the server without warning.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill().await;

    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let ended = server.wait_for_execution(&id, Duration::from_secs(5)).await;
    assert_eq!(ended["status"], "error", "{ended}");
    assert!(ended["result"]["output"].as_str().unwrap().contains("the server stopped"), "{ended}");
    let (_, listed) = server.get("/v1/executions?status=running").await;
    assert_eq!(listed["executions"], json!([]), "nothing stays running");
}

#[tokio::test]
async fn async_requests_are_checked_before_they_are_queued() {
    let server = Server::start().await;
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(&submit(&server, missing, json!({})).await, StatusCode::NOT_FOUND, missing);
    assert_eq!(server.get("/v1/executions").await.1, json!({"executions": []}));
}
