//! Settings of the Wasm host, with their defaults.

use std::path::PathBuf;
use std::time::Duration;

/// Default number of executions that may run at once; also the size of the instance pool.
pub const DEFAULT_MAX_CONCURRENT: u32 = 256;
/// Default cap on one execution's log (stdout and stderr together); the rest is cut and the cut marked.
pub const DEFAULT_LOG_CAP: usize = 256 * 1024;
/// Default cap on one execution's output; a larger output fails the execution.
pub const DEFAULT_OUTPUT_CAP: usize = 4 * 1024 * 1024;
/// Default largest response body a function may read from an outbound HTTP request.
pub const DEFAULT_HTTP_RESPONSE_CAP: usize = 10 * 1024 * 1024;
/// Default largest WebAssembly file unpacked from a zip package.
pub const DEFAULT_MAX_MODULE_SIZE: u64 = 256 * 1024 * 1024;
/// Default largest linear memory any function may ask for (the operator's `max_memory_size`).
pub const DEFAULT_MAX_MEMORY: u64 = 512 * 1024 * 1024;
/// How often the epoch advances: the resolution of timeouts, and how long a guest runs between yields.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Linear memory kept mapped in a pool slot between instances: the measured sweet spot (DESIGN.md §4).
pub const DEFAULT_MEMORY_KEEP_RESIDENT: usize = 4 * 1024 * 1024;
/// Default budget of compiled code kept loaded in memory (the sum of compiled image sizes); past it, the
/// least recently used functions are dropped and loaded again from the disk cache when next run.
pub const DEFAULT_MAX_LOADED_CODE: u64 = 128 * 1024 * 1024;
/// Table memory kept mapped in a pool slot between instances.
pub const DEFAULT_TABLE_KEEP_RESIDENT: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct WasmConfig {
    /// Where compiled artifacts are cached, keyed by package digest and engine settings.
    pub cache_dir: PathBuf,
    pub max_concurrent: u32,
    /// Executions that may wait for a busy pool before more are refused as overload.
    pub max_waiting: u32,
    pub max_memory: u64,
    /// Largest WebAssembly file unpacked from a zip package (a bound on zip bombs).
    pub max_module_size: u64,
    pub log_cap: usize,
    pub output_cap: usize,
    /// Largest response body a function may read from an outbound HTTP request.
    pub http_response_cap: usize,
    pub memory_keep_resident: usize,
    pub table_keep_resident: usize,
    /// Compiled code kept loaded in memory, in bytes of compiled images; see [`DEFAULT_MAX_LOADED_CODE`].
    pub max_loaded_code: u64,
    /// Use the pooling allocator when the machine allows it (the fallback is on-demand allocation).
    pub pooling: bool,
}

impl WasmConfig {
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            max_waiting: DEFAULT_MAX_CONCURRENT * 4,
            max_memory: DEFAULT_MAX_MEMORY,
            max_module_size: DEFAULT_MAX_MODULE_SIZE,
            log_cap: DEFAULT_LOG_CAP,
            output_cap: DEFAULT_OUTPUT_CAP,
            http_response_cap: DEFAULT_HTTP_RESPONSE_CAP,
            memory_keep_resident: DEFAULT_MEMORY_KEEP_RESIDENT,
            table_keep_resident: DEFAULT_TABLE_KEEP_RESIDENT,
            max_loaded_code: DEFAULT_MAX_LOADED_CODE,
            pooling: true,
        }
    }
}
