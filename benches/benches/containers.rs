//! Container functions on Podman against Python on Wasm, side by side on one release server: how long a
//! container runtime takes to become available (its pool of workers started: cold from nothing), the
//! first execution of a fresh function (a worker taken from the pool, its code loaded: cold from the
//! pool) against a fresh Wasm upload's first execution, warm round trips at concurrency 1 alternated
//! batch by batch, and executions/s at concurrency 8. Needs root and Podman (`cargo xtask prerequisites`).

use std::io::Write;
use std::time::{Duration, Instant};

use qinling_benches::podman::{PYTHON_IMAGE, Podman};
use qinling_benches::server::{Api, Server, load};
use qinling_benches::{guest, median, micros, percentile, with_custom_section};
use serde_json::{Value, json};

const SCOPE: &str = "qinling-bench";
const HELLO: &str = include_str!("../../runtimes/python3/examples/hello/main.py");
const FRESH_FUNCTIONS: usize = 7;
const BATCHES: usize = 8;
const BATCH: usize = 50;
const CONCURRENCY: usize = 8;
const LOAD_TIME: Duration = Duration::from_secs(3);
const LOAD_REPS: usize = 3;

#[tokio::main]
async fn main() {
    let podman = Podman::start(SCOPE);
    let data = tempfile::tempdir().unwrap();
    let docker_host = podman.docker_host();
    let flags = ["--orchestrator", "docker", "--docker-host", &docker_host, "--container-scope", SCOPE];
    // Workers download packages from the server, so it listens where containers reach it.
    let server = Server::start_on("0.0.0.0:0", data.path(), &flags);
    let api = server.api();

    let started = Instant::now();
    let container_runtime = api.post_json("/v1/runtimes", json!({"name": "python3", "image": PYTHON_IMAGE})).await;
    let container_runtime = container_runtime["id"].as_str().unwrap().to_owned();
    wait_for_pool(&api, &container_runtime).await;
    println!(
        "container runtime available (pool of 2 workers started): {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let wasm_runtime = api.wasm_runtime().await;
    let wasm_package = guest("python-hello");
    let input = json!({"name": "bench"});

    let (mut container_cold, mut wasm_cold) = (Vec::new(), Vec::new());
    let mut container_fn = String::new();
    let mut wasm_fn = String::new();
    for i in 0..FRESH_FUNCTIONS {
        wait_for_pool(&api, &container_runtime).await;
        container_fn = api.upload_file(&container_runtime, zip_hello(), "hello.zip").await;
        container_cold.push(round_trip(&api, &container_fn, &input).await);
        let fresh = with_custom_section(&wasm_package, &format!("containers-bench-{i}-{}", std::process::id()));
        wasm_fn = api.upload(&wasm_runtime, fresh).await;
        wasm_cold.push(round_trip(&api, &wasm_fn, &input).await);
    }
    println!("first execution of a fresh function, median of {FRESH_FUNCTIONS}:");
    ratio_line("cold", &mut container_cold, &mut wasm_cold, 50.0);

    let (mut container_warm, mut wasm_warm) = (Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        for _ in 0..BATCH {
            container_warm.push(round_trip(&api, &container_fn, &input).await);
        }
        for _ in 0..BATCH {
            wasm_warm.push(round_trip(&api, &wasm_fn, &input).await);
        }
    }
    println!("warm round trips, concurrency 1, {} each, alternated in batches of {BATCH}:", BATCHES * BATCH);
    ratio_line("p50", &mut container_warm, &mut wasm_warm, 50.0);
    ratio_line("p99", &mut container_warm, &mut wasm_warm, 99.0);

    let (mut container_rates, mut wasm_rates) = (Vec::new(), Vec::new());
    for _ in 0..LOAD_REPS {
        for (function, rates) in [(&container_fn, &mut container_rates), (&wasm_fn, &mut wasm_rates)] {
            let body = json!({"function_id": function, "input": input});
            rates.push(load(&api, &body, CONCURRENCY, LOAD_TIME).await.len() as f64 / LOAD_TIME.as_secs_f64());
        }
    }
    let (container_rate, wasm_rate) = (median(&mut container_rates), median(&mut wasm_rates));
    println!("executions/s, concurrency {CONCURRENCY}, median of {LOAD_REPS} alternated runs of {LOAD_TIME:?}:");
    println!(
        "  container {container_rate:8.0}   wasm {wasm_rate:8.0}   container/wasm = {:.2}x",
        container_rate / wasm_rate
    );
    let workers = api.get(&format!("/v1/functions/{container_fn}/workers")).await;
    println!("(the container function held {} worker(s))", workers["workers"].as_array().map_or(0, Vec::len));
    drop(server);
    drop(podman);
}

/// Waits until the runtime's pool has every worker idle and ready.
async fn wait_for_pool(api: &Api, runtime: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let shown = api.get(&format!("/v1/runtimes/{runtime}")).await;
        assert_ne!(shown["status"], "error", "the runtime failed: {shown}");
        let pool = api.get(&format!("/v1/runtimes/{runtime}/pool")).await;
        let capacity = &pool["capacity"];
        if shown["status"] == "available"
            && capacity["total"].as_u64() > Some(0)
            && capacity["available"] == capacity["total"]
        {
            return;
        }
        assert!(Instant::now() < deadline, "the pool did not fill: {pool}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One sync execution's round trip through `POST /v1/executions`.
async fn round_trip(api: &Api, function: &str, input: &Value) -> Duration {
    let started = Instant::now();
    api.execute(&json!({"function_id": function, "input": input})).await;
    started.elapsed()
}

fn ratio_line(label: &str, container: &mut [Duration], wasm: &mut [Duration], p: f64) {
    let (container, wasm) = (percentile(container, p), percentile(wasm, p));
    println!(
        "  {label:<4} container {:9.1} µs   wasm {:9.1} µs   container/wasm = {:.1}x",
        micros(container),
        micros(wasm),
        container.as_secs_f64() / wasm.as_secs_f64()
    );
}

/// The python3 runtime's hello example as a zip package.
fn zip_hello() -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("main.py", zip::write::SimpleFileOptions::default()).unwrap();
    writer.write_all(HELLO.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}
