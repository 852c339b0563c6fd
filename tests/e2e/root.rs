//! The version documents and answers to paths and methods the API does not have.

use reqwest::StatusCode;

use crate::support::{Server, assert_fault};

#[tokio::test]
async fn root_lists_v1_and_v1_names_its_root() {
    let server = Server::start().await;
    let (status, body) = server.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["versions"][0]["id"], "v1.0");
    assert_eq!(body["versions"][0]["status"], "CURRENT");
    let href = body["versions"][0]["links"][0]["href"].as_str().unwrap();
    assert_eq!(href, format!("{}/v1", server.url));
    let (status, body) = server.get("/v1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["uri"].as_str().unwrap(), href);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_faults() {
    let server = Server::start().await;
    assert_fault(&server.get("/v1/nothing-here").await, StatusCode::NOT_FOUND, "no resource at /v1/nothing-here");
    let answer = server.send(server.request(reqwest::Method::PATCH, "/v1/runtimes")).await;
    assert_fault(&answer, StatusCode::METHOD_NOT_ALLOWED, "does not support that method");
}
