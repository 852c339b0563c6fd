//! `/v1/runtimes`: the Wasm runtime from its image alone, and every way of asking for a bad one.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, assert_fault};

#[tokio::test]
async fn a_wasm_runtime_is_created_from_its_image_and_available_at_once() {
    let server = Server::start().await;
    // Exactly what python-qinlingclient sends: no `kind`.
    let (status, runtime) = server
        .post("/v1/runtimes", json!({"name": "wasm", "image": "wasm", "is_public": true, "trusted": false}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{runtime}");
    assert_eq!(runtime["kind"], "wasm");
    assert_eq!(runtime["status"], "available");
    assert_eq!(runtime["trusted"], false);
    assert_eq!(runtime["project_id"], "default");
    let id = runtime["id"].as_str().unwrap();

    let (status, list) = server.get("/v1/runtimes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["runtimes"].as_array().unwrap().len(), 1);
    assert_eq!(list["runtimes"][0], runtime);
    assert_eq!(server.get(&format!("/v1/runtimes/{id}")).await.1, runtime);

    let (status, updated) =
        server.put(&format!("/v1/runtimes/{id}"), json!({"name": "wasm-2", "description": "d"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "wasm-2");
    assert_eq!(updated["description"], "d");

    assert_eq!(server.delete(&format!("/v1/runtimes/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_fault(&server.get(&format!("/v1/runtimes/{id}")).await, StatusCode::NOT_FOUND, "not found");
}

#[tokio::test]
async fn bad_runtime_requests_are_refused_and_store_nothing() {
    let server = Server::start().await;
    let container =
        server.post("/v1/runtimes", json!({"name": "py", "image": "openstackqinling/python3-runtime"})).await;
    assert_fault(&container, StatusCode::BAD_REQUEST, "no container orchestrator configured");
    let mismatch = server.post("/v1/runtimes", json!({"image": "python:3.12", "kind": "wasm"})).await;
    assert_fault(&mismatch, StatusCode::BAD_REQUEST, "a wasm runtime's image must be \"wasm\"");
    let unknown_kind = server.post("/v1/runtimes", json!({"image": "wasm", "kind": "vm"})).await;
    assert_fault(&unknown_kind, StatusCode::BAD_REQUEST, "kind must be \"wasm\" or \"container\"");
    let missing = server.post("/v1/runtimes", json!({"name": "no image"})).await;
    assert_fault(&missing, StatusCode::BAD_REQUEST, "missing field `image`");
    let wrong_type = server.post("/v1/runtimes", json!({"image": 42})).await;
    assert_fault(&wrong_type, StatusCode::BAD_REQUEST, "invalid type");
    let malformed = server
        .send(
            server
                .request(reqwest::Method::POST, "/v1/runtimes")
                .header("content-type", "application/json")
                .body("{\"image\": "),
        )
        .await;
    assert_fault(&malformed, StatusCode::BAD_REQUEST, "malformed JSON");
    let long_name = server.post("/v1/runtimes", json!({"image": "wasm", "name": "n".repeat(300)})).await;
    assert_fault(&long_name, StatusCode::BAD_REQUEST, "name is 300 characters long");
    assert_eq!(server.get("/v1/runtimes").await.1, json!({"runtimes": []}));
}

#[tokio::test]
async fn unknown_runtime_ids_are_not_found() {
    let server = Server::start().await;
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(&server.get(&format!("/v1/runtimes/{missing}")).await, StatusCode::NOT_FOUND, missing);
    assert_fault(&server.get("/v1/runtimes/not-a-uuid").await, StatusCode::NOT_FOUND, "not-a-uuid");
    assert_fault(&server.delete(&format!("/v1/runtimes/{missing}")).await, StatusCode::NOT_FOUND, missing);
    assert_fault(
        &server.put(&format!("/v1/runtimes/{missing}"), json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        missing,
    );
}

#[tokio::test]
async fn a_runtime_in_use_cannot_be_deleted() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    assert_fault(
        &server.delete(&format!("/v1/runtimes/{runtime}")).await,
        StatusCode::CONFLICT,
        "still used by 1 function",
    );
    assert_eq!(server.delete(&format!("/v1/functions/{function}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(server.delete(&format!("/v1/runtimes/{runtime}")).await.0, StatusCode::NO_CONTENT);
}
