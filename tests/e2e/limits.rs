//! Per-execution limits: a timeout stops even a loop without host calls, a memory cap stops a memory
//! bomb, an oversized log is cut and the cut is marked. Each failure is the function's alone.

use std::time::Instant;

use serde_json::json;

use crate::support::Server;

#[tokio::test]
async fn a_tight_loop_is_stopped_at_its_timeout() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[("timeout", "1")]).await;
    let started = Instant::now();
    let execution = server.execute(&function, json!({"do": "loop"})).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(execution["status"], "failed", "{execution}");
    assert!(execution["result"]["output"].as_str().unwrap().contains("timed out after 1 s"), "{execution}");
    assert!(elapsed < 3.0, "a 1 s timeout took {elapsed} s");
    let ok = server.execute(&function, json!({"do": "echo", "value": 1})).await;
    assert_eq!(ok["status"], "success");
}

#[tokio::test]
async fn a_sleeping_function_is_stopped_at_its_timeout() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[("timeout", "1")]).await;
    let execution = server.execute(&function, json!({"do": "sleep", "ms": 60_000})).await;
    assert_eq!(execution["status"], "failed", "{execution}");
    assert!(execution["result"]["output"].as_str().unwrap().contains("timed out"), "{execution}");
    let quick = server.execute(&function, json!({"do": "sleep", "ms": 10})).await;
    assert_eq!(quick["result"]["output"], json!({"slept_ms": 10}));
}

#[tokio::test]
async fn a_memory_bomb_is_stopped_at_its_memory_size() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[("memory_size", &(64 << 20).to_string())]).await;
    let execution = server.execute(&function, json!({"do": "alloc", "mb": 1000})).await;
    assert_eq!(execution["status"], "failed", "{execution}");
    let message = execution["result"]["output"].as_str().unwrap();
    assert!(message.contains("memory limit exceeded"), "{message}");
    assert!(message.contains("its memory_size is 64 MiB"), "{message}");
    let within = server.execute(&function, json!({"do": "alloc", "mb": 16})).await;
    assert_eq!(within["result"]["output"], json!({"allocated_mb": 16}), "{within}");
}

#[tokio::test]
async fn a_flood_of_log_is_cut_and_the_cut_marked() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let execution = server.execute(&function, json!({"do": "log", "bytes": 10_000_000})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    let log = server.execution_log(execution["id"].as_str().unwrap()).await;
    assert!(log.len() < 300 * 1024, "log of {} bytes", log.len());
    assert!(
        log.ends_with("[qinling: log truncated at 262144 bytes; 9737856 more bytes dropped]\n"),
        "{}",
        &log[log.len() - 200..]
    );
}
