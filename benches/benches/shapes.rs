//! Every Wasm shape through the release server: package size, upload-to-available time (compile, link,
//! prime), and the execution time the server reports (instantiate + call) for the first execution after
//! the upload (cold) and the median of later ones (warm), with the REST round trip beside it.

use std::time::{Duration, Instant};

use qinling_benches::server::Server;
use qinling_benches::{micros, percentile};
use serde_json::{Value, json};

const WARM_RUNS: usize = 200;

/// (example package, abi expected, input)
fn examples() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("hello", "handler", json!({"name": "bench"})),
        ("word_stats", "handler", json!({"text": "the quick brown fox jumps over the lazy dog"})),
        ("http_hello", "wasi-http", json!({"name": "bench"})),
        ("shout", "wasi-command", json!({"text": "bench"})),
        ("c-rot13", "wasip1-command", json!("bench")),
        ("python-hello", "handler", json!({"name": "bench"})),
    ]
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    // Extra server flags from the environment, to compare settings: QINLING_BENCH_SERVER_ARGS="--flag value".
    let extra = std::env::var("QINLING_BENCH_SERVER_ARGS").unwrap_or_default();
    let extra: Vec<&str> = extra.split_whitespace().collect();
    let server = Server::start(data.path(), &extra);
    let api = server.api();
    let runtime = api.wasm_runtime().await;
    println!(
        "{:<14} {:<15} {:>9} {:>11} {:>11} {:>11} {:>12}",
        "example", "abi", "size", "upload", "cold run", "warm run", "warm REST"
    );
    for (name, abi, input) in examples() {
        let package = qinling_benches::guest(name);
        let size = package.len();
        let started = Instant::now();
        let function = api.upload(&runtime, package).await;
        let upload = started.elapsed();
        let shown = api.get(&format!("/v1/functions/{function}")).await;
        assert_eq!(shown["code"]["abi"], abi, "{name}");
        let body = json!({"function_id": function, "input": input});
        let cold = run(&api, &body).await.0;
        let (mut warm, mut rest) = (Vec::new(), Vec::new());
        for _ in 0..WARM_RUNS {
            let (duration, round_trip) = run(&api, &body).await;
            warm.push(duration);
            rest.push(round_trip);
        }
        println!(
            "{name:<14} {abi:<15} {:>7.2}MB {:>9.1}ms {:>9.1}µs {:>9.1}µs {:>10.1}µs",
            size as f64 / 1e6,
            upload.as_secs_f64() * 1e3,
            micros(cold),
            micros(percentile(&mut warm, 50.0)),
            micros(percentile(&mut rest, 50.0)),
        );
    }
    println!("(run: the server's `duration`, instantiation and call; REST: the whole POST /v1/executions, recorded)");
}

/// One sync execution: the duration the server reports, and the round trip.
async fn run(api: &qinling_benches::server::Api, body: &Value) -> (Duration, Duration) {
    let started = Instant::now();
    let execution = api.post_json("/v1/executions", body.clone()).await;
    let round_trip = started.elapsed();
    assert_eq!(execution["status"], "success", "{execution}");
    (Duration::from_secs_f64(execution["result"]["duration"].as_f64().unwrap()), round_trip)
}
