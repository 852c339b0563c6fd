//! Crash safety: the server is killed (SIGKILL) during a load of sync and async executions. After a
//! restart every acknowledged function and execution is there, nothing stays `running`, the async queue
//! resumes, and the database passes an integrity check.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, ServerOptions};

#[tokio::test]
async fn a_server_killed_under_load_keeps_everything_it_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[("timeout", "30")]).await;
    let url = server.url.clone();

    let acknowledged: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let clients: Vec<_> = (0..16)
        .map(|i| {
            let (url, function, acknowledged) = (url.clone(), function.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let sync = (i + n) % 2 == 0;
                    let input =
                        if sync { json!({"do": "echo", "value": n}) } else { json!({"do": "sleep", "ms": 300}) };
                    let body = json!({"function_id": function, "input": input, "sync": sync});
                    let Ok(response) = client.post(format!("{url}/v1/executions")).json(&body).send().await else {
                        break;
                    };
                    if response.status() != StatusCode::CREATED {
                        continue;
                    }
                    let Ok(execution) = response.json::<Value>().await else { break };
                    acknowledged.lock().unwrap().push((execution["id"].as_str().unwrap().to_owned(), sync));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().await;
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 20, "the load ran: {} executions acknowledged", acknowledged.len());

    let check = std::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
        .args(["check", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "integrity check: {}", String::from_utf8_lossy(&check.stderr));
    assert!(String::from_utf8_lossy(&check.stdout).ends_with(": ok\n"));

    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    assert_eq!(server.get(&format!("/v1/functions/{function}")).await.0, StatusCode::OK);
    for (id, sync) in &acknowledged {
        let ended = server.wait_for_execution(id, Duration::from_secs(30)).await;
        let status = ended["status"].as_str().unwrap();
        if *sync {
            assert_eq!(status, "success", "an acknowledged sync execution: {ended}");
        } else {
            // Queued ones run after the restart; ones running at the kill end as errors, never running.
            assert!(status == "success" || status == "error", "{ended}");
        }
    }
    // Executions queued but never acknowledged (the kill cut their answer) run after the restart too;
    // one may be running right now, but none may stay running.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, running) = server.get("/v1/executions?status=running").await;
        if running["executions"] == json!([]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "executions stay running: {running}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
