//! The bridge: qinling-core's `Orchestrator` on any [`Backend`]. A function (version) holds a set of
//! workers; its first execution takes one from its runtime's pool and has it load the package (or, for an
//! image function, starts the image); later executions go round-robin over the set. Scaling adds or
//! removes workers, detaching drops them all, and workers idle for the configured time are removed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use qinling_core::{
    Capacity, ContainerExecution, ExecuteError, ExecutionOutcome, FunctionId, Limits, Orchestrator, OrchestratorError,
    Placement, RuntimeId, WorkerInfo, WorkerKey,
};

use crate::backend::{Backend, BackendError, HeldWorker, Origin, Worker};
use crate::package;
use crate::protocol::{WorkerClient, WorkerError};

/// Default number of idle workers each container runtime's pool keeps.
pub const DEFAULT_POOL_SIZE: usize = 2;
/// Default time a function's worker may stay unused before it is removed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// How long an execution waits for its runtime's pool to have an idle worker.
pub const DEFAULT_TAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the pool is looked at while waiting for an idle worker.
const TAKE_POLL: Duration = Duration::from_millis(100);

#[derive(Clone, Debug)]
pub struct BridgeConfig {
    pub pool_size: usize,
    pub idle_timeout: Duration,
    pub take_timeout: Duration,
    /// Most bytes a package may unpack to.
    pub max_unpacked: u64,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            pool_size: DEFAULT_POOL_SIZE,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            take_timeout: DEFAULT_TAKE_TIMEOUT,
            max_unpacked: package::MAX_UNPACKED,
        }
    }
}

/// A worker in a function's set, with what idle expiry needs to know.
struct Member {
    worker: Worker,
    last_used: Mutex<Instant>,
    busy: AtomicUsize,
}

/// The workers of one function (version).
#[derive(Default)]
struct WorkerSet {
    /// Held while the set grows or shrinks, so that concurrent first executions take one worker, not many.
    changing: tokio::sync::Mutex<()>,
    members: Mutex<Vec<Arc<Member>>>,
    next: AtomicUsize,
    /// Where the workers came from, once the set has had any.
    origin: Mutex<Option<Origin>>,
}

impl WorkerSet {
    /// The next worker, round-robin, marked busy until the returned guard is dropped.
    fn pick(&self) -> Option<Busy> {
        let members = self.members.lock().expect("worker set lock");
        if members.is_empty() {
            return None;
        }
        let member = members[self.next.fetch_add(1, Ordering::Relaxed) % members.len()].clone();
        Some(Busy::new(member))
    }

    fn len(&self) -> usize {
        self.members.lock().expect("worker set lock").len()
    }

    fn add(&self, worker: Worker) {
        let member = Member { worker, last_used: Mutex::new(Instant::now()), busy: AtomicUsize::new(0) };
        self.members.lock().expect("worker set lock").push(Arc::new(member));
    }

    fn forget(&self, name: &str) {
        self.members.lock().expect("worker set lock").retain(|member| member.worker.name != name);
    }

    fn origin(&self) -> Option<Origin> {
        *self.origin.lock().expect("worker set lock")
    }

    fn set_origin(&self, origin: Origin) {
        *self.origin.lock().expect("worker set lock") = Some(origin);
    }

    fn workers(&self) -> Vec<Worker> {
        self.members.lock().expect("worker set lock").iter().map(|member| member.worker.clone()).collect()
    }

    /// Takes out up to `count` workers that are not running anything, least recently used first, keeping
    /// at least `keep`; with `idle_for`, only those unused that long.
    fn take_out(&self, count: usize, keep: usize, idle_for: Option<Duration>) -> Vec<Worker> {
        let mut members = self.members.lock().expect("worker set lock");
        let mut candidates: Vec<(Instant, String)> = members
            .iter()
            .filter(|member| member.busy.load(Ordering::Relaxed) == 0)
            .map(|member| (*member.last_used.lock().expect("member lock"), member.worker.name.clone()))
            .filter(|(last_used, _)| idle_for.is_none_or(|idle| last_used.elapsed() >= idle))
            .collect();
        candidates.sort();
        let removable = members.len().saturating_sub(keep).min(count);
        let chosen: Vec<String> = candidates.into_iter().take(removable).map(|(_, name)| name).collect();
        let mut taken = Vec::new();
        members.retain(|member| {
            let goes = chosen.contains(&member.worker.name);
            if goes {
                taken.push(member.worker.clone());
            }
            !goes
        });
        taken
    }
}

/// A worker in use by one execution.
struct Busy(Arc<Member>);

impl Busy {
    fn new(member: Arc<Member>) -> Self {
        member.busy.fetch_add(1, Ordering::Relaxed);
        Self(member)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.last_used.lock().expect("member lock") = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a function could not get a worker.
enum AcquireError {
    /// The function's package or image is at fault (it does not load): the execution fails.
    Function(String),
    /// No idle worker in time: try again later.
    Overloaded(String),
    Platform(String),
}

impl From<BackendError> for AcquireError {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Invalid(message) => Self::Function(message),
            BackendError::Failed(message) => Self::Platform(message),
        }
    }
}

pub struct Bridge {
    backend: Arc<dyn Backend>,
    client: WorkerClient,
    config: BridgeConfig,
    sets: DashMap<WorkerKey, Arc<WorkerSet>>,
}

impl Bridge {
    pub fn new(backend: Arc<dyn Backend>, config: BridgeConfig) -> Self {
        Self { backend, client: WorkerClient::new(), config, sets: DashMap::new() }
    }

    /// Adopts the workers functions held before a restart, so they stay warm.
    pub async fn recover(&self) -> Result<usize, OrchestratorError> {
        let held = self.backend.held().await.map_err(backend_error)?;
        let count = held.len();
        for HeldWorker { key, worker, origin } in held {
            let set = self.set(key);
            set.set_origin(origin);
            set.add(worker);
        }
        Ok(count)
    }

    /// Removes workers unused for the configured idle time, every so often, until the bridge is dropped.
    pub fn start_idle_expiry(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let bridge = Arc::downgrade(self);
        let every = (self.config.idle_timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(bridge) = bridge.upgrade() else { return };
                bridge.expire_idle().await;
            }
        })
    }

    async fn expire_idle(&self) {
        let sets: Vec<(WorkerKey, Arc<WorkerSet>)> =
            self.sets.iter().map(|entry| (*entry.key(), entry.value().clone())).collect();
        for (key, set) in sets {
            let _changing = set.changing.lock().await;
            let expired = set.take_out(usize::MAX, 0, Some(self.config.idle_timeout));
            if !expired.is_empty() {
                tracing::info!(function = %key.function_id, version = key.version, count = expired.len(), "idle workers expire");
                self.release(&set, key, expired).await;
            }
        }
    }

    fn set(&self, key: WorkerKey) -> Arc<WorkerSet> {
        self.sets.entry(key).or_default().clone()
    }

    /// Gives `set` `count` more workers for `placement`.
    async fn grow(
        &self,
        set: &WorkerSet,
        key: WorkerKey,
        placement: &Placement,
        limits: Limits,
        count: usize,
    ) -> Result<(), AcquireError> {
        match placement {
            Placement::Image { image } => {
                set.set_origin(Origin::Image);
                let workers = self.backend.scale_image(key, image, limits, set.len() + count).await?;
                let known: Vec<String> = set.workers().into_iter().map(|worker| worker.name).collect();
                for worker in workers.into_iter().filter(|worker| !known.contains(&worker.name)) {
                    set.add(worker);
                }
                Ok(())
            }
            Placement::Pool { runtime_id, entry, download, .. } => {
                set.set_origin(Origin::Pool(*runtime_id));
                for _ in 0..count {
                    let worker = self.take_from_pool(*runtime_id, key).await?;
                    match self.client.load(&worker.address, key, entry.as_deref(), download).await {
                        Ok(()) => set.add(worker),
                        Err(e) => {
                            self.remove_quietly(&worker).await;
                            return Err(match e {
                                WorkerError::Refused { message, .. } => {
                                    AcquireError::Function(format!("the package does not load: {message}"))
                                }
                                WorkerError::Broken(message) => {
                                    AcquireError::Platform(format!("worker {} failed to load: {message}", worker.name))
                                }
                            });
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Takes an idle worker from a runtime's pool, waiting for the pool to refill if it is empty.
    async fn take_from_pool(&self, runtime: RuntimeId, key: WorkerKey) -> Result<Worker, AcquireError> {
        let deadline = Instant::now() + self.config.take_timeout;
        loop {
            let pool = self.backend.pool(runtime).await?;
            for worker in &pool.idle {
                if self.backend.take(runtime, worker, key).await? {
                    return Ok(worker.clone());
                }
            }
            if let Some(problem) = pool.problem {
                return Err(AcquireError::Platform(format!("the pool of runtime {runtime} cannot fill: {problem}")));
            }
            if Instant::now() >= deadline {
                return Err(AcquireError::Overloaded(format!(
                    "the pool of runtime {runtime} has had no idle worker for {} s; retry later or enlarge the pool",
                    self.config.take_timeout.as_secs()
                )));
            }
            tokio::time::sleep(TAKE_POLL).await;
        }
    }

    /// Lets go of workers taken out of `set`: pool workers are removed, an image function shrinks to
    /// what the set still holds.
    async fn release(&self, set: &WorkerSet, key: WorkerKey, workers: Vec<Worker>) {
        match set.origin() {
            Some(Origin::Image) => {
                if let Err(e) = self.backend.shrink_image(key, &workers, set.len()).await {
                    tracing::warn!(function = %key.function_id, error = %e, "cannot shrink the image function");
                }
            }
            Some(Origin::Pool(_)) | None => {
                for worker in workers {
                    self.remove_quietly(&worker).await;
                }
            }
        }
    }

    async fn remove_quietly(&self, worker: &Worker) {
        if let Err(e) = self.backend.remove(worker).await {
            tracing::warn!(worker = worker.name, error = %e, "cannot remove a worker");
        }
    }

    /// A worker of the execution's function, taking the first one if it holds none.
    async fn worker_for(&self, execution: &ContainerExecution) -> Result<(Arc<WorkerSet>, Busy), AcquireError> {
        let set = self.set(execution.key);
        if let Some(busy) = set.pick() {
            return Ok((set, busy));
        }
        {
            let _changing = set.changing.lock().await;
            if set.len() == 0 {
                self.grow(&set, execution.key, &execution.placement, execution.limits, 1).await?;
            }
        }
        let busy = set.pick().ok_or_else(|| AcquireError::Platform("the function's workers went away".into()))?;
        Ok((set, busy))
    }
}

#[async_trait::async_trait]
impl Orchestrator for Bridge {
    fn check_package(&self, package: &[u8]) -> Result<(), String> {
        package::check(package, self.config.max_unpacked)
    }

    async fn ensure_pool(&self, runtime: RuntimeId, image: &str) -> Result<(), OrchestratorError> {
        self.backend.ensure_pool(runtime, image, self.config.pool_size).await.map_err(backend_error)
    }

    async fn delete_pool(&self, runtime: RuntimeId) -> Result<(), OrchestratorError> {
        self.sets.retain(|_, set| set.origin() != Some(Origin::Pool(runtime)));
        self.backend.delete_pool(runtime).await.map_err(backend_error)
    }

    async fn pool_capacity(&self, runtime: RuntimeId) -> Result<Capacity, OrchestratorError> {
        let pool = self.backend.pool(runtime).await.map_err(backend_error)?;
        Ok(Capacity { total: pool.size as u64, available: pool.idle.len() as u64 })
    }

    async fn execute(&self, execution: ContainerExecution) -> Result<ExecutionOutcome, ExecuteError> {
        let (set, busy) = match self.worker_for(&execution).await {
            Ok(found) => found,
            Err(AcquireError::Function(message)) => {
                return Ok(ExecutionOutcome { output: Err(message), duration: Duration::ZERO, log: String::new() });
            }
            Err(AcquireError::Overloaded(message)) => return Err(ExecuteError::Overloaded(message)),
            Err(AcquireError::Platform(message)) => return Err(ExecuteError::Internal(message)),
        };
        let worker = busy.0.worker.clone();
        match self.client.execute(&worker.address, &execution).await {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                // A worker that cannot answer is of no more use: the next execution gets another.
                drop(busy);
                set.forget(&worker.name);
                self.release(&set, execution.key, vec![worker.clone()]).await;
                Err(ExecuteError::Internal(format!("worker {} failed: {e}", worker.name)))
            }
        }
    }

    async fn scale_up(
        &self,
        key: WorkerKey,
        placement: &Placement,
        limits: Limits,
        count: usize,
    ) -> Result<(), OrchestratorError> {
        let set = self.set(key);
        let _changing = set.changing.lock().await;
        self.grow(&set, key, placement, limits, count).await.map_err(|e| match e {
            AcquireError::Function(message) => OrchestratorError::Invalid(message),
            AcquireError::Overloaded(message) | AcquireError::Platform(message) => OrchestratorError::Backend(message),
        })
    }

    async fn scale_down(&self, key: WorkerKey, count: usize) -> Result<(), OrchestratorError> {
        let Some(set) = self.sets.get(&key).map(|entry| entry.value().clone()) else { return Ok(()) };
        let _changing = set.changing.lock().await;
        let taken = set.take_out(count, 1, None);
        self.release(&set, key, taken).await;
        Ok(())
    }

    async fn detach(&self, function: FunctionId, version: Option<i64>) -> Result<(), OrchestratorError> {
        let keys: Vec<WorkerKey> = self
            .sets
            .iter()
            .map(|entry| *entry.key())
            .filter(|key| key.function_id == function && version.is_none_or(|version| key.version == version))
            .collect();
        for key in keys {
            let Some((_, set)) = self.sets.remove(&key) else { continue };
            let _changing = set.changing.lock().await;
            let all = set.take_out(usize::MAX, 0, None);
            let busy = set.workers();
            self.release(&set, key, all.into_iter().chain(busy).collect()).await;
        }
        Ok(())
    }

    async fn workers(&self, function: FunctionId) -> Result<Vec<WorkerInfo>, OrchestratorError> {
        let mut workers: Vec<WorkerInfo> = self
            .sets
            .iter()
            .filter(|entry| entry.key().function_id == function)
            .flat_map(|entry| {
                let version = entry.key().version;
                entry.value().workers().into_iter().map(move |worker| WorkerInfo { name: worker.name, version })
            })
            .collect();
        workers.sort_by(|a, b| (a.version, &a.name).cmp(&(b.version, &b.name)));
        Ok(workers)
    }
}

fn backend_error(error: BackendError) -> OrchestratorError {
    match error {
        BackendError::Invalid(message) => OrchestratorError::Invalid(message),
        BackendError::Failed(message) => OrchestratorError::Backend(message),
    }
}
