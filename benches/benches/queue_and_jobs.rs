//! Async executions and jobs against the release server: how many queued executions complete per second
//! (word-stats, the default 16 queue workers), and how late a job fires after its due time (a job every
//! second, seconds-resolution patterns allowed for the measurement).

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use qinling_benches::server::Server;
use qinling_benches::{guest, micros, percentile};
use serde_json::{Value, json};

const ASYNC_EXECUTIONS: usize = 2000;
const SUBMITTERS: usize = 16;
const JOB_RUNS: i64 = 10;

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--job-seconds", "true", "--queue-capacity", "100000"]);
    let api = server.api();
    let runtime = api.wasm_runtime().await;
    let function = api.upload(&runtime, guest("word_stats")).await;

    let body = json!({"function_id": function, "sync": false, "input": {"text": "the quick brown fox"}});
    let started = Instant::now();
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|_| {
            let (api, body) = (api.clone(), body.clone());
            tokio::spawn(async move {
                for _ in 0..ASYNC_EXECUTIONS / SUBMITTERS {
                    api.post_json("/v1/executions", body.clone()).await;
                }
            })
        })
        .collect();
    for submitter in submitters {
        submitter.await.unwrap();
    }
    let submitted = started.elapsed();
    loop {
        let running = api.get("/v1/executions?status=running&limit=1").await;
        if running["executions"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let completed = started.elapsed();
    let succeeded = api.get(&format!("/v1/executions?status=success&limit={ASYNC_EXECUTIONS}")).await;
    assert_eq!(succeeded["executions"].as_array().unwrap().len(), ASYNC_EXECUTIONS, "every async execution succeeded");
    println!("async executions: {ASYNC_EXECUTIONS} submitted by {SUBMITTERS} clients");
    println!("  accepted  {:8.0} /s", ASYNC_EXECUTIONS as f64 / submitted.as_secs_f64());
    println!(
        "  completed {:8.0} /s (first submit to last completion)",
        ASYNC_EXECUTIONS as f64 / completed.as_secs_f64()
    );

    let job = api
        .post_json("/v1/jobs", json!({"function_id": function, "pattern": "* * * * * *", "count": JOB_RUNS, "function_input": "{\"text\": \"tick\"}"}))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    loop {
        if api.get(&format!("/v1/jobs/{job_id}")).await["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let description = format!("created by job {job_id}");
    let listed = api.get("/v1/executions?limit=100").await;
    let runs: Vec<&Value> =
        listed["executions"].as_array().unwrap().iter().filter(|e| e["description"] == description.as_str()).collect();
    assert_eq!(runs.len(), JOB_RUNS as usize);
    // The job fires on whole seconds: the delay is how far past its second an execution was queued,
    // and how far past it the execution had finished.
    let (mut queued, mut finished) = (Vec::new(), Vec::new());
    for run in runs {
        let created = parse(run["created_at"].as_str().unwrap());
        let updated = parse(run["updated_at"].as_str().unwrap());
        let due = created.with_nanosecond(0).unwrap();
        queued.push((created - due).to_std().unwrap());
        finished.push((updated - due).to_std().unwrap());
    }
    println!("job firing delay over {JOB_RUNS} runs of a job due every second:");
    println!(
        "  due -> execution queued   p50 {:8.1} µs   max {:8.1} µs",
        micros(percentile(&mut queued, 50.0)),
        micros(percentile(&mut queued, 100.0))
    );
    println!(
        "  due -> execution finished p50 {:8.1} µs   max {:8.1} µs",
        micros(percentile(&mut finished, 50.0)),
        micros(percentile(&mut finished, 100.0))
    );
}

fn parse(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap().and_utc()
}
