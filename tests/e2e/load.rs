//! Load: 1000 concurrent sync executions complete with no errors, and the server's memory stays bounded.

use std::time::Instant;

use serde_json::{Value, json};

use crate::support::Server;

#[tokio::test]
async fn a_thousand_concurrent_executions_all_succeed() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let requests: Vec<_> = (0..1000)
        .map(|i| {
            let (client, url, function) = (client.clone(), server.url.clone(), function.clone());
            tokio::spawn(async move {
                let body = json!({"function_id": function, "input": {"text": format!("request number {i}")}});
                let response = client.post(format!("{url}/v1/executions")).json(&body).send().await;
                match response {
                    Ok(response) => {
                        let status = response.status();
                        let execution: Value = response.json().await.unwrap_or_default();
                        (status.as_u16(), execution["status"].as_str().unwrap_or_default().to_owned())
                    }
                    Err(e) => (0, e.to_string()),
                }
            })
        })
        .collect();
    let mut errors = Vec::new();
    for request in requests {
        let (status, outcome) = request.await.unwrap();
        if status != 201 || outcome != "success" {
            errors.push((status, outcome));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (rss, peak) = server.memory_kib();
    eprintln!(
        "1000 concurrent sync executions: {} errors in {elapsed:.1} s; server RSS {rss} KiB, peak {peak} KiB",
        errors.len()
    );
    assert!(errors.is_empty(), "{} errors: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    assert!(peak < 1024 * 1024, "peak RSS {peak} KiB");
    let (_, listed) = server.get(&format!("/v1/executions?function_id={function}&limit=1001")).await;
    assert_eq!(listed["executions"].as_array().unwrap().len(), 1000);
}
