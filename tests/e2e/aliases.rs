//! Aliases: a name for a function at a version, resolved each time it runs; refused while in use.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, assert_fault};

#[tokio::test]
async fn an_alias_runs_what_it_points_at_now() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let words = server.function(&runtime, "word-stats", &[]).await;
    let echo = server.function(&runtime, "misbehave", &[]).await;

    let (status, alias) =
        server.post("/v1/aliases", json!({"name": "prod", "function_id": words, "description": "live"})).await;
    assert_eq!(status, StatusCode::CREATED, "{alias}");
    assert_eq!(alias["function_version"], 0);
    let (status, execution) = server
        .post("/v1/executions", json!({"function_alias": "prod", "function_version": 0, "input": {"text": "x y z"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{execution}");
    assert_eq!(execution["function_alias"], "prod");
    assert_eq!(execution["function_id"], words.as_str());
    assert_eq!(execution["result"]["output"]["words"], 3);

    let (status, moved) = server.put("/v1/aliases/prod", json!({"function_id": echo})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["function_id"], echo.as_str());
    let (_, execution) =
        server.post("/v1/executions", json!({"function_alias": "prod", "input": {"do": "echo", "value": 1}})).await;
    assert_eq!(execution["result"]["output"], 1, "the alias now runs the other function: {execution}");

    assert_eq!(server.get("/v1/aliases/prod").await.1, moved);
    assert_eq!(server.get("/v1/aliases").await.1["function_aliases"][0], moved);
    assert_eq!(server.delete("/v1/aliases/prod").await.0, StatusCode::NO_CONTENT);
    assert_fault(&server.get("/v1/aliases/prod").await, StatusCode::NOT_FOUND, "alias prod not found");
}

#[tokio::test]
async fn bad_aliases_are_refused_and_aliases_in_use_kept() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(
        &server.post("/v1/aliases", json!({"name": "a", "function_id": missing})).await,
        StatusCode::NOT_FOUND,
        missing,
    );
    assert_fault(
        &server.post("/v1/aliases", json!({"name": "a", "function_id": function, "function_version": 4})).await,
        StatusCode::NOT_FOUND,
        "function version 4",
    );
    assert_fault(
        &server.post("/v1/aliases", json!({"name": "a/b", "function_id": function})).await,
        StatusCode::BAD_REQUEST,
        "must not contain",
    );
    assert_fault(
        &server.post("/v1/aliases", json!({"function_id": function})).await,
        StatusCode::BAD_REQUEST,
        "missing field `name`",
    );
    assert_eq!(server.get("/v1/aliases").await.1, json!({"function_aliases": []}));

    assert_eq!(server.post("/v1/aliases", json!({"name": "a", "function_id": function})).await.0, StatusCode::CREATED);
    assert_fault(
        &server.post("/v1/aliases", json!({"name": "a", "function_id": function})).await,
        StatusCode::CONFLICT,
        "already exists",
    );
    assert_fault(&server.delete(&format!("/v1/functions/{function}")).await, StatusCode::CONFLICT, "1 alias(es)");
    let (status, webhook) = server.post("/v1/webhooks", json!({"function_alias": "a"})).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    assert_fault(&server.delete("/v1/aliases/a").await, StatusCode::CONFLICT, "1 webhook(s)");
    assert_eq!(
        server.delete(&format!("/v1/webhooks/{}", webhook["id"].as_str().unwrap())).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(server.delete("/v1/aliases/a").await.0, StatusCode::NO_CONTENT);
    assert_eq!(server.delete(&format!("/v1/functions/{function}")).await.0, StatusCode::NO_CONTENT);
}
