//! Host overhead per execution, side by side with bare wasmtime, and cold start.
//!
//! Subjects, alternated batch by batch so that noise hits them alike:
//! - `qinling`: `WasmExecutor::execute` (fresh store with WASI context, limits, epoch deadline and log
//!   capture; instantiate from the prepared `InstancePre` in the pool; call `handle`; drop);
//! - `bare on-demand` / `bare pooling` / `bare pooling, resident`: the least a wasmtime 48 embedder does
//!   for the same guest (store with an empty WASI context, instantiate from an `InstancePre`, call, drop)
//!   with default settings, and with pooling keeping linear memory resident as Qinling does.
//!
//! The guest is the hello function (Rust SDK), so that the figure is the host's, not the guest's work.
//!
//! Cold start: packages never seen before are prepared (as at upload); one runs at once (the compiler has
//! just flushed every cache: the worst case), another after executions of a warm function (as on a
//! server, where uploads compile on a blocking thread while other functions run): once (cold), again
//! after as many executions of the warm function (warm, in the same surroundings as the cold one: what
//! differs is only that it ran before), and once more at once (repeated: its code and data still in the
//! CPU caches), with the minor page faults of each. The target: cold within 10 µs of warm. Then the cost
//! of an execution whose code was dropped from memory (past the loaded-code budget) and is loaded again
//! from the disk cache.

use std::time::{Duration, Instant};

use bytes::Bytes;
use qinling_benches::{execution_request, guest, micros, percentile, with_custom_section};
use qinling_core::{CodeRef, ExecutionRequest, Executor, PackageDigest};
use qinling_wasm::{DEFAULT_MEMORY_KEEP_RESIDENT, WasmConfig, WasmExecutor};
use wasmtime::component::{Component, ComponentExportIndex, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

const ROUNDS: usize = 31;
const BATCH: usize = 500;
const COLD_SAMPLES: usize = 15;
/// Executions of an already warm function between an upload and the new function's first execution.
const OTHER_EXECUTIONS: usize = 20;
const INPUT: &str = r#"{"name": "bench"}"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let package = guest("hello");
    let cache = tempfile::tempdir().unwrap();
    let executor = WasmExecutor::new(WasmConfig::new(cache.path())).unwrap();
    println!("qinling allocator: {:?}", executor.allocator());
    let code = CodeRef { package: PackageDigest::of(&package), entry: None };
    runtime.block_on(executor.prepare(&code, Bytes::from(package.clone()))).unwrap();
    let request = request(code);

    let mut bare_on_demand = Bare::new(&package, InstanceAllocationStrategy::OnDemand);
    let mut bare_pooling = Bare::new(&package, InstanceAllocationStrategy::pooling());
    let mut resident = PoolingAllocationConfig::new();
    resident.linear_memory_keep_resident(DEFAULT_MEMORY_KEEP_RESIDENT).table_keep_resident(1 << 20);
    let mut bare_resident = Bare::new(&package, InstanceAllocationStrategy::Pooling(resident));
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for _ in 0..ROUNDS {
        samples[0].push(per_call(|| {
            runtime.block_on(async {
                for _ in 0..BATCH {
                    let outcome = executor.execute(request.clone()).await.unwrap();
                    assert!(outcome.output.is_ok());
                }
            })
        }));
        samples[1].push(per_call(|| (0..BATCH).for_each(|_| bare_on_demand.call())));
        samples[2].push(per_call(|| (0..BATCH).for_each(|_| bare_pooling.call())));
        samples[3].push(per_call(|| (0..BATCH).for_each(|_| bare_resident.call())));
    }
    let [ours, on_demand, pooling, resident] = samples.map(|mut s| percentile(&mut s, 50.0));
    println!("\nper execution (instantiate + call + drop), median of {ROUNDS} batches of {BATCH}:");
    println!("  qinling WasmExecutor  {:8.2} µs", micros(ours));
    println!("  bare wasmtime on-demand {:6.2} µs   qinling/bare = {:.2}x", micros(on_demand), ratio(ours, on_demand));
    println!("  bare wasmtime pooling {:8.2} µs   qinling/bare = {:.2}x", micros(pooling), ratio(ours, pooling));
    println!(
        "  bare wasmtime pooling, resident {:6.2} µs   qinling/bare = {:.2}x",
        micros(resident),
        ratio(ours, resident)
    );

    cold_start(&runtime, &executor, &package, &request.code);
    reload(&runtime, &package, cache.path());
}

/// Two packages run in turn by an executor whose loaded-code budget holds one: every execution loads
/// its code from the disk cache.
fn reload(runtime: &tokio::runtime::Runtime, package: &[u8], cache: &std::path::Path) {
    let config = WasmConfig { max_loaded_code: 1, ..WasmConfig::new(cache) };
    let executor = WasmExecutor::new(config).unwrap();
    let codes: Vec<CodeRef> = (0..2)
        .map(|i| {
            let fresh = with_custom_section(package, &format!("reload-{i}-{}", std::process::id()));
            let code = CodeRef { package: PackageDigest::of(&fresh), entry: None };
            runtime.block_on(executor.prepare(&code, Bytes::from(fresh))).unwrap();
            code
        })
        .collect();
    let mut reloaded = Vec::new();
    for i in 0..COLD_SAMPLES * 2 {
        let started = Instant::now();
        runtime.block_on(executor.execute(request(codes[i % 2].clone()))).unwrap();
        reloaded.push(started.elapsed());
    }
    println!(
        "  execution after its code was dropped from memory (loaded from the disk cache) {:10.1} µs",
        micros(percentile(&mut reloaded, 50.0))
    );
}

fn request(code: CodeRef) -> ExecutionRequest {
    execution_request(&code, INPUT, Duration::from_secs(5), 32 << 20)
}

/// Time per call of a batch of `BATCH` calls.
fn per_call(batch: impl FnOnce()) -> Duration {
    let started = Instant::now();
    batch();
    started.elapsed() / BATCH as u32
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn cold_start(runtime: &tokio::runtime::Runtime, executor: &WasmExecutor, package: &[u8], warm_code: &CodeRef) {
    let (mut compile, mut after_compile) = (Vec::new(), Vec::new());
    // Cold, warm in the same surroundings, repeated at once: time and minor page faults of each.
    let mut runs: [Vec<(Duration, u64)>; 3] = Default::default();
    let timed = |code: &CodeRef| {
        let (started, faulted) = (Instant::now(), minor_faults());
        runtime.block_on(executor.execute(request(code.clone()))).unwrap();
        (started.elapsed(), minor_faults() - faulted)
    };
    let serve_others = || {
        for _ in 0..OTHER_EXECUTIONS {
            timed(warm_code);
        }
    };
    for i in 0..COLD_SAMPLES {
        // A custom section makes a new package (new digest) that must be compiled like a fresh upload.
        let [straight, fresh] = ["straight", "fresh"].map(|kind| {
            let fresh = with_custom_section(package, &format!("bench-{kind}-{i}-{}", std::process::id()));
            let code = CodeRef { package: PackageDigest::of(&fresh), entry: None };
            let started = Instant::now();
            runtime.block_on(executor.prepare(&code, Bytes::from(fresh))).unwrap();
            compile.push(started.elapsed());
            code
        });
        // Run at once, the first execution finds every cache flushed by the compiler that just ran.
        after_compile.push(timed(&straight).0);
        // A server keeps serving while an upload compiles (on a blocking thread): the host's own code and
        // data are warm when a new function first runs; its code and memory are not.
        serve_others();
        runs[0].push(timed(&fresh));
        serve_others();
        runs[1].push(timed(&fresh));
        runs[2].push(timed(&fresh));
        for code in [straight, fresh] {
            runtime.block_on(executor.release(&code.package));
        }
    }
    let [compile, after_compile] = [compile, after_compile].map(|mut samples| percentile(&mut samples, 50.0));
    let [cold, warm, repeated] = runs.map(|runs| {
        let (mut times, mut faults): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
        faults.sort_unstable();
        (percentile(&mut times, 50.0), faults[faults.len() / 2])
    });
    println!("\ncold start, median of {COLD_SAMPLES} fresh packages:");
    println!("  prepare at upload (compile + link) {:10.1} µs", micros(compile));
    println!(
        "  first execution straight after compiling it (every cache flushed by the compiler) {:8.1} µs",
        micros(after_compile)
    );
    println!(
        "  first execution of a new function, host warm (cold) {:8.1} µs   {} minor page faults",
        micros(cold.0),
        cold.1
    );
    println!(
        "  its second execution, after as many of another function (warm) {:8.1} µs   {} minor page faults   cold - warm = {:.1} µs (target <= 10)",
        micros(warm.0),
        warm.1,
        micros(cold.0) - micros(warm.0)
    );
    println!(
        "  its third execution, straight after the second (repeated, CPU caches hot) {:8.1} µs   {} minor page faults   cold - repeated = {:.1} µs",
        micros(repeated.0),
        repeated.1,
        micros(cold.0) - micros(repeated.0)
    );
}

/// The bare-wasmtime baseline: synchronous calls, default engine settings, an empty WASI context.
struct Bare {
    engine: Engine,
    pre: wasmtime::component::InstancePre<BareState>,
    handle: ComponentExportIndex,
}

struct BareState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for BareState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl Bare {
    fn new(package: &[u8], allocation: InstanceAllocationStrategy) -> Self {
        let mut config = Config::new();
        config.allocation_strategy(allocation);
        let engine = Engine::new(&config).unwrap();
        let component = Component::from_binary(&engine, package).unwrap();
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
        let pre = linker.instantiate_pre(&component).unwrap();
        let handle = component.get_export_index(None, "handle").unwrap();
        Self { engine, pre, handle }
    }

    fn call(&mut self) {
        let state = BareState { wasi: WasiCtx::builder().build(), table: ResourceTable::new() };
        let mut store = Store::new(&self.engine, state);
        let instance = self.pre.instantiate(&mut store).unwrap();
        let handle = instance.get_typed_func::<(&str,), (Result<String, String>,)>(&mut store, self.handle).unwrap();
        let (output,) = handle.call(&mut store, (INPUT,)).unwrap();
        assert!(output.is_ok());
    }
}

/// Minor page faults of this process so far (`/proc/self/stat`, field 10).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(7).unwrap().parse().unwrap()
}
