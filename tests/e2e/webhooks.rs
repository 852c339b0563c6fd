//! Webhooks: a URL anyone can POST to, which runs the function asynchronously with the body as input.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, assert_fault};

#[tokio::test]
async fn invoking_a_webhook_runs_the_function_with_the_body() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let (status, webhook) =
        server.post("/v1/webhooks", json!({"function_id": function, "description": "counter"})).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let id = webhook["id"].as_str().unwrap();
    let url = webhook["webhook_url"].as_str().unwrap();
    assert_eq!(url, format!("{}/v1/webhooks/{id}/invoke", server.url));
    assert_eq!(webhook["function_version"], 0);

    // No credentials, just the body.
    let response = reqwest::Client::new().post(url).body(r#"{"text": "one two three"}"#).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: serde_json::Value = response.json().await.unwrap();
    let execution = accepted["execution_id"].as_str().unwrap();
    let done = server.wait_for_execution(execution, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["result"]["output"]["words"], 3);
    assert_eq!(done["sync"], false);

    assert_eq!(server.get(&format!("/v1/webhooks/{id}")).await.1, webhook);
    assert_eq!(server.get("/v1/webhooks").await.1["webhooks"][0], webhook);
    let (status, updated) = server.put(&format!("/v1/webhooks/{id}"), json!({"description": "renamed"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["description"], "renamed");
    assert_eq!(updated["function_id"], function.as_str());
    assert_eq!(server.delete(&format!("/v1/webhooks/{id}")).await.0, StatusCode::NO_CONTENT);
    let gone = server.send(server.request(reqwest::Method::POST, &format!("/v1/webhooks/{id}/invoke"))).await;
    assert_fault(&gone, StatusCode::NOT_FOUND, "not found");
}

#[tokio::test]
async fn a_webhook_needs_an_existing_target() {
    let server = Server::start().await;
    let missing = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(&server.post("/v1/webhooks", json!({"function_id": missing})).await, StatusCode::NOT_FOUND, missing);
    assert_fault(
        &server.post("/v1/webhooks", json!({"function_alias": "nope"})).await,
        StatusCode::NOT_FOUND,
        "alias nope",
    );
    assert_fault(
        &server.post("/v1/webhooks", json!({})).await,
        StatusCode::BAD_REQUEST,
        "function_id or function_alias",
    );
    assert_eq!(server.get("/v1/webhooks").await.1, json!({"webhooks": []}));
}
