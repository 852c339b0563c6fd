//! [`WasmExecutor`]: the [`Executor`] for Wasm runtimes. Prepared components are kept as one
//! `InstancePre` per code (package digest and entry); every execution gets a fresh store and instance.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dashmap::DashMap;
use qinling_core::{
    Capacity, CodeRef, ExecuteError, ExecutionOutcome, ExecutionRequest, Executor, PackageDigest, PrepareError,
};
use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use crate::bindings::HandlerPre;
use crate::cache::CompiledCache;
use crate::engine::{self, Allocator};
use crate::log_sink::LogSink;
use crate::state::ExecutionState;
use crate::{WasmConfig, package, shape, ticker};

/// How long a component may take to instantiate when it is primed at upload.
const PRIME_TIMEOUT: Duration = Duration::from_secs(5);

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
    linker: Linker<ExecutionState>,
    cache: CompiledCache,
    prepared: DashMap<CodeRef, HandlerPre<ExecutionState>>,
    /// One permit per pool slot, so that instantiation never fails for lack of a slot: executions wait.
    slots: Semaphore,
    config: WasmConfig,
}

impl WasmExecutor {
    pub fn new(config: WasmConfig) -> Result<Self, WasmExecutorError> {
        let (engine, allocator) = engine::build(&config).map_err(|e| WasmExecutorError::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| WasmExecutorError::Engine(e.to_string()))?;
        let cache = CompiledCache::open(&config.cache_dir, &engine)
            .map_err(|source| WasmExecutorError::Cache { path: config.cache_dir.display().to_string(), source })?;
        ticker::start(&engine).map_err(WasmExecutorError::Ticker)?;
        tracing::info!(?allocator, max_concurrent = config.max_concurrent, "wasm host ready");
        let slots = Semaphore::new(config.max_concurrent as usize);
        Ok(Self {
            inner: Arc::new(Inner { engine, allocator, linker, cache, prepared: DashMap::new(), slots, config }),
        })
    }

    pub fn allocator(&self) -> Allocator {
        self.inner.allocator
    }
}

impl Inner {
    /// Compiles (or loads from the disk cache) and links a package. CPU-heavy: call off the async workers.
    /// Only a component that links is cached, so a rejected upload leaves nothing on disk.
    fn prepare_blocking(&self, code: &CodeRef, package: &[u8]) -> Result<HandlerPre<ExecutionState>, PrepareError> {
        if let Some(component) = self.cache.load(&self.engine, code) {
            return self.link(&component);
        }
        let bytes = package::wasm_bytes(package, code.entry.as_deref(), self.config.max_module_size)
            .map_err(PrepareError::Rejected)?;
        shape::check_is_component(&bytes).map_err(PrepareError::Rejected)?;
        let started = Instant::now();
        let component = Component::from_binary(&self.engine, &bytes)
            .map_err(|e| PrepareError::Rejected(format!("the component is not valid: {e:#}")))?;
        let pre = self.link(&component)?;
        tracing::info!(package = %code.package, elapsed = ?started.elapsed(), "compiled a package");
        if let Err(e) = self.cache.store(code, &component) {
            tracing::warn!(package = %code.package, error = %e, "cannot cache compiled artifact");
        }
        Ok(pre)
    }

    /// Loads a package compiled before (by an earlier process) from the disk cache only.
    fn load_cached_blocking(&self, code: &CodeRef) -> Option<Result<HandlerPre<ExecutionState>, PrepareError>> {
        let component = self.cache.load(&self.engine, code)?;
        tracing::info!(package = %code.package, "loaded a compiled package from the cache");
        Some(self.link(&component))
    }

    fn link(&self, component: &Component) -> Result<HandlerPre<ExecutionState>, PrepareError> {
        let instance_pre = self.linker.instantiate_pre(component).map_err(|e| {
            PrepareError::Rejected(format!("the component needs something this host does not provide: {e:#}"))
        })?;
        let pre = HandlerPre::new(instance_pre).map_err(|e| {
            PrepareError::Rejected(format!(
                "the component does not implement the qinling:function/handler world \
                 (it needs `handle: func(input: string) -> result<string, string>`; {e:#}); it exports {}",
                shape::describe_exports(&self.engine, component)
            ))
        })?;
        // Build the copy-on-write memory images now rather than in the first execution (cold start).
        component
            .initialize_copy_on_write_image()
            .map_err(|e| PrepareError::Internal(format!("cannot build the memory image: {e:#}")))?;
        Ok(pre)
    }

    /// A store for one instance, whose guest yields to the tokio scheduler at every epoch tick and traps
    /// once `deadline` has passed.
    fn store(&self, state: ExecutionState, deadline: Instant) -> Store<ExecutionState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
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

    /// Instantiates a freshly prepared component once and drops it, at upload: this checks that it can
    /// be instantiated (its start code runs, bounded by [`PRIME_TIMEOUT`]) and leaves a pool slot holding
    /// its memory image, so that the first execution costs what every later one does.
    async fn prime(&self, pre: &HandlerPre<ExecutionState>) -> Result<(), PrepareError> {
        let _slot =
            self.slots.acquire().await.map_err(|_| PrepareError::Internal("the wasm host is shutting down".into()))?;
        let log = LogSink::new(self.config.log_cap);
        let state = ExecutionState::new(&[], self.config.max_memory, &log);
        let mut store = self.store(state, Instant::now() + PRIME_TIMEOUT);
        match tokio::time::timeout(PRIME_TIMEOUT, pre.instantiate_async(&mut store)).await {
            Ok(Ok(_instance)) => Ok(()),
            Ok(Err(e)) => Err(PrepareError::Rejected(format!("the component fails when instantiated: {e}"))),
            Err(_) => Err(PrepareError::Rejected(format!(
                "the component did not finish instantiating within {} s",
                PRIME_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn run(&self, pre: HandlerPre<ExecutionState>, request: ExecutionRequest) -> ExecutionOutcome {
        let log = LogSink::new(self.config.log_cap);
        let timeout = request.limits.timeout;
        let started = Instant::now();
        let deadline_unix_ms = (SystemTime::now() + timeout).duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        let env = [
            ("QINLING_EXECUTION_ID", request.execution_id.to_string()),
            ("QINLING_FUNCTION_ID", request.function_id.to_string()),
            ("QINLING_FUNCTION_VERSION", request.function_version.to_string()),
            ("QINLING_DEADLINE_MS", deadline_unix_ms.to_string()),
        ];
        let state = ExecutionState::new(&env, request.limits.memory_size, &log);
        let mut store = self.store(state, started + timeout);

        // The epoch stops guests that compute; this timer stops guests that wait inside a host call.
        let call = async {
            let handler = pre.instantiate_async(&mut store).await?;
            handler.call_handle(&mut store, &request.input).await
        };
        let result = tokio::time::timeout(timeout, call).await;
        let duration = started.elapsed();

        let output = match result {
            Err(_) => Err(timed_out(timeout)),
            Ok(Ok(Ok(output))) if output.len() > self.config.output_cap => {
                Err(format!("output too large: {} bytes, the limit is {} bytes", output.len(), self.config.output_cap))
            }
            Ok(Ok(Ok(output))) => Ok(output),
            Ok(Ok(Err(message))) => Err(message),
            Ok(Err(error)) => Err(describe_trap(&error, store.data().memory.refused, &request, &log)),
        };
        ExecutionOutcome { output, duration, log: log.text() }
    }
}

fn timed_out(timeout: Duration) -> String {
    format!("timed out after {} s (the function's timeout)", timeout.as_secs_f64())
}

/// Turns a trap into a message the function's author can act on; the full error, with its wasm
/// backtrace, goes to the execution log.
fn describe_trap(
    error: &wasmtime::Error,
    memory_refused: Option<usize>,
    request: &ExecutionRequest,
    log: &LogSink,
) -> String {
    log.append_line(&format!("[qinling: {error:?}]"));
    let trap = error.downcast_ref::<Trap>();
    if trap == Some(&Trap::Interrupt) {
        return timed_out(request.limits.timeout);
    }
    if let Some(asked) = memory_refused {
        return format!(
            "memory limit exceeded: the function asked for {} MiB of linear memory, its memory_size is {} MiB",
            asked.div_ceil(1 << 20),
            request.limits.memory_size >> 20
        );
    }
    match trap {
        Some(Trap::StackOverflow) => "stack overflow: the function recursed too deeply".to_owned(),
        // Rust, C and C++ keep their stack in linear memory: overflowing it runs off the memory's start.
        Some(Trap::MemoryOutOfBounds) => {
            "the function trapped: out of bounds memory access (in Rust, C or C++ code this is how a stack \
             overflow from deep recursion shows up)"
                .to_owned()
        }
        Some(trap) => format!("the function trapped: {trap}"),
        None => format!("the function failed: {error}"),
    }
}

#[async_trait::async_trait]
impl Executor for WasmExecutor {
    async fn prepare(&self, code: &CodeRef, bytes: Bytes) -> Result<(), PrepareError> {
        if self.inner.prepared.contains_key(code) {
            return Ok(());
        }
        let inner = self.inner.clone();
        let owned = code.clone();
        // Compiling takes milliseconds to seconds of CPU: keep it off the async workers.
        let pre = tokio::task::spawn_blocking(move || inner.prepare_blocking(&owned, &bytes))
            .await
            .map_err(|e| PrepareError::Internal(format!("compilation task failed: {e}")))??;
        self.inner.prime(&pre).await?;
        self.inner.prepared.insert(code.clone(), pre);
        Ok(())
    }

    async fn execute(&self, request: ExecutionRequest) -> Result<ExecutionOutcome, ExecuteError> {
        let pre = match self.inner.prepared.get(&request.code) {
            Some(pre) => pre.clone(),
            None => {
                let inner = self.inner.clone();
                let code = request.code.clone();
                // Deserializing maps the artifact and links it: file IO, so off the async workers too.
                let loaded = tokio::task::spawn_blocking(move || inner.load_cached_blocking(&code))
                    .await
                    .map_err(|e| ExecuteError::Internal(format!("loading task failed: {e}")))?;
                match loaded {
                    Some(Ok(pre)) => self.inner.prepared.entry(request.code.clone()).or_insert(pre).clone(),
                    Some(Err(e)) => return Err(ExecuteError::Internal(e.to_string())),
                    None => return Err(ExecuteError::NotPrepared(request.code)),
                }
            }
        };
        let _slot = self
            .inner
            .slots
            .acquire()
            .await
            .map_err(|_| ExecuteError::Internal("the wasm host is shutting down".to_owned()))?;
        Ok(self.inner.run(pre, request).await)
    }

    async fn release(&self, package: &PackageDigest) {
        self.inner.prepared.retain(|code, _| &code.package != package);
        self.inner.cache.remove(package);
    }

    fn capacity(&self) -> Capacity {
        let total = u64::from(self.inner.config.max_concurrent);
        Capacity { total, available: self.inner.slots.available_permits() as u64 }
    }
}
