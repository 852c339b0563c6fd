//! HTTP-shaped functions at their own URLs (`/v1/functions/{function}/http/...`, by version and by
//! alias): what reaches the function, what comes back, the execution recorded for each request, and the
//! failures that stay the function's own.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, assert_fault, failure};

async fn call(request: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response: Response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The execution recorded for a response.
async fn execution_of(server: &Server, headers: &reqwest::header::HeaderMap) -> Value {
    let id = headers["x-execution-id"].to_str().unwrap();
    let (status, execution) = server.get(&format!("/v1/executions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{execution}");
    execution
}

#[tokio::test]
async fn a_request_reaches_the_function_as_sent_and_its_answer_comes_back_as_given() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "http-misbehave", &[("name", "misbehave-http")]).await;
    let base = format!("/v1/functions/{function}/http");

    let (status, headers, body) = call(
        server
            .request(Method::PUT, &format!("{base}/echo/a%20b?q=1&r=two"))
            .header("x-trace", "t-1")
            .header("x-auth-token", "not for the function")
            .body("payload"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-echo"], "yes", "the function's headers come back");
    let echo: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo/a%20b?q=1&r=two", "the path after /http, with its query");
    assert_eq!(echo["body"], "payload");
    let sent: Vec<(String, String)> = serde_json::from_value(echo["headers"].clone()).unwrap();
    assert!(sent.contains(&("x-trace".into(), "t-1".into())), "{sent:?}");
    assert!(sent.iter().all(|(name, _)| name != "x-auth-token"), "the caller's token stays here: {sent:?}");
    let execution = execution_of(&server, &headers).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert_eq!(execution["function_id"], function.as_str());
    assert_eq!(execution["sync"], true);
    assert_eq!(
        serde_json::from_str::<Value>(execution["input"].as_str().unwrap()).unwrap(),
        json!({"method": "PUT", "path": "/echo/a%20b?q=1&r=two"})
    );
    assert_eq!(execution["result"]["output"], json!({"status": 200}));

    // By name, any method, and a status of the function's choosing passed through as it is.
    let (status, _, body) = call(server.request(Method::DELETE, "/v1/functions/misbehave-http/http/status/418")).await;
    assert_eq!(status, StatusCode::IM_A_TEAPOT);
    assert_eq!(body, b"status 418");
    let (status, headers, _) = call(server.request(Method::GET, &format!("{base}/nowhere"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the function's own 404");
    assert_eq!(execution_of(&server, &headers).await["result"]["output"], json!({"status": 404}));
    let (status, _, body) = call(server.request(Method::GET, &format!("{base}/big/300000"))).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 300_000), "a large body arrives whole");
    let (_, _, body) = call(server.request(Method::GET, &base)).await;
    assert_eq!(body, b"no route /", "the bare route is the function's /");
}

#[tokio::test]
async fn a_function_that_fails_to_answer_gets_502_and_a_failed_execution() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "http-misbehave", &[("timeout", "1")]).await;
    let base = format!("/v1/functions/{function}/http");

    for (path, needle) in [
        ("/panic", "the function trapped"),
        ("/silent", "the function did not send a response"),
        ("/loop", "timed out after 1 s"),
        ("/big/5000000", "cannot read the response body"),
    ] {
        let (status, headers, body) = call(server.request(Method::GET, &format!("{base}{path}"))).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{path}");
        let fault: Value = serde_json::from_slice(&body).unwrap();
        assert!(fault["faultstring"].as_str().unwrap().contains(needle), "{path}: {fault}");
        let execution = execution_of(&server, &headers).await;
        assert!(failure(&execution).contains(needle), "{execution}");
    }
    // The host is unharmed: the next request is answered.
    let (status, _, _) = call(server.request(Method::GET, &format!("{base}/status/204"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn versions_and_aliases_have_http_urls_and_other_shapes_are_refused() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let hello = server.function(&runtime, "http-hello", &[]).await;
    let (status, version) = server.post(&format!("/v1/functions/{hello}/versions"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let (status, alias) = server.post("/v1/aliases", json!({"name": "greeter", "function_id": hello})).await;
    assert_eq!(status, StatusCode::CREATED, "{alias}");

    for path in
        [format!("/v1/functions/{hello}/versions/1/http/?name=Ada"), "/v1/aliases/greeter/http/hi?name=Ada".to_owned()]
    {
        let (status, headers, body) = call(server.request(Method::GET, &path).header("x-request-id", "r-7")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"greeting": "Hello, Ada!"}));
        assert_eq!(headers["x-request-id"], "r-7");
        assert_eq!(headers["content-type"], "application/json");
    }
    let (_, headers, _) = call(server.request(Method::GET, "/v1/aliases/greeter/http")).await;
    assert_eq!(execution_of(&server, &headers).await["function_alias"], "greeter");

    let handler = server.function(&runtime, "hello", &[]).await;
    assert_fault(
        &server.send(server.request(Method::GET, &format!("/v1/functions/{handler}/http"))).await,
        StatusCode::BAD_REQUEST,
        "is a handler function; only wasi:http functions take HTTP requests",
    );
    assert_fault(
        &server.send(server.request(Method::GET, "/v1/functions/no-such-function/http/x")).await,
        StatusCode::NOT_FOUND,
        "no-such-function",
    );
    assert_fault(
        &server.send(server.request(Method::GET, &format!("/v1/functions/{hello}/versions/two/http"))).await,
        StatusCode::BAD_REQUEST,
        "the version must be a number",
    );
    let (_, executions) = server.get(&format!("/v1/executions?function_id={hello}")).await;
    assert_eq!(
        executions["executions"].as_array().unwrap().len(),
        3,
        "refused requests leave no execution: {executions}"
    );
    // Last: the server answers before it has read the whole body, and closes this connection.
    assert_fault(
        &server
            .send(server.request(Method::POST, &format!("/v1/functions/{hello}/http")).body(vec![b'x'; 2 << 20]))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than",
    );
}
