//! Several replicas: two `qinling server` processes on one PostgreSQL and one S3 bucket serve the same
//! API. A function created through one runs through the other; 1,000 async executions accepted by both
//! run once each, shared between them (their own metrics add up to exactly 1,000); a job fires each due
//! time once although both replicas schedule.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{S3Server, Server, ServerOptions, fresh_postgres_database, metric, s3_credentials};

const ASYNC_EXECUTIONS: usize = 1000;

async fn replicas() -> Option<(Server, Server, S3Server)> {
    let database = fresh_postgres_database().await?;
    let s3 = S3Server::start(&["qinling"]);
    let options = ServerOptions {
        args: ["--database-url", &database, "--package-store", &s3.url("qinling"), "--job-seconds", "true"]
            .map(String::from)
            .to_vec(),
        env: s3_credentials(),
        ..Default::default()
    };
    let first = Server::start_with(options.clone()).await;
    let second = Server::start_with(options).await;
    Some((first, second, s3))
}

/// Successful handler executions this replica ran, from its own metrics.
async fn ran_here(server: &Server) -> f64 {
    metric(&server.metrics().await, r#"qinling_executions_total{status="success",shape="handler"}"#)
}

async fn listed(server: &Server, query: &str) -> Vec<Value> {
    let (status, body) = server.get(&format!("/v1/executions?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["executions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn two_replicas_share_functions_and_run_each_async_execution_once() {
    let Some((first, second, _s3)) = replicas().await else { return };
    let runtime = first.wasm_runtime().await;
    let function = first.function(&runtime, "misbehave", &[]).await;
    let execution = second.execute(&function, json!({"do": "echo", "value": "across"})).await;
    assert_eq!(execution["result"]["output"], json!("across"), "{execution}");
    let (status, shown) = second.get(&format!("/v1/executions/{}", execution["id"].as_str().unwrap())).await;
    assert_eq!((status, &shown["status"]), (StatusCode::OK, &json!("success")));
    let (status, _) = first.get(&format!("/v1/executions/{}", execution["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "one database: the other replica sees the record");

    let queued = futures::future::join_all((0..ASYNC_EXECUTIONS).map(|i| {
        let server = if i % 2 == 0 { &first } else { &second };
        let body = json!({"function_id": function, "input": {"do": "echo", "value": i}, "sync": false});
        async move { server.post("/v1/executions", body).await }
    }))
    .await;
    for (status, body) in &queued {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !listed(&first, &format!("function_id={function}&status=running")).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "async executions still running after 2 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let succeeded = listed(&second, &format!("function_id={function}&status=success&limit=2000")).await;
    assert_eq!(succeeded.len(), ASYNC_EXECUTIONS + 1, "none lost, none failed");
    let (_, shown) = first.get(&format!("/v1/functions/{function}")).await;
    assert_eq!(shown["count"], json!(ASYNC_EXECUTIONS + 1), "each counted once");
    let (here, there) = (ran_here(&first).await, ran_here(&second).await);
    assert_eq!(here + there, (ASYNC_EXECUTIONS + 1) as f64, "no execution ran twice");
    assert!(here > 0.0 && there > 0.0, "both replicas ran some: {here} and {there}");
}

#[tokio::test]
async fn a_job_fires_each_due_time_once_across_replicas() {
    let Some((first, second, _s3)) = replicas().await else { return };
    let runtime = first.wasm_runtime().await;
    let function = first.function(&runtime, "misbehave", &[]).await;
    let body = json!({
        "function_id": function, "pattern": "* * * * * *", "count": 4,
        "function_input": "{\"do\": \"echo\", \"value\": \"tick\"}",
    });
    let (status, job) = second.post("/v1/jobs", body).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let job = job["id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, shown) = first.get(&format!("/v1/jobs/{job}")).await;
        if shown["status"] == "done" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job is not done: {shown}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let runs = listed(&first, &format!("function_id={function}")).await;
    let by_job = runs.iter().filter(|run| run["description"] == format!("created by job {job}").as_str()).count();
    assert_eq!(by_job, 4, "{runs:?}");
}
