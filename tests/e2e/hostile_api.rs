//! Hostile API input, a scripted corpus over every endpoint: wrong types, malformed and deeply nested
//! JSON, invalid UTF-8, bodies past the limit, path traversal in names, invalid cron, ids that are not
//! UUIDs, broken URL encoding. Every answer is a 4xx with a JSON faultstring; nothing is stored.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::Server;

/// Every list, to compare before and after the corpus.
async fn everything(server: &Server) -> Vec<Value> {
    let mut lists = Vec::new();
    for path in ["/v1/runtimes", "/v1/functions", "/v1/executions", "/v1/aliases", "/v1/jobs", "/v1/webhooks"] {
        lists.push(server.get(path).await.1);
    }
    lists
}

#[tokio::test]
async fn hostile_requests_get_4xx_json_faults_and_change_nothing() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    server.execute(&function, json!({"text": "baseline"})).await;
    let before = everything(&server).await;

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("malformed JSON", b"{\"name\": ".to_vec()),
        (
            "wrong types",
            br#"{"name": 5, "image": [], "function_id": {}, "input": 1, "sync": "no", "pattern": 7, "count": "x"}"#
                .to_vec(),
        ),
        ("invalid UTF-8", b"{\"name\": \"\xff\xfe\"}".to_vec()),
        ("deep nesting", deep.into_bytes()),
        ("too large", huge.into_bytes()),
        (
            "path traversal",
            br#"{"name": "../../etc/passwd", "image": "wasm", "function_id": "../x", "pattern": "* * * * *"}"#.to_vec(),
        ),
        ("not an object", b"[1, 2, 3]".to_vec()),
    ];
    // Bodies that are bad only as jobs (elsewhere they would be fine requests).
    let job_bodies = [
        format!(r#"{{"function_id": "{function}", "pattern": "61 25 * * *"}}"#),
        format!(r#"{{"function_id": "{function}", "first_execution_time": "2000-01-01 00:00"}}"#),
        format!(r#"{{"function_id": "{function}", "first_execution_time": "2099-01-01 00:00", "count": 5}}"#),
    ];
    let id_paths = [
        "/v1/runtimes/{id}",
        "/v1/functions/{id}",
        "/v1/functions/{id}/versions",
        "/v1/functions/{id}/versions/1",
        "/v1/executions/{id}",
        "/v1/executions/{id}/log",
        "/v1/aliases/{id}",
        "/v1/jobs/{id}",
        "/v1/webhooks/{id}",
    ];
    let collections = ["/v1/runtimes", "/v1/functions", "/v1/executions", "/v1/aliases", "/v1/jobs", "/v1/webhooks"];
    let mut requests: Vec<(Method, String, Option<Vec<u8>>)> = Vec::new();
    for (_, body) in &bodies {
        for path in collections {
            requests.push((Method::POST, path.to_owned(), Some(body.clone())));
        }
        for path in
            ["/v1/runtimes/{id}", "/v1/functions/{id}", "/v1/aliases/{id}", "/v1/jobs/{id}", "/v1/webhooks/{id}"]
        {
            requests.push((Method::PUT, path.replace("{id}", &function), Some(body.clone())));
        }
    }
    for body in job_bodies {
        requests.push((Method::POST, "/v1/jobs".to_owned(), Some(body.into_bytes())));
    }
    for bad_id in
        ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%FF%FE", "00000000-0000-0000-0000-000000000000", &"9".repeat(5000)]
    {
        for path in id_paths {
            for method in [Method::GET, Method::DELETE, Method::PUT] {
                requests.push((method, path.replace("{id}", bad_id), Some(b"{}".to_vec())));
            }
        }
        requests.push((Method::POST, format!("/v1/webhooks/{bad_id}/invoke"), Some(b"{}".to_vec())));
    }
    for query in
        ["limit=-1", "limit=abc", "marker=zzz", "status=gt:1", "function_id=%FF", "status=%FF%FE", "download=%ZZ"]
    {
        requests.push((Method::GET, format!("/v1/executions?{query}"), None));
        requests.push((Method::GET, format!("/v1/functions/{function}?{query}"), None));
    }

    let mut answered = 0;
    for (method, path, body) in requests {
        let oversized = body.as_ref().is_some_and(|body| body.len() > 1024 * 1024);
        // An oversized body gets a connection of its own: the server closes it after refusing the body.
        let client = if oversized { reqwest::Client::new() } else { server.client() };
        let mut request =
            client.request(method.clone(), format!("{}{path}", server.url)).header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let (status, text) = match request.send().await {
            Ok(response) => (response.status(), response.text().await.unwrap()),
            // The server stops reading a body past the limit and answers 413; the client may see the
            // connection close under its still-unsent body before it can read that answer.
            Err(error) if oversized && error.is_request() => continue,
            Err(error) => panic!("{method} {path}: {error}"),
        };
        assert!(!status.is_server_error(), "{method} {path} answered {status}: {text}");
        if status.is_success() {
            // A few requests are fine as they are (a listing with an unknown filter value, say).
            continue;
        }
        assert!(status.is_client_error(), "{method} {path} answered {status}");
        let fault: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path} ({status}) is not JSON: {text}"));
        assert!(fault["faultstring"].as_str().is_some_and(|f| !f.is_empty()), "{method} {path}: {text}");
        answered += 1;
    }
    assert!(answered > 200, "{answered} hostile requests were refused");
    assert_eq!(server.get("/").await.0, StatusCode::OK, "the server is alive");
    assert_eq!(everything(&server).await, before, "nothing was stored or changed");
    assert!(!server.log().contains("panicked"));
}
