//! [`WasmExecutor`]: the [`Executor`] for Wasm runtimes. Prepared code is kept linked, one instance-pre
//! per code (package digest and entry); every execution gets a fresh store and a fresh instance from the
//! pool, bounded by the function's timeout and memory size.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use qinling_core::{
    Capacity, CodeRef, ExecuteError, ExecutionId, ExecutionOutcome, ExecutionRequest, Executor, FunctionId,
    HttpOutcome, Limits, PackageDigest, PrepareError, Prepared,
};
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::component::Component;
use wasmtime::{Engine, Module, Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::cache::CompiledCache;
use crate::engine::{self, Allocator};
use crate::link::{Compiled, Linked, Linkers};
use crate::loaded::Loaded;
use crate::log_sink::LogSink;
use crate::outbound::Outbound;
use crate::shape::{self, Binary};
use crate::state::{Capped, ExecutionState, P1State, Stdio};
use crate::{WasmConfig, package, run, ticker, trap};

/// How long a component may take to instantiate when it is primed at upload.
const PRIME_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the warm-up execution at upload may run; a longer one is cut short, its outcome ignored.
const WARM_UP_TIMEOUT: Duration = Duration::from_millis(100);
/// The warm-up execution's input: what a function receives when it is executed with no input.
const WARM_UP_INPUT: &str = "{}";

/// The host could not start.
#[derive(Debug, thiserror::Error)]
pub enum WasmExecutorError {
    #[error("cannot build the wasmtime engine: {0}")]
    Engine(String),
    #[error("cannot open the compiled-artifact cache at {path}: {source}")]
    Cache { path: String, source: std::io::Error },
    #[error("cannot start the epoch ticker: {0}")]
    Ticker(std::io::Error),
}

#[derive(Clone)]
pub struct WasmExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    allocator: Allocator,
    linkers: Linkers,
    cache: CompiledCache,
    loaded: Loaded<Linked>,
    /// One permit per pool slot, so that instantiation never fails for lack of a slot: executions wait.
    slots: Semaphore,
    /// Executions waiting for a slot; past `max_waiting`, new ones are refused as overload.
    waiting: AtomicU32,
    config: WasmConfig,
}

impl WasmExecutor {
    pub fn new(config: WasmConfig) -> Result<Self, WasmExecutorError> {
        let (engine, allocator) = engine::build(&config).map_err(|e| WasmExecutorError::Engine(e.to_string()))?;
        let linkers = Linkers::new(&engine).map_err(|e| WasmExecutorError::Engine(e.to_string()))?;
        let cache = CompiledCache::open(&config.cache_dir, &engine)
            .map_err(|source| WasmExecutorError::Cache { path: config.cache_dir.display().to_string(), source })?;
        ticker::start(&engine).map_err(WasmExecutorError::Ticker)?;
        tracing::info!(?allocator, max_concurrent = config.max_concurrent, "wasm host ready");
        let slots = Semaphore::new(config.max_concurrent as usize);
        let inner = Inner {
            engine,
            allocator,
            linkers,
            cache,
            loaded: Loaded::new(config.max_loaded_code),
            slots,
            waiting: AtomicU32::new(0),
            config,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    pub fn allocator(&self) -> Allocator {
        self.inner.allocator
    }

    /// The linked code, loaded from the disk cache when this process has not linked it yet.
    async fn linked(&self, code: &CodeRef) -> Result<Linked, ExecuteError> {
        if let Some(linked) = self.inner.loaded.get(code) {
            return Ok(linked);
        }
        let inner = self.inner.clone();
        let owned = code.clone();
        // Deserializing maps the artifact and links it: file IO, so off the async workers too.
        let loaded = tokio::task::spawn_blocking(move || inner.load_cached_blocking(&owned))
            .await
            .map_err(|e| ExecuteError::Internal(format!("loading task failed: {e}")))?;
        match loaded {
            Some(Ok((linked, size))) => Ok(self.inner.loaded.insert(code, linked, size)),
            Some(Err(e)) => Err(ExecuteError::Internal(e.to_string())),
            None => Err(ExecuteError::NotPrepared(code.clone())),
        }
    }
}

impl Inner {
    /// Compiles (or loads from the disk cache) and links a package. CPU-heavy: call off the async workers.
    /// Only code that links is cached, so a rejected upload leaves nothing on disk. Returns the linked
    /// code with the size of its compiled image.
    fn prepare_blocking(&self, code: &CodeRef, package: &[u8]) -> Result<(Linked, u64), PrepareError> {
        if let Some(compiled) = self.cache.load(&self.engine, code) {
            return Ok((self.linkers.link(&self.engine, &compiled)?, compiled.image_size()));
        }
        let bytes = package::wasm_bytes(package, code.entry.as_deref(), self.config.max_module_size)
            .map_err(PrepareError::Rejected)?;
        let kind = shape::binary_kind(&bytes).map_err(PrepareError::Rejected)?;
        let started = Instant::now();
        let invalid = |e: wasmtime::Error| PrepareError::Rejected(format!("the WebAssembly is not valid: {e:#}"));
        let compiled = match kind {
            Binary::Component => Compiled::Component(Component::from_binary(&self.engine, &bytes).map_err(invalid)?),
            Binary::Module => Compiled::Module(Module::from_binary(&self.engine, &bytes).map_err(invalid)?),
        };
        let linked = self.linkers.link(&self.engine, &compiled)?;
        tracing::info!(package = %code.package, abi = linked.abi().as_str(), elapsed = ?started.elapsed(), "compiled a package");
        if let Err(e) = self.cache.store(code, &compiled) {
            tracing::warn!(package = %code.package, error = %e, "cannot cache compiled artifact");
        }
        Ok((linked, compiled.image_size()))
    }

    /// Loads code compiled before (by an earlier process, or dropped from memory since) from the disk
    /// cache only, with the size of its compiled image.
    fn load_cached_blocking(&self, code: &CodeRef) -> Option<Result<(Linked, u64), PrepareError>> {
        let started = Instant::now();
        let compiled = self.cache.load(&self.engine, code)?;
        let linked = self.linkers.link(&self.engine, &compiled).map(|linked| (linked, compiled.image_size()));
        tracing::info!(package = %code.package, elapsed = ?started.elapsed(), "loaded a compiled package from the cache");
        Some(linked)
    }

    /// A pool slot for one execution: at once if one is free, after a wait if a few wait, refused as
    /// overload when the wait is full.
    async fn slot(&self) -> Result<SemaphorePermit<'_>, ExecuteError> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        let waiting = Waiting::join(&self.waiting);
        if waiting.ahead >= self.config.max_waiting {
            return Err(ExecuteError::Overloaded(format!(
                "all {} execution slots are busy and {} executions are waiting; retry later",
                self.config.max_concurrent, waiting.ahead
            )));
        }
        self.slots.acquire().await.map_err(|_| ExecuteError::Internal("the wasm host is shutting down".to_owned()))
    }

    /// A store whose guest yields to the tokio scheduler at every epoch tick and traps once `deadline`
    /// has passed.
    fn store<T: Capped>(&self, state: T, deadline: Instant) -> Store<T> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state.memory());
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            })
        });
        store
    }

    /// Readies freshly prepared code at upload, so that its first execution costs what every later one
    /// does: instantiates it once, which checks that it can be instantiated (its start code runs, bounded
    /// by [`PRIME_TIMEOUT`]) and leaves a pool slot holding its memory image; then warms it up (see
    /// [`Inner::warm_up`]).
    async fn prime(&self, code: &CodeRef, linked: &Linked) -> Result<(), PrepareError> {
        let _slot =
            self.slots.acquire().await.map_err(|_| PrepareError::Internal("the wasm host is shutting down".into()))?;
        let stdio = || Stdio { stdin: None, stdout: LogSink::new(0), stderr: LogSink::new(0) };
        let deadline = Instant::now() + PRIME_TIMEOUT;
        let max_memory = self.config.max_memory;
        let state = || {
            ExecutionState::new(&[], stdio(), max_memory, Outbound::new(Arc::from([]), deadline, 0, LogSink::new(0)))
        };
        let instantiated = tokio::time::timeout(PRIME_TIMEOUT, async {
            match linked {
                Linked::Handler(pre) => {
                    let mut store = self.store(state(), deadline);
                    pre.instance_pre().instantiate_async(&mut store).await.map(drop)
                }
                Linked::Http(pre) => {
                    let mut store = self.store(state(), deadline);
                    pre.instance_pre().instantiate_async(&mut store).await.map(drop)
                }
                Linked::Command(pre) => {
                    let mut store = self.store(state(), deadline);
                    pre.instance_pre().instantiate_async(&mut store).await.map(drop)
                }
                Linked::CommandP1(pre) => {
                    let mut store = self.store(P1State::new(&[], stdio(), max_memory), deadline);
                    pre.instantiate_async(&mut store).await.map(drop)
                }
            }
        })
        .await;
        match instantiated {
            Ok(Ok(())) => {
                self.warm_up(code, linked.clone()).await;
                Ok(())
            }
            Ok(Err(e)) => Err(PrepareError::Rejected(format!("the package fails when instantiated: {e}"))),
            Err(_) => Err(PrepareError::Rejected(format!(
                "the package did not finish instantiating within {} s",
                PRIME_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Runs the code once as an execution with no input: the pages of linear memory that a call touches
    /// are then resident in the pool slot kept for it, as they are for a function that has run before
    /// (without this, the first execution faulted them in and took ~37 µs longer than a warm one:
    /// `benches/wasm_overhead.rs`). The pool is sharded by thread (one shard per CPU), and a slot is kept
    /// for a function in the shard of the thread that ran it: a first execution on another shard's thread
    /// still faults its pages in. The run reaches nothing outside its sandbox (no allowed hosts, no files,
    /// its log dropped), is bounded by [`WARM_UP_TIMEOUT`], and what came of it is ignored: a function
    /// that fails or times out on an empty input is still accepted.
    async fn warm_up(&self, code: &CodeRef, linked: Linked) {
        let request = ExecutionRequest {
            execution_id: ExecutionId::new(),
            function_id: FunctionId::new(),
            function_version: 0,
            code: code.clone(),
            input: WARM_UP_INPUT.to_owned(),
            limits: Limits { timeout: WARM_UP_TIMEOUT, memory_size: self.config.max_memory, cpu: 0 },
            allowed_hosts: Arc::from([]),
        };
        let outcome = self.run(linked, request).await;
        tracing::debug!(package = %code.package, succeeded = outcome.output.is_ok(), duration = ?outcome.duration, "warmed up a package");
    }

    /// Runs one execution of linked code to its outcome.
    async fn run(&self, linked: Linked, request: ExecutionRequest) -> ExecutionOutcome {
        let run = self.start(&request);
        let limits = request.limits;
        // Functions log on both streams; programs answer on stdout (capped like an output) and log on stderr.
        let program_out = LogSink::new(self.config.output_cap);
        let stdio = match linked {
            Linked::Handler(_) | Linked::Http(_) => run.stdio(None, run.log.clone()),
            Linked::Command(_) | Linked::CommandP1(_) => {
                run.stdio(Some(Bytes::from(request.input.clone())), program_out.clone())
            }
        };
        let (result, memory_refused) = match &linked {
            Linked::Handler(pre) => {
                let mut store = self.store(run.state(stdio, &request, self), run.deadline);
                let result = bounded(limits.timeout, run::handler(pre, &mut store, &request.input)).await;
                (result, store.data().memory.refused)
            }
            Linked::Http(pre) => {
                let mut store = self.store(run.state(stdio, &request, self), run.deadline);
                let result =
                    bounded(limits.timeout, run::http(pre, &mut store, &request.input, self.config.output_cap)).await;
                (result, store.data().memory.refused)
            }
            Linked::Command(pre) => {
                let mut store = self.store(run.state(stdio, &request, self), run.deadline);
                let result = bounded(limits.timeout, run::command(pre, &mut store)).await;
                (result.map(|exit| exit.and_then(|()| program_output(&program_out))), store.data().memory.refused)
            }
            Linked::CommandP1(pre) => {
                let mut store = self.store(P1State::new(&run.env, stdio, limits.memory_size), run.deadline);
                let result = bounded(limits.timeout, run::command_p1(pre, &mut store)).await;
                (result.map(|exit| exit.and_then(|()| program_output(&program_out))), store.data().memory.refused)
            }
        };
        let duration = run.started.elapsed();
        let output = match run.explain(result, memory_refused, &request) {
            Ok(Ok(output)) if output.len() > self.config.output_cap => {
                Err(format!("output too large: {} bytes, the limit is {} bytes", output.len(), self.config.output_cap))
            }
            explained => explained.and_then(|returned| returned),
        };
        ExecutionOutcome { output, duration, log: run.log.text() }
    }

    /// Serves one HTTP request with an HTTP-shaped function.
    async fn run_http(
        &self,
        pre: &ProxyPre<ExecutionState>,
        request: ExecutionRequest,
        call: http::Request<Bytes>,
    ) -> HttpOutcome {
        let run = self.start(&request);
        let stdio = run.stdio(None, run.log.clone());
        let mut store = self.store(run.state(stdio, &request, self), run.deadline);
        let result =
            bounded(request.limits.timeout, run::exchange(pre, &mut store, call, self.config.output_cap)).await;
        let memory_refused = store.data().memory.refused;
        drop(store);
        let response = run.explain(result, memory_refused, &request).and_then(|answered| answered);
        HttpOutcome { response, duration: run.started.elapsed(), log: run.log.text() }
    }

    /// The context of one execution starting now.
    fn start(&self, request: &ExecutionRequest) -> Run {
        let started = Instant::now();
        let timeout = request.limits.timeout;
        let deadline_unix_ms = (SystemTime::now() + timeout).duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        let env = [
            ("QINLING_EXECUTION_ID", request.execution_id.to_string()),
            ("QINLING_FUNCTION_ID", request.function_id.to_string()),
            ("QINLING_FUNCTION_VERSION", request.function_version.to_string()),
            ("QINLING_DEADLINE_MS", deadline_unix_ms.to_string()),
        ];
        Run { log: LogSink::new(self.config.log_cap), started, deadline: started + timeout, env }
    }
}

/// One execution under way: its log, its clock and the environment the function sees.
struct Run {
    log: LogSink,
    started: Instant,
    deadline: Instant,
    env: [(&'static str, String); 4],
}

impl Run {
    /// Standard streams: stdin as given, stdout to `stdout`, stderr to the log.
    fn stdio(&self, stdin: Option<Bytes>, stdout: LogSink) -> Stdio {
        Stdio { stdin, stdout, stderr: self.log.clone() }
    }

    /// A component's store data: this run's environment and streams, the function's memory cap and
    /// outbound HTTP rules.
    fn state(&self, stdio: Stdio, request: &ExecutionRequest, inner: &Inner) -> ExecutionState {
        let outbound = Outbound::new(
            request.allowed_hosts.clone(),
            self.deadline,
            inner.config.http_response_cap,
            self.log.clone(),
        );
        ExecutionState::new(&self.env, stdio, request.limits.memory_size, outbound)
    }

    /// A call that did not end normally, explained for the user.
    fn explain<T>(
        &self,
        result: Result<T, Bounded>,
        memory_refused: Option<usize>,
        request: &ExecutionRequest,
    ) -> Result<T, String> {
        let limits = request.limits;
        match result {
            Err(Bounded::TimedOut) => Err(trap::timed_out(limits.timeout)),
            Err(Bounded::Trapped(error)) => {
                Err(trap::describe(&error, memory_refused, limits.timeout, limits.memory_size, &self.log))
            }
            Ok(value) => Ok(value),
        }
    }
}

/// A place in the wait for a slot, given up when dropped (also when the waiting request is cancelled).
struct Waiting<'a> {
    count: &'a AtomicU32,
    /// How many were waiting already.
    ahead: u32,
}

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicU32) -> Self {
        Self { ahead: count.fetch_add(1, Ordering::Relaxed), count }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a call ended when it did not end normally.
enum Bounded {
    TimedOut,
    Trapped(wasmtime::Error),
}

/// Runs a call under a wall-clock timer: the epoch deadline stops guests that compute; this stops guests
/// that wait inside a host call.
async fn bounded<T>(timeout: Duration, call: impl Future<Output = wasmtime::Result<T>>) -> Result<T, Bounded> {
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(Bounded::TimedOut),
        Ok(Err(error)) => Err(Bounded::Trapped(error)),
        Ok(Ok(value)) => Ok(value),
    }
}

/// A program's output: its stdout as JSON, unless it wrote more than the output cap.
fn program_output(stdout: &LogSink) -> Result<String, String> {
    let (bytes, dropped) = stdout.contents();
    if dropped > 0 {
        return Err(format!("output too large: the program wrote more than {} bytes to stdout", bytes.len()));
    }
    Ok(run::json_or_text(&bytes))
}

#[async_trait::async_trait]
impl Executor for WasmExecutor {
    async fn prepare(&self, code: &CodeRef, bytes: Bytes) -> Result<Prepared, PrepareError> {
        if let Some(linked) = self.inner.loaded.get(code) {
            return Ok(Prepared { abi: linked.abi().as_str().to_owned() });
        }
        let inner = self.inner.clone();
        let owned = code.clone();
        // Compiling takes milliseconds to seconds of CPU: keep it off the async workers.
        let linked = tokio::task::spawn_blocking(move || inner.prepare_blocking(&owned, &bytes))
            .await
            .map_err(|e| PrepareError::Internal(format!("compilation task failed: {e}")))??;
        let (linked, size) = linked;
        self.inner.prime(code, &linked).await?;
        let prepared = Prepared { abi: linked.abi().as_str().to_owned() };
        self.inner.loaded.insert(code, linked, size);
        Ok(prepared)
    }

    async fn execute(&self, request: ExecutionRequest) -> Result<ExecutionOutcome, ExecuteError> {
        let linked = self.linked(&request.code).await?;
        let _slot = self.inner.slot().await?;
        Ok(self.inner.run(linked, request).await)
    }

    async fn execute_http(
        &self,
        request: ExecutionRequest,
        call: http::Request<Bytes>,
    ) -> Result<HttpOutcome, ExecuteError> {
        let linked = self.linked(&request.code).await?;
        let Linked::Http(pre) = linked else {
            return Err(ExecuteError::Internal(format!(
                "package {} is a {} function, not an HTTP-shaped one",
                request.code.package,
                linked.abi().as_str()
            )));
        };
        let _slot = self.inner.slot().await?;
        Ok(self.inner.run_http(&pre, request, call).await)
    }

    async fn release(&self, package: &PackageDigest) {
        self.inner.loaded.remove_package(package);
        self.inner.cache.remove(package);
    }

    fn capacity(&self) -> Capacity {
        let total = u64::from(self.inner.config.max_concurrent);
        Capacity { total, available: self.inner.slots.available_permits() as u64 }
    }
}
