//! Upload readies a Wasm function for its first execution. Checked in process, with the Wasm host the
//! server embeds, because only the executing thread's own page-fault count tells a first execution that
//! faults its memory in from one that finds it resident.

use std::sync::Arc;
use std::time::Duration;

use qinling_core::{CodeRef, ExecutionId, ExecutionRequest, Executor, FunctionId, Limits, PackageDigest};
use qinling_wasm::{Allocator, WasmConfig, WasmExecutor};

use crate::support::guest;

/// Executions of another function before the new one is uploaded.
const HOST_WARM_UP: usize = 200;

/// Minor page faults taken so far by the calling thread.
fn thread_minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(7).unwrap().parse().unwrap()
}

/// An execution request for `code`, as the engine makes one.
fn request(code: &CodeRef, input: &str) -> ExecutionRequest {
    ExecutionRequest {
        execution_id: ExecutionId::new(),
        function_id: FunctionId::new(),
        function_version: 1,
        code: code.clone(),
        input: input.to_owned(),
        limits: Limits { timeout: Duration::from_secs(5), memory_size: 32 << 20, cpu: 100 },
        allowed_hosts: Arc::from([]),
    }
}

fn code_of(package: &[u8]) -> CodeRef {
    CodeRef { package: PackageDigest::of(package), entry: None }
}

#[test]
fn the_first_execution_after_upload_finds_its_memory_resident() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let executor = WasmExecutor::new(WasmConfig::new(cache.path())).unwrap();
    assert_eq!(executor.allocator(), Allocator::Pooling, "warm slots exist only in the instance pool");
    // A host that has been serving another function: while few of its slots are idle, a fresh pool hands
    // out never-used ones first, whatever the function (without these executions the first execution of
    // hello took 2 faults even when warmed up).
    let other = guest("http-hello");
    let other_code = code_of(&other);
    runtime.block_on(executor.prepare(&other_code, other.into())).unwrap();
    for _ in 0..HOST_WARM_UP {
        let outcome = runtime.block_on(executor.execute(request(&other_code, "{}"))).unwrap();
        assert!(outcome.output.is_ok(), "{outcome:?}");
    }

    let hello = guest("hello");
    let code = code_of(&hello);
    runtime.block_on(executor.prepare(&code, hello.into())).unwrap();
    thread_minor_faults(); // its own first allocation may fault, and must not count
    let faults_of_one_execution = || {
        let before = thread_minor_faults();
        let outcome = runtime.block_on(executor.execute(request(&code, r#"{"name": "warm"}"#))).unwrap();
        assert_eq!(outcome.output.as_deref(), Ok(r#""Hello, warm!""#), "{outcome:?}");
        thread_minor_faults() - before
    };
    let first = faults_of_one_execution();
    let second = faults_of_one_execution();
    // Not warmed up at upload, the first execution faults in the pages it touches (8 faults here when
    // measured); warmed up, as many as a later execution (none).
    assert!(first <= second + 1, "the first execution took {first} page faults, the second {second}");
}
