//! Jobs: cron patterns and one-shot times, each run an async execution, exactly as often as asked.
//! The server runs with seconds-resolution patterns allowed, so that a schedule plays out in seconds.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, ServerOptions, assert_fault};

async fn seconds_server() -> Server {
    Server::start_with(ServerOptions { args: vec!["--job-seconds".into(), "true".into()], ..Default::default() }).await
}

/// The executions a job created so far.
async fn runs_of(server: &Server, job: &str) -> Vec<Value> {
    let (_, listed) = server.get("/v1/executions").await;
    let description = format!("created by job {job}");
    listed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["description"] == description.as_str())
        .cloned()
        .collect()
}

async fn wait_for_status(server: &Server, job: &str, status: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (_, body) = server.get(&format!("/v1/jobs/{job}")).await;
        if body["status"] == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "job not {status} after {within:?}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_job_with_a_count_runs_exactly_that_many_times() {
    let server = seconds_server().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let body = json!({
        "name": "tick", "function_id": function, "pattern": "* * * * * *", "count": 3,
        "function_input": "{\"do\": \"echo\", \"value\": \"tick\"}",
    });
    let (status, job) = server.post("/v1/jobs", body).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["status"], "running");
    assert_eq!(job["count"], 3);
    assert!(job["next_execution_time"].as_str().unwrap().ends_with('Z'));
    let id = job["id"].as_str().unwrap();

    let done = wait_for_status(&server, id, "done", Duration::from_secs(15)).await;
    assert_eq!(done["count"], 0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let runs = runs_of(&server, id).await;
    assert_eq!(runs.len(), 3, "exactly three runs: {runs:#?}");
    for run in runs {
        let run = server.wait_for_execution(run["id"].as_str().unwrap(), Duration::from_secs(10)).await;
        assert_eq!(run["result"]["output"], "tick", "{run}");
        assert_eq!(run["sync"], false);
    }
}

#[tokio::test]
async fn a_one_shot_job_runs_once_at_its_time() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let at = (Utc::now() + chrono::Duration::seconds(2)).format("%Y-%m-%d %H:%M:%S").to_string();
    let (status, job) = server
        .post(
            "/v1/jobs",
            json!({"function_id": function, "first_execution_time": at, "function_input": {"do": "echo"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["count"], 1);
    assert_eq!(job["pattern"], json!(null));
    let id = job["id"].as_str().unwrap();
    wait_for_status(&server, id, "done", Duration::from_secs(10)).await;
    assert_eq!(runs_of(&server, id).await.len(), 1);
}

#[tokio::test]
async fn a_paused_job_does_not_run_and_resumes_from_now() {
    let server = seconds_server().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let (_, job) = server
        .post(
            "/v1/jobs",
            json!({"function_id": function, "pattern": "*/1 * * * * *", "function_input": "{\"do\": \"echo\"}"}),
        )
        .await;
    let id = job["id"].as_str().unwrap();
    let (status, paused) = server.put(&format!("/v1/jobs/{id}"), json!({"status": "paused"})).await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    let before = runs_of(&server, id).await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(runs_of(&server, id).await.len(), before, "a paused job does not run");

    let (status, resumed) = server
        .put(
            &format!("/v1/jobs/{id}"),
            json!({"status": "running", "function_input": "{\"do\": \"echo\", \"value\": 2}"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    let next = chrono::DateTime::parse_from_rfc3339(resumed["next_execution_time"].as_str().unwrap()).unwrap();
    assert!(next > Utc::now() - chrono::Duration::seconds(1), "the next time is computed from now: {resumed}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(runs_of(&server, id).await.len() > before, "a resumed job runs again");

    let (status, cancelled) = server.put(&format!("/v1/jobs/{id}"), json!({"status": "cancelled"})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_fault(
        &server.put(&format!("/v1/jobs/{id}"), json!({"status": "running"})).await,
        StatusCode::BAD_REQUEST,
        "cancelled and cannot be changed",
    );
    assert_eq!(server.delete(&format!("/v1/jobs/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_fault(&server.get(&format!("/v1/jobs/{id}")).await, StatusCode::NOT_FOUND, "not found");
}

#[tokio::test]
async fn bad_jobs_are_refused_and_store_nothing() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    let past = (Utc::now() - chrono::Duration::minutes(5)).format("%Y-%m-%d %H:%M:%S").to_string();
    let cases = [
        (json!({"function_id": function, "pattern": "every day"}), StatusCode::BAD_REQUEST, "not a valid cron pattern"),
        (
            json!({"function_id": function, "pattern": "* * * * * *"}),
            StatusCode::BAD_REQUEST,
            "not a valid cron pattern",
        ),
        (
            json!({"function_id": function, "first_execution_time": past}),
            StatusCode::BAD_REQUEST,
            "must be in the future",
        ),
        (json!({"function_id": function, "first_execution_time": "soon"}), StatusCode::BAD_REQUEST, "is not a time"),
        (
            json!({"function_id": function, "first_execution_time": "2099-01-01 00:00", "count": 2}),
            StatusCode::BAD_REQUEST,
            "count above 1 needs a pattern",
        ),
        (
            json!({"function_id": function, "pattern": "* * * * *", "count": 0}),
            StatusCode::BAD_REQUEST,
            "count must be at least 1",
        ),
        (json!({"function_id": function}), StatusCode::BAD_REQUEST, "needs a pattern, a first_execution_time"),
        (json!({"pattern": "* * * * *"}), StatusCode::BAD_REQUEST, "function_id or function_alias"),
        (json!({"function_alias": "nope", "pattern": "* * * * *"}), StatusCode::NOT_FOUND, "alias nope not found"),
        (
            json!({"function_id": function, "function_version": 2, "pattern": "* * * * *"}),
            StatusCode::NOT_FOUND,
            "function version 2",
        ),
    ];
    for (body, status, needle) in cases {
        assert_fault(&server.post("/v1/jobs", body).await, status, needle);
    }
    assert_eq!(server.get("/v1/jobs").await.1, json!({"jobs": []}));
    let (status, job) = server.post("/v1/jobs", json!({"function_id": function, "pattern": "0 3 * * *"})).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert!(job["next_execution_time"].as_str().unwrap().ends_with("T03:00:00Z"), "{job}");
    assert_fault(&server.delete(&format!("/v1/functions/{function}")).await, StatusCode::CONFLICT, "1 job(s)");
}
