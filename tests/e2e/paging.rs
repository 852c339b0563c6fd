//! Lists page newest first with `limit` and `marker`, and say where the next page is.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, assert_fault};

fn ids(listed: &Value) -> Vec<String> {
    listed["executions"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn executions_page_newest_first_with_a_next_link() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            server.execute(&function, json!({"do": "echo", "value": i})).await["id"].as_str().unwrap().to_owned(),
        );
    }
    created.reverse();

    let mut seen = Vec::new();
    let mut next = Some(format!("{}/v1/executions?function_id={function}&limit=2", server.url));
    while let Some(url) = next {
        let listed: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert!(ids(&listed).len() <= 2);
        seen.extend(ids(&listed));
        next = listed["next"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.contains(&format!("function_id={function}")), "filters are kept: {link}");
        }
    }
    assert_eq!(seen, created);

    assert_fault(&server.get("/v1/executions?limit=0").await, StatusCode::BAD_REQUEST, "limit must be");
    assert_fault(&server.get("/v1/executions?marker=nope").await, StatusCode::BAD_REQUEST, "marker");
    let unknown = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    assert_fault(
        &server.get(&format!("/v1/executions?marker={unknown}")).await,
        StatusCode::BAD_REQUEST,
        "is not an execution",
    );
    let (_, all) = server.get("/v1/functions?limit=1").await;
    assert_eq!(all["functions"].as_array().unwrap().len(), 1);
    assert!(all.get("next").is_none(), "one function: no next page");
}
