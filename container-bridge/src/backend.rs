//! What a container platform must do for the bridge: keep each runtime's pool of idle workers filled,
//! hand one over to a function, run an image function's own workers, remove workers, and say after a
//! restart which workers functions hold. The bridge ([`crate::Bridge`]) does everything else (loading
//! code, executing, scaling, idle expiry) the same way on every platform.

use qinling_core::{Limits, RuntimeId, WorkerKey};

/// One worker: a container or pod serving the worker protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worker {
    /// The container's or pod's name, shown as `worker_name`.
    pub name: String,
    /// Where the worker protocol is served: `http://host:port`.
    pub address: String,
    /// The platform's version of the worker's record when it was listed (Kubernetes' resourceVersion),
    /// so that taking it is refused if someone else changed it since.
    pub revision: Option<String>,
}

/// A runtime's pool as the platform sees it now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolState {
    /// How many workers the pool keeps.
    pub size: usize,
    /// Idle workers that are ready to be taken.
    pub idle: Vec<Worker>,
    /// Why the pool cannot fill, when the platform says so (image not found, crash loop).
    pub problem: Option<String>,
}

/// Why the platform did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The request itself is wrong (an image that does not exist, a malformed name): the user must act.
    #[error("{0}")]
    Invalid(String),
    /// The platform failed, or did not become ready in time.
    #[error("{0}")]
    Failed(String),
}

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Creates or reconciles a runtime's pool of `size` idle workers of `image`, and returns once they are
    /// ready, or with the reason they cannot be.
    async fn ensure_pool(&self, runtime: RuntimeId, image: &str, size: usize) -> Result<(), BackendError>;

    /// The runtime's pool now.
    async fn pool(&self, runtime: RuntimeId) -> Result<PoolState, BackendError>;

    /// Takes `worker` out of the runtime's pool for `key`; `false` if it was taken by someone else first.
    /// The platform refills the pool.
    async fn take(&self, runtime: RuntimeId, worker: &Worker, key: WorkerKey) -> Result<bool, BackendError>;

    /// Makes an image function run at least `replicas` workers of `image` with `limits`, and returns the
    /// ready ones once there are that many, or with the reason there cannot be.
    async fn scale_image(
        &self,
        key: WorkerKey,
        image: &str,
        limits: Limits,
        replicas: usize,
    ) -> Result<Vec<Worker>, BackendError>;

    /// Shrinks an image function to `replicas` workers, removing `going` (0: removes the function's
    /// workers altogether).
    async fn shrink_image(&self, key: WorkerKey, going: &[Worker], replicas: usize) -> Result<(), BackendError>;

    /// Removes one worker a function took from a pool.
    async fn remove(&self, worker: &Worker) -> Result<(), BackendError>;

    /// Removes a runtime's pool and every worker taken from it.
    async fn delete_pool(&self, runtime: RuntimeId) -> Result<(), BackendError>;

    /// The workers functions hold now (after a restart, so that functions keep their warm workers).
    async fn held(&self) -> Result<Vec<HeldWorker>, BackendError>;
}

/// Where a function's workers came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Taken from this runtime's pool.
    Pool(RuntimeId),
    /// The function's own image.
    Image,
}

/// A worker a function holds, as found on the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldWorker {
    pub key: WorkerKey,
    pub worker: Worker,
    pub origin: Origin,
}
