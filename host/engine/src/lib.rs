//! Qinling's engine: the rules of each resource and the life of an execution, over the store and the
//! executors.
//!
//! The engine decides *what* happens: which runtime a function may use, whether a package is acceptable
//! (by asking its executor to prepare it), what an execution runs and what came of it, when a job fires,
//! what may be deleted. Its background tasks ([`Engine::start_background`]) run the async queue and the
//! job scheduler. It reaches the Wasm host only through `Arc<dyn qinling_core::Executor>` and container
//! workers only through `Arc<dyn qinling_core::Orchestrator>`, and knows no HTTP.

mod aliases;
mod containers;
mod error;
mod executions;
mod functions;
mod http;
mod input;
mod jobs;
mod listed;
mod lookup;
mod metrics;
mod queue;
mod resolve;
mod resolved;
mod runtimes;
mod schedule;
mod validate;
mod versions;
mod webhooks;

pub use aliases::{AliasUpdate, NewAlias};
pub use containers::{Containers, Scale};
pub use error::EngineError;
pub use executions::NewExecution;
pub use functions::{CodeRequest, FunctionRequest, FunctionUpdate};
pub use http::HttpServed;
pub use jobs::{JobUpdate, NewJob};
pub use listed::Listed;
pub use queue::Background;
pub use webhooks::WebhookUpdate;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use dashmap::DashMap;
use qinling_core::{Executor, FunctionId, OperatorLimits};
use qinling_store::Store;
use tokio::sync::Semaphore;

use metrics::ExecutionMetrics;
use queue::Signals;
use resolved::Resolved;

/// Default largest package accepted at upload.
pub const DEFAULT_MAX_PACKAGE_SIZE: usize = 50 * 1024 * 1024;
/// Default most versions a function may have (Qinling's limit).
pub const DEFAULT_MAX_VERSIONS: i64 = 10;
/// Default most async executions waiting in the queue; beyond it, new ones are refused (HTTP 429).
pub const DEFAULT_QUEUE_CAPACITY: i64 = 10_000;
/// Default number of async executions run at once by this process.
pub const DEFAULT_ASYNC_WORKERS: usize = 16;
/// Default most executions of one function running at once on this server; more wait.
pub const DEFAULT_MAX_FUNCTION_CONCURRENCY: usize = 64;
/// Default most sync executions in the server at once (running or waiting); more get HTTP 429.
pub const DEFAULT_MAX_SYNC_IN_FLIGHT: usize = 1280;
/// Executions per page when a listing gives no limit.
pub const DEFAULT_EXECUTION_PAGE: usize = 1000;

/// The operator's settings the engine enforces.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    pub limits: OperatorLimits,
    pub max_package_size: usize,
    pub max_versions: i64,
    pub queue_capacity: i64,
    pub async_workers: usize,
    /// Most executions of one function running at once; more wait for a slot.
    pub max_function_concurrency: usize,
    /// Most sync executions in the server at once, running or waiting; more are refused (HTTP 429).
    pub max_sync_in_flight: usize,
    /// Accept 6-field cron patterns with a seconds field (for tests and demos; Qinling's are 5-field).
    pub job_seconds: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            limits: OperatorLimits::default(),
            max_package_size: DEFAULT_MAX_PACKAGE_SIZE,
            max_versions: DEFAULT_MAX_VERSIONS,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            async_workers: DEFAULT_ASYNC_WORKERS,
            max_function_concurrency: DEFAULT_MAX_FUNCTION_CONCURRENCY,
            max_sync_in_flight: DEFAULT_MAX_SYNC_IN_FLIGHT,
            job_seconds: false,
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    wasm: Arc<dyn Executor>,
    settings: EngineSettings,
    signals: Arc<Signals>,
    /// Each function's concurrency slots.
    running: Arc<DashMap<FunctionId, Arc<Semaphore>>>,
    /// Sync executions in the server, running or waiting.
    admitted: Arc<AtomicUsize>,
    /// The container orchestrator, when the server has one.
    containers: Option<Containers>,
    /// Finished executions, for `/metrics`.
    metrics: Arc<ExecutionMetrics>,
    /// Functions and runtimes as executions resolve them, when this process is the database's only writer.
    resolved: Arc<Resolved>,
}

impl Engine {
    pub fn new(store: Store, wasm: Arc<dyn Executor>, settings: EngineSettings) -> Self {
        Self {
            resolved: Arc::new(Resolved::new(!store.is_shared())),
            store,
            wasm,
            settings,
            signals: Signals::new(),
            running: Arc::new(DashMap::new()),
            admitted: Arc::new(AtomicUsize::new(0)),
            containers: None,
            metrics: Arc::default(),
        }
    }

    /// Runs container runtimes and image functions on `containers`.
    pub fn with_containers(mut self, containers: Containers) -> Self {
        self.containers = Some(containers);
        self
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }
}
