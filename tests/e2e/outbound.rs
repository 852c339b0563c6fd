//! Outbound HTTP: denied unless the function's allowed_hosts names the origin, bounded by the function's
//! time and by a response size cap. A real HTTP server on 127.0.0.1 stands in for the internet.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, ServerOptions, assert_fault, failure, guest, output, python};

/// An upstream API: a JSON list, a slow answer and a huge one.
async fn upstream() -> SocketAddr {
    let app = Router::new()
        .route("/events", get(|| async { axum::Json(json!([{"id": 1}, {"id": 2}, {"id": 3}])) }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "[]"
            }),
        )
        .route("/huge", get(|| async { format!("[{}]", vec!["1"; 1_000_000].join(",")) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

async fn deploy(server: &Server, runtime: &str, package: Vec<u8>, allowed: &str) -> String {
    let (status, function) =
        server.create_function(runtime, package, &[("allowed_hosts", allowed), ("timeout", "2")]).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    function["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_qinling_quickstart_fetches_from_an_allowed_host_in_python_and_rust() {
    let upstream = upstream().await;
    let server = Server::start_with(ServerOptions {
        args: vec!["--max-http-response".into(), "100000".into()],
        ..Default::default()
    })
    .await;
    let runtime = server.wasm_runtime().await;
    let origin = format!("http://{upstream}");
    for package in [python("github-events"), guest("fetch-count")] {
        let function = deploy(&server, &runtime, package, &origin).await;
        let (_, shown) = server.get(&format!("/v1/functions/{function}")).await;
        assert_eq!(shown["allowed_hosts"], json!([origin]));

        let events = server.execute(&function, json!({"url": format!("{origin}/events")})).await;
        assert_eq!(output(&events), 3, "the list's length");

        let elsewhere = server.execute(&function, json!({"url": "http://127.0.0.1:9/events"})).await;
        assert!(
            failure(&elsewhere).contains("denied: its origin is not in the function's allowed_hosts"),
            "{elsewhere}"
        );
        let log = server.execution_log(elsewhere["id"].as_str().unwrap()).await;
        assert!(
            log.contains(&format!(
                "outbound HTTP request to http://127.0.0.1:9 denied: not in the function's allowed_hosts ({origin})"
            )),
            "{log}"
        );

        let slow = server.execute(&function, json!({"url": format!("{origin}/slow")})).await;
        assert!(failure(&slow).contains("timed out"), "the function's 2 s timeout cuts a slow upstream: {slow}");
        assert!(slow["result"]["duration"].as_f64().unwrap() < 3.0, "{slow}");

        let huge = server.execute(&function, json!({"url": format!("{origin}/huge")})).await;
        assert!(failure(&huge).contains("larger than the platform allows"), "{huge}");
        let log = server.execution_log(huge["id"].as_str().unwrap()).await;
        assert!(log.contains("passed the 100000-byte cap and was cut"), "{log}");
    }
}

#[tokio::test]
async fn a_function_reaches_nothing_by_default_and_allowed_hosts_are_checked() {
    let upstream = upstream().await;
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let (status, function) = server.create_function(&runtime, guest("fetch-count"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(function["allowed_hosts"], json!([]));
    let id = function["id"].as_str().unwrap();
    let denied = server.execute(id, json!({"url": format!("http://{upstream}/events")})).await;
    assert!(failure(&denied).contains("denied"), "{denied}");
    let log = server.execution_log(denied["id"].as_str().unwrap()).await;
    assert!(log.contains("not in the function's allowed_hosts (it allows none)"), "{log}");

    let (status, updated) =
        server.put(&format!("/v1/functions/{id}"), json!({"allowed_hosts": [format!("http://{upstream}")]})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(output(&server.execute(id, json!({"url": format!("http://{upstream}/events")})).await), 3);

    for (bad, needle) in [
        ("api.example.com", "has no scheme"),
        ("https://x.org/path", "must be an origin"),
        ("ftp://x.org", "must use http or https"),
    ] {
        assert_fault(
            &server.put(&format!("/v1/functions/{id}"), json!({"allowed_hosts": [bad]})).await,
            StatusCode::BAD_REQUEST,
            needle,
        );
    }
    assert_eq!(
        server.get(&format!("/v1/functions/{id}")).await.1["allowed_hosts"],
        json!([format!("http://{upstream}")])
    );
}
