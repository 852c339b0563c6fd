//! The same sync executions on the embedded defaults (SQLite + a local package directory) and on the
//! multi-replica setup (PostgreSQL + S3), side by side: two release servers, alternated rep by rep, each
//! execution recorded before its answer. `cargo xtask bench` starts a throwaway PostgreSQL and names it in
//! `QINLING_BENCH_POSTGRES`; S3 is `s3s-fs` (installed into target/tools) over a temporary directory, from qinling-test-services.

use std::time::{Duration, Instant};

use qinling_benches::server::{Server, load};
use qinling_benches::{guest, median, micros, percentile};
use qinling_test_services::{S3Server, s3_credentials};
use serde_json::json;

const REPS: usize = 3;
const SEQUENTIAL: usize = 500;
const CONCURRENCY: usize = 32;
const LOAD_TIME: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() {
    let postgres =
        std::env::var("QINLING_BENCH_POSTGRES").expect("run with `cargo xtask bench` (it starts PostgreSQL)");
    let s3 = S3Server::start(&["qinling"]);
    let store = s3.url("qinling/packages");
    let (embedded_dir, replica_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let embedded = Server::start(embedded_dir.path(), &[]);
    let replica = Server::start_with_env(
        replica_dir.path(),
        &["--database-url", &postgres, "--package-store", &store],
        &s3_credentials().iter().map(|(key, value)| (key.as_str(), value.as_str())).collect::<Vec<_>>(),
    );
    let mut subjects = Vec::new();
    for server in [&embedded, &replica] {
        let api = server.api();
        let runtime = api.wasm_runtime().await;
        let function = api.upload(&runtime, guest("word_stats")).await;
        let body = json!({"function_id": function, "input": {"text": "the quick brown fox jumps over the lazy dog"}});
        for _ in 0..100 {
            api.execute(&body).await;
        }
        subjects.push((api, body));
    }
    let (mut p50s, mut rates) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..REPS {
        for (i, (api, body)) in subjects.iter().enumerate() {
            let mut latencies = Vec::with_capacity(SEQUENTIAL);
            for _ in 0..SEQUENTIAL {
                let started = Instant::now();
                api.execute(body).await;
                latencies.push(started.elapsed());
            }
            p50s[i].push(percentile(&mut latencies, 50.0));
            let done = load(api, body, CONCURRENCY, LOAD_TIME).await.len();
            rates[i].push(done as f64 / LOAD_TIME.as_secs_f64());
        }
    }
    let [mut sqlite_p50, mut postgres_p50] = p50s;
    let (sqlite_p50, postgres_p50) = (percentile(&mut sqlite_p50, 50.0), percentile(&mut postgres_p50, 50.0));
    let [mut sqlite_rate, mut postgres_rate] = rates;
    let (sqlite_rate, postgres_rate) = (median(&mut sqlite_rate), median(&mut postgres_rate));
    println!("sync executions, medians of {REPS} alternated reps:");
    println!(
        "  c=1  p50   sqlite+local {:8.1} µs   postgres+s3 {:8.1} µs   postgres/sqlite = {:.2}x",
        micros(sqlite_p50),
        micros(postgres_p50),
        postgres_p50.as_secs_f64() / sqlite_p50.as_secs_f64()
    );
    println!(
        "  c={CONCURRENCY} /s  sqlite+local {sqlite_rate:8.0}      postgres+s3 {postgres_rate:8.0}      postgres/sqlite = {:.2}x",
        postgres_rate / sqlite_rate
    );
}
