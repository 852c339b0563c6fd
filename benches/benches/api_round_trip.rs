//! Sync executions through the REST API on loopback, each recorded durably before the answer: latency
//! at concurrency 1 (p50, p99), throughput at concurrency 32, and cold start (first execution after an
//! upload) against a warm execution. Runs the release `qinling` binary as a separate process.

use std::time::{Duration, Instant};

use qinling_benches::server::{Server, load};
use qinling_benches::{guest, micros, percentile, with_custom_section};
use serde_json::json;

const SEQUENTIAL: usize = 2000;
const WARMUP: usize = 200;
const CONCURRENCY: usize = 32;
const LOAD_TIME: Duration = Duration::from_secs(5);
const COLD_SAMPLES: usize = 10;

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let api = server.api();
    let runtime = api.post_json("/v1/runtimes", json!({"name": "wasm", "image": "wasm"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let package = guest("word_stats");
    let function = api.upload(&runtime, package.clone()).await;
    let body = json!({"function_id": function, "input": {"text": "the quick brown fox jumps over the lazy dog"}});

    for _ in 0..WARMUP {
        api.execute(&body).await;
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let started = Instant::now();
        api.execute(&body).await;
        latencies.push(started.elapsed());
    }
    println!("sync execution round trip, concurrency 1, {SEQUENTIAL} executions:");
    println!("  p50 {:8.1} µs", micros(percentile(&mut latencies, 50.0)));
    println!("  p99 {:8.1} µs", micros(percentile(&mut latencies, 99.0)));

    let started = Instant::now();
    let mut all = load(&api, &body, CONCURRENCY, LOAD_TIME).await;
    let elapsed = started.elapsed().as_secs_f64();
    println!("sync executions, concurrency {CONCURRENCY}, {:.0} s:", elapsed);
    println!("  {:8.0} executions/s", all.len() as f64 / elapsed);
    println!("  p50 {:8.1} µs   p99 {:8.1} µs", micros(percentile(&mut all, 50.0)), micros(percentile(&mut all, 99.0)));

    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for i in 0..COLD_SAMPLES {
        let fresh = with_custom_section(&package, &format!("api-bench-{i}-{}", std::process::id()));
        let function = api.upload(&runtime, fresh).await;
        let body = json!({"function_id": function, "input": {"text": "cold"}});
        for samples in [&mut cold, &mut warm] {
            let started = Instant::now();
            api.execute(&body).await;
            samples.push(started.elapsed());
        }
    }
    let (cold, warm) = (percentile(&mut cold, 50.0), percentile(&mut warm, 50.0));
    println!("first execution after upload, median of {COLD_SAMPLES} fresh functions:");
    println!(
        "  cold {:8.1} µs   warm {:8.1} µs   cold/warm = {:.2}x",
        micros(cold),
        micros(warm),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
    drop(server);
}
