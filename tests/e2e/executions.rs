//! `/v1/executions`: sync runs with their output, duration and log; failures that stay the function's.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, assert_fault};

#[tokio::test]
async fn a_sync_execution_returns_the_output_and_records_it_with_its_log() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let execution = server.execute(&function, json!({"text": "the cat and the hat and the bat", "top": 2})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert_eq!(execution["sync"], true);
    assert_eq!(execution["function_id"], function.as_str());
    assert_eq!(execution["function_version"], 0);
    assert_eq!(execution["result"]["output"], json!({"words": 8, "unique": 5, "top": [["the", 3], ["and", 2]]}));
    let duration = execution["result"]["duration"].as_f64().unwrap();
    assert!(duration > 0.0 && duration < 5.0, "duration {duration}");
    assert_eq!(execution["input"], r#"{"text":"the cat and the hat and the bat","top":2}"#);
    let id = execution["id"].as_str().unwrap();

    assert_eq!(server.get(&format!("/v1/executions/{id}")).await.1, execution);
    let log = server.execution_log(id).await;
    assert!(log.contains(&format!("execution {id}: counting words in 31 bytes")), "{log}");
    assert!(log.contains("found 8 words, 5 unique"), "{log}");
    let (_, function_record) = server.get(&format!("/v1/functions/{function}")).await;
    assert_eq!(function_record["count"], 1, "the execution is counted");
}

#[tokio::test]
async fn input_may_be_json_text_or_plain_text() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    // Qinling's client sends the input as text.
    let execution = server.execute(&function, json!(r#"{"do": "echo", "value": [1, 2]}"#)).await;
    assert_eq!(execution["result"]["output"], json!([1, 2]), "{execution}");
    // Text that is not JSON reaches the function as a JSON string: here it is not an object, so it fails.
    let execution = server.execute(&function, json!("hello")).await;
    assert_eq!(execution["status"], "failed");
    assert_eq!(execution["input"], "hello");
    assert!(execution["result"]["output"].as_str().unwrap().contains("bad input"), "{execution}");
}

#[tokio::test]
async fn a_function_that_fails_gives_a_failed_execution_and_the_server_carries_on() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let cases = [
        (json!({"do": "error", "message": "no such order"}), "no such order"),
        (json!({"do": "panic", "message": "boom"}), "the function trapped"),
        (json!({"do": "invalid-json"}), "the function returned invalid JSON"),
        (json!({"do": "recurse"}), "stack overflow"),
    ];
    for (input, needle) in cases {
        let execution = server.execute(&function, input.clone()).await;
        assert_eq!(execution["status"], "failed", "{input}: {execution}");
        let message = execution["result"]["output"].as_str().unwrap();
        assert!(message.contains(needle), "{input}: {message}");
        let ok = server.execute(&function, json!({"do": "echo", "value": "fine"})).await;
        assert_eq!(ok["status"], "success", "after {input}: {ok}");
    }
    let panicked = server.execute(&function, json!({"do": "panic", "message": "boom"})).await;
    let log = server.execution_log(panicked["id"].as_str().unwrap()).await;
    assert!(log.contains("asked to panic: boom"), "the panic message is in the log: {log}");
}

#[tokio::test]
async fn the_function_sees_only_its_qinling_context() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let execution = server.execute(&function, json!({"do": "env"})).await;
    let vars: Vec<(String, String)> = serde_json::from_value(execution["result"]["output"].clone()).unwrap();
    let names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["QINLING_EXECUTION_ID", "QINLING_FUNCTION_ID", "QINLING_FUNCTION_VERSION", "QINLING_DEADLINE_MS"]
    );
    assert_eq!(vars[0].1, execution["id"].as_str().unwrap());
    assert_eq!(vars[1].1, function);
    assert_eq!(vars[2].1, "0");
}

#[tokio::test]
async fn executions_are_listed_filtered_and_deleted() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let first = server.function(&runtime, "misbehave", &[]).await;
    let second = server.function(&runtime, "word-stats", &[]).await;
    let ok = server.execute(&first, json!({"do": "echo"})).await;
    let failed = server.execute(&first, json!({"do": "error", "message": "x"})).await;
    let other = server.execute(&second, json!({"text": "a"})).await;

    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["executions"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
    };
    let id = |e: &serde_json::Value| e["id"].as_str().unwrap().to_owned();
    // Newest first.
    assert_eq!(ids(&server.get("/v1/executions").await.1), [id(&other), id(&failed), id(&ok)]);
    assert_eq!(ids(&server.get(&format!("/v1/executions?function_id={first}")).await.1), [id(&failed), id(&ok)]);
    assert_eq!(ids(&server.get("/v1/executions?status=failed").await.1), [id(&failed)]);
    assert_eq!(ids(&server.get(&format!("/v1/executions?function_id={second}&status=success")).await.1), [id(&other)]);
    assert_eq!(ids(&server.get("/v1/executions?status=neq:success").await.1), [id(&failed)]);
    assert_eq!(ids(&server.get("/v1/executions?status=in:failed,error").await.1), [id(&failed)]);
    assert_fault(&server.get("/v1/executions?status=done").await, StatusCode::BAD_REQUEST, "status: must be running");
    assert_fault(
        &server.get("/v1/executions?status=gt:failed").await,
        StatusCode::BAD_REQUEST,
        "gt filter does not apply",
    );
    assert_fault(
        &server.get("/v1/executions?function_id=nope").await,
        StatusCode::NOT_FOUND,
        "function nope not found",
    );

    assert_eq!(server.delete(&format!("/v1/executions/{}", id(&ok))).await.0, StatusCode::NO_CONTENT);
    assert_fault(&server.get(&format!("/v1/executions/{}", id(&ok))).await, StatusCode::NOT_FOUND, "not found");
    assert_fault(&server.get(&format!("/v1/executions/{}/log", id(&ok))).await, StatusCode::NOT_FOUND, "not found");
    assert_eq!(ids(&server.get("/v1/executions").await.1), [id(&other), id(&failed)]);
}

#[tokio::test]
async fn bad_execution_requests_are_refused() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(&server.post("/v1/executions", json!({"function_id": missing})).await, StatusCode::NOT_FOUND, missing);
    assert_fault(
        &server.post("/v1/executions", json!({})).await,
        StatusCode::BAD_REQUEST,
        "function_id or function_alias",
    );
    assert_fault(
        &server.post("/v1/executions", json!({"function_id": function, "function_version": 3})).await,
        StatusCode::NOT_FOUND,
        "function version 3",
    );
    assert_fault(
        &server.post("/v1/executions", json!({"function_alias": "nope"})).await,
        StatusCode::NOT_FOUND,
        "alias nope not found",
    );
    assert_fault(
        &server.post("/v1/executions", json!({"function_id": function, "function_alias": "a"})).await,
        StatusCode::BAD_REQUEST,
        "not both",
    );
    assert_fault(
        &server.post("/v1/executions", json!({"function_id": function, "sync": "yes"})).await,
        StatusCode::BAD_REQUEST,
        "invalid type",
    );
    assert_eq!(server.get("/v1/executions").await.1, json!({"executions": []}));
}
