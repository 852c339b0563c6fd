//! A Python guest (componentize-py, the Python SDK's hello) under the Wasm host's memory settings, to
//! choose them by measuring: how many bytes of each pool slot's linear memory stay mapped between
//! instances (`--wasm-memory-keep-resident`), and the pooling allocator against on-demand allocation.
//! For each setting, one executor prepares the package (as at upload) and runs it: the first execution,
//! then the median time per execution over batches (instantiate + call + drop). Settings alternate
//! batch by batch so that noise hits them alike.

use std::time::{Duration, Instant};

use bytes::Bytes;
use qinling_benches::{execution_request, guest, micros, percentile};
use qinling_core::{CodeRef, Executor, PackageDigest};
use qinling_wasm::{WasmConfig, WasmExecutor};

const ROUNDS: usize = 11;
const BATCH: usize = 20;
const MIB: usize = 1024 * 1024;

/// (label, pooling, linear memory kept resident)
const SETTINGS: [(&str, bool, usize); 5] = [
    ("on-demand", false, 0),
    ("pooling, nothing resident", true, 0),
    ("pooling, 4 MiB resident (default)", true, 4 * MIB),
    ("pooling, 16 MiB resident", true, 16 * MIB),
    ("pooling, 64 MiB resident", true, 64 * MIB),
];

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let package = guest("python-hello");
    let code = CodeRef { package: PackageDigest::of(&package), entry: None };
    let cache = tempfile::tempdir().unwrap();
    let mut executors = Vec::new();
    let mut first = Vec::new();
    for (_, pooling, resident) in SETTINGS {
        let config =
            WasmConfig { pooling, memory_keep_resident: resident, max_concurrent: 16, ..WasmConfig::new(cache.path()) };
        let executor = WasmExecutor::new(config).unwrap();
        runtime.block_on(executor.prepare(&code, Bytes::from(package.clone()))).unwrap();
        let started = Instant::now();
        run(&runtime, &executor, &code);
        first.push(started.elapsed());
        executors.push(executor);
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); SETTINGS.len()];
    for _ in 0..ROUNDS {
        for (executor, samples) in executors.iter().zip(&mut samples) {
            let started = Instant::now();
            (0..BATCH).for_each(|_| run(&runtime, executor, &code));
            samples.push(started.elapsed() / BATCH as u32);
        }
    }
    println!(
        "python-hello ({:.1} MB component), per setting: first execution after prepare, then median per execution of {ROUNDS} batches of {BATCH}",
        package.len() as f64 / 1e6
    );
    let medians: Vec<Duration> = samples.iter_mut().map(|s| percentile(s, 50.0)).collect();
    let best = medians.iter().min().copied().unwrap();
    for (((label, _, _), first), median) in SETTINGS.iter().zip(&first).zip(&medians) {
        println!(
            "  {label:<36} first {:9.1} µs   warm {:9.1} µs   {:.2}x the fastest",
            micros(*first),
            micros(*median),
            median.as_secs_f64() / best.as_secs_f64()
        );
    }
}

fn run(runtime: &tokio::runtime::Runtime, executor: &WasmExecutor, code: &CodeRef) {
    let request = execution_request(code, r#"{"name": "bench"}"#, Duration::from_secs(10), 256 << 20);
    let outcome = runtime.block_on(executor.execute(request)).unwrap();
    assert!(outcome.output.is_ok(), "{:?}", outcome.output);
}
