//! Function versions: immutable snapshots, numbered from 1, runnable by number, refused when unchanged.

use md5::{Digest, Md5};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, ServerOptions, assert_fault, guest};

/// Replaces a function's package with an example guest.
async fn update_package(server: &Server, function: &str, example: &str) {
    let form = Form::new()
        .text("code", json!({"source": "package"}).to_string())
        .part("package", Part::bytes(guest(example)).file_name("f.wasm"));
    let (status, body) =
        server.send(server.request(Method::PUT, &format!("/v1/functions/{function}")).multipart(form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn run_version(server: &Server, function: &str, version: i64, input: Value) -> Value {
    let (status, body) = server
        .post("/v1/executions", json!({"function_id": function, "function_version": version, "input": input}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn versions_snapshot_code_and_run_by_number() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let versions = format!("/v1/functions/{function}/versions");

    let (status, v1) = server.post(&versions, json!({"description": "counts words"})).await;
    assert_eq!(status, StatusCode::CREATED, "{v1}");
    assert_eq!(v1["version_number"], 1);
    assert_eq!(v1["description"], "counts words");
    assert_eq!(v1["function_id"], function.as_str());
    assert_fault(&server.post(&versions, json!({})).await, StatusCode::CONFLICT, "has not changed since version 1");

    update_package(&server, &function, "misbehave").await;
    let (status, v2) = server.send(server.request(Method::POST, &versions)).await;
    assert_eq!(status, StatusCode::CREATED, "an empty body is fine: {v2}");
    assert_eq!(v2["version_number"], 2);
    assert_eq!(server.get(&format!("/v1/functions/{function}")).await.1["latest_version"], 2);

    // Version 1 still runs the word counter; the latest code (version 0) is the new package.
    let old = run_version(&server, &function, 1, json!({"text": "a b"})).await;
    assert_eq!(old["result"]["output"]["words"], 2, "{old}");
    assert_eq!(old["function_version"], 1);
    let latest = run_version(&server, &function, 0, json!({"do": "echo", "value": "new"})).await;
    assert_eq!(latest["result"]["output"], "new", "{latest}");
    assert_eq!(server.get(&format!("{versions}/1")).await.1["count"], 1, "executions of a version count on it");

    let listed = server.get(&versions).await.1;
    let numbers: Vec<i64> =
        listed["function_versions"].as_array().unwrap().iter().map(|v| v["version_number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2]);
    let download = server.request(Method::GET, &format!("{versions}/1?download=true")).send().await.unwrap();
    let bytes = download.bytes().await.unwrap();
    assert_eq!(hex::encode(Md5::digest(&bytes)), hex::encode(Md5::digest(guest("word-stats"))));

    assert_eq!(server.delete(&format!("{versions}/2")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(server.get(&format!("/v1/functions/{function}")).await.1["latest_version"], 1);
    assert_fault(&server.get(&format!("{versions}/2")).await, StatusCode::NOT_FOUND, "function version 2");
    assert_fault(&run_version_answer(&server, &function, 2).await, StatusCode::NOT_FOUND, "function version 2");
    assert_fault(&server.get(&format!("{versions}/zero")).await, StatusCode::NOT_FOUND, "numbered from 1");
}

async fn run_version_answer(server: &Server, function: &str, version: i64) -> (StatusCode, Value) {
    server.post("/v1/executions", json!({"function_id": function, "function_version": version})).await
}

#[tokio::test]
async fn the_number_of_versions_is_capped() {
    let server =
        Server::start_with(ServerOptions { args: vec!["--max-versions".into(), "1".into()], ..Default::default() })
            .await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let versions = format!("/v1/functions/{function}/versions");
    assert_eq!(server.post(&versions, json!({})).await.0, StatusCode::CREATED);
    update_package(&server, &function, "misbehave").await;
    assert_fault(&server.post(&versions, json!({})).await, StatusCode::CONFLICT, "maximum of 1 versions");
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(
        &server.post(&format!("/v1/functions/{missing}/versions"), json!({})).await,
        StatusCode::NOT_FOUND,
        missing,
    );
}

#[tokio::test]
async fn deleting_a_function_deletes_its_versions_and_their_packages() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    server.post(&format!("/v1/functions/{function}/versions"), json!({})).await;
    update_package(&server, &function, "misbehave").await;
    assert_eq!(server.stored_packages().len(), 2, "the version keeps its package alive");
    assert_eq!(server.delete(&format!("/v1/functions/{function}")).await.0, StatusCode::NO_CONTENT);
    assert!(server.stored_packages().is_empty());
}
