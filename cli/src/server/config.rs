//! Server settings: [`ServerArgs`] as given (flags or `QINLING_*` environment variables), then
//! [`Resolved`], with paths derived, the store opened and the Wasm host built. Container settings are in
//! `containers.rs`, authentication settings in `auth.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use qinling_core::OperatorLimits;
use qinling_engine::{
    DEFAULT_ASYNC_WORKERS, DEFAULT_MAX_FUNCTION_CONCURRENCY, DEFAULT_MAX_PACKAGE_SIZE, DEFAULT_MAX_VERSIONS,
    DEFAULT_QUEUE_CAPACITY, EngineSettings,
};
use qinling_store::{PackageStore, Store};
use qinling_wasm::{WasmConfig, WasmExecutor};

use super::auth::AuthArgs;
use super::containers::ContainerArgs;

#[derive(Args, Debug)]
pub(crate) struct ServerArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "QINLING_LISTEN", default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    /// Directory for the embedded database, packages and compiled artifacts.
    #[arg(long, env = "QINLING_DATA_DIR", default_value = "qinling-data")]
    data_dir: PathBuf,
    /// Database URL; defaults to SQLite in the data directory.
    #[arg(long, env = "QINLING_DATABASE_URL")]
    database_url: Option<String>,
    /// Where packages are kept: `file:///dir` or `s3://bucket[/prefix][?endpoint=...&region=...]` (S3
    /// credentials from the `AWS_*` environment); defaults to `packages/` in the data directory.
    #[arg(long, env = "QINLING_PACKAGE_STORE")]
    package_store: Option<String>,
    /// Largest package accepted at upload, in bytes.
    #[arg(long, env = "QINLING_MAX_PACKAGE_SIZE", default_value_t = DEFAULT_MAX_PACKAGE_SIZE)]
    max_package_size: usize,
    /// Executions that may run at once (the size of the Wasm instance pool); more wait for a slot.
    #[arg(long, env = "QINLING_MAX_CONCURRENT", default_value_t = qinling_wasm::DEFAULT_MAX_CONCURRENT)]
    max_concurrent: u32,
    /// Longest timeout a function may set, in seconds.
    #[arg(long, env = "QINLING_MAX_TIMEOUT", default_value_t = OperatorLimits::default().max_timeout_secs)]
    max_timeout: u64,
    /// Largest memory_size a function may set, in bytes.
    #[arg(long, env = "QINLING_MAX_MEMORY", default_value_t = OperatorLimits::default().max_memory_size)]
    max_memory: u64,
    /// Most versions one function may have.
    #[arg(long, env = "QINLING_MAX_VERSIONS", default_value_t = DEFAULT_MAX_VERSIONS)]
    max_versions: i64,
    /// Most async executions waiting in the queue; more are refused with HTTP 429.
    #[arg(long, env = "QINLING_QUEUE_CAPACITY", default_value_t = DEFAULT_QUEUE_CAPACITY)]
    queue_capacity: i64,
    /// Async executions this server runs at once.
    #[arg(long, env = "QINLING_ASYNC_WORKERS", default_value_t = DEFAULT_ASYNC_WORKERS)]
    async_workers: usize,
    /// Most executions of one function running at once; more wait for one to finish.
    #[arg(long, env = "QINLING_MAX_FUNCTION_CONCURRENCY", default_value_t = DEFAULT_MAX_FUNCTION_CONCURRENCY)]
    max_function_concurrency: usize,
    /// Executions that may wait for a busy instance pool, and sync executions that may wait in the server
    /// beyond those running; more get HTTP 429 with Retry-After (default: 4 per pool slot).
    #[arg(long, env = "QINLING_MAX_WAITING")]
    max_waiting: Option<u32>,
    /// Accept 6-field job patterns with a leading seconds field (Qinling's are 5-field, per minute).
    #[arg(long, env = "QINLING_JOB_SECONDS", default_value_t = false, action = clap::ArgAction::Set)]
    job_seconds: bool,
    /// Largest response body a function may read from an outbound HTTP request, in bytes.
    #[arg(long, env = "QINLING_MAX_HTTP_RESPONSE", default_value_t = qinling_wasm::DEFAULT_HTTP_RESPONSE_CAP)]
    max_http_response: usize,
    /// Bytes of each pool slot's linear memory kept mapped between instances (large interpreted guests,
    /// such as Python, run faster with more).
    #[arg(long, env = "QINLING_WASM_MEMORY_KEEP_RESIDENT", default_value_t = qinling_wasm::DEFAULT_MEMORY_KEEP_RESIDENT)]
    wasm_memory_keep_resident: usize,
    /// Bytes of compiled code kept loaded in memory (the sum of compiled image sizes); past it, the least
    /// recently run functions are dropped and loaded again from the disk cache (about a millisecond) when
    /// next run.
    #[arg(long, env = "QINLING_WASM_MAX_LOADED_CODE", default_value_t = qinling_wasm::DEFAULT_MAX_LOADED_CODE)]
    wasm_max_loaded_code: u64,
    /// Use wasmtime's pooling allocator when the machine allows it (on-demand allocation otherwise).
    #[arg(long, env = "QINLING_WASM_POOLING", default_value_t = true, action = clap::ArgAction::Set)]
    wasm_pooling: bool,
    #[command(flatten)]
    containers: ContainerArgs,
    #[command(flatten)]
    auth: Box<AuthArgs>,
}

/// Everything the server runs with, opened and built.
pub(crate) struct Resolved {
    pub(crate) listen: SocketAddr,
    pub(crate) data_dir: PathBuf,
    pub(crate) store: Store,
    pub(crate) wasm: WasmExecutor,
    pub(crate) engine_settings: EngineSettings,
    pub(crate) containers: ContainerArgs,
    pub(crate) auth: Box<AuthArgs>,
}

impl Resolved {
    pub(crate) async fn from_args(args: ServerArgs) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&args.data_dir)
            .with_context(|| format!("creating the data directory {}", args.data_dir.display()))?;
        let database_url =
            args.database_url.unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("qinling.db").display()));
        let packages = match &args.package_store {
            Some(url) => PackageStore::open(url)?,
            None => PackageStore::local(&args.data_dir.join("packages"))?,
        };
        let where_packages = args.package_store.as_deref().unwrap_or("the data directory");
        packages.check_writable().await.with_context(|| format!("writing to the package store {where_packages}"))?;
        let store = Store::open(&database_url, packages)
            .await
            .with_context(|| format!("opening the store at {database_url}"))?;

        let limits = OperatorLimits {
            max_timeout_secs: args.max_timeout,
            max_memory_size: args.max_memory,
            ..Default::default()
        };
        anyhow::ensure!(
            limits.max_memory_size >= limits.default_memory_size,
            "--max-memory must be at least the default memory_size ({} bytes)",
            limits.default_memory_size
        );
        let max_waiting = args.max_waiting.unwrap_or(args.max_concurrent.saturating_mul(4));
        let wasm = WasmExecutor::new(WasmConfig {
            max_concurrent: args.max_concurrent,
            max_waiting,
            max_memory: limits.max_memory_size,
            pooling: args.wasm_pooling,
            memory_keep_resident: args.wasm_memory_keep_resident,
            max_loaded_code: args.wasm_max_loaded_code,
            http_response_cap: args.max_http_response,
            ..WasmConfig::new(args.data_dir.join("compiled"))
        })?;
        Ok(Self {
            listen: args.listen,
            data_dir: args.data_dir,
            store,
            wasm,
            engine_settings: EngineSettings {
                limits,
                max_package_size: args.max_package_size,
                max_versions: args.max_versions,
                queue_capacity: args.queue_capacity,
                async_workers: args.async_workers,
                max_function_concurrency: args.max_function_concurrency,
                max_sync_in_flight: (args.max_concurrent as usize).saturating_add(max_waiting as usize),
                job_seconds: args.job_seconds,
            },
            containers: args.containers,
            auth: args.auth,
        })
    }
}
