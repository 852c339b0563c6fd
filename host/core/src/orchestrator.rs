//! What the engine asks of a container orchestrator (the container bridge): pools of workers per container
//! runtime, workers given to a function (version) with its code loaded, executions on them, scaling. The
//! engine sees it only as `Arc<dyn Orchestrator>`; the backends (Docker/Podman, Kubernetes) live in
//! `container-bridge/`.

use crate::{Capacity, ExecuteError, ExecutionId, ExecutionOutcome, FunctionId, Limits, PackageDigest, RuntimeId};

/// The workers of one function at one version (0: its latest code) are one set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WorkerKey {
    pub function_id: FunctionId,
    pub version: i64,
}

/// Where a worker fetches a package from: a URL on the platform's API and a short-lived token for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageDownload {
    pub url: String,
    pub token: String,
}

/// Where a function's workers come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A package function: workers are taken from the runtime's pool and load the package.
    Pool {
        runtime_id: RuntimeId,
        package: PackageDigest,
        /// What in the package to call (Qinling's `main.main`); the worker's default when `None`.
        entry: Option<String>,
        download: PackageDownload,
    },
    /// An image function: workers run the function's own image, which serves the worker protocol.
    Image { image: String },
}

/// One execution on a container worker.
#[derive(Clone, Debug)]
pub struct ContainerExecution {
    pub execution_id: ExecutionId,
    pub key: WorkerKey,
    pub placement: Placement,
    /// The input as JSON text.
    pub input: String,
    pub limits: Limits,
}

/// One worker a function holds, as reported by `GET /v1/functions/{id}/workers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerInfo {
    pub name: String,
    pub version: i64,
}

/// Why the orchestrator could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// The request cannot be carried out as asked; the message says why (a client error).
    #[error("{0}")]
    Invalid(String),
    /// The container platform failed or is unreachable.
    #[error("{0}")]
    Backend(String),
}

/// A container platform behind the runtime/function/execution API.
#[async_trait::async_trait]
pub trait Orchestrator: Send + Sync + 'static {
    /// Checks that a package can be loaded by a worker (a safe zip archive), before it is stored.
    fn check_package(&self, package: &[u8]) -> Result<(), String>;

    /// Makes the runtime's pool of idle workers exist with `image` and waits until it is ready (or fails).
    /// Idempotent: calling it again for a pool that exists reconciles it.
    async fn ensure_pool(&self, runtime: RuntimeId, image: &str) -> Result<(), OrchestratorError>;

    /// Deletes a runtime's pool and every worker taken from it.
    async fn delete_pool(&self, runtime: RuntimeId) -> Result<(), OrchestratorError>;

    /// The size of a runtime's pool and how many of its workers are idle and ready.
    async fn pool_capacity(&self, runtime: RuntimeId) -> Result<Capacity, OrchestratorError>;

    /// Runs one execution on a worker of its function, taking one (from the pool, or starting the image)
    /// when the function holds none.
    async fn execute(&self, execution: ContainerExecution) -> Result<ExecutionOutcome, ExecuteError>;

    /// Gives a function `count` more workers (an image function's run with `limits`).
    async fn scale_up(
        &self,
        key: WorkerKey,
        placement: &Placement,
        limits: Limits,
        count: usize,
    ) -> Result<(), OrchestratorError>;

    /// Takes up to `count` workers from a function, keeping at least one.
    async fn scale_down(&self, key: WorkerKey, count: usize) -> Result<(), OrchestratorError>;

    /// Removes the workers a function holds at `version`, or at every version when `None`.
    async fn detach(&self, function: FunctionId, version: Option<i64>) -> Result<(), OrchestratorError>;

    /// The workers a function holds, at every version.
    async fn workers(&self, function: FunctionId) -> Result<Vec<WorkerInfo>, OrchestratorError>;
}
