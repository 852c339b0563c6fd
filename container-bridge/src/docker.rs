//! The Docker Engine API backend, for Docker or Podman's compatible service on one machine. Workers are
//! containers publishing the worker port on 127.0.0.1 only, with memory, CPU and process limits, no
//! capabilities and a read-only root filesystem. The engine has no controller to refill pools, so this
//! backend refills them itself after each take. Which pool worker a function holds is kept in memory and,
//! after a restart, read back from each worker's `/health` (the function it loaded); image functions'
//! containers carry their function in labels.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use dashmap::DashMap;
use futures::StreamExt;
use qinling_core::{Limits, RuntimeId, WorkerKey};

use crate::backend::{Backend, BackendError, HeldWorker, Origin, PoolState, Worker};
use crate::protocol::{WORKER_PORT, WorkerClient};

/// Memory a pool worker may use by default (the function's own limit is applied per execution).
pub const DEFAULT_WORKER_MEMORY: u64 = 512 * 1024 * 1024;
/// CPU a pool worker may use by default, in millicpu.
pub const DEFAULT_WORKER_CPU: u32 = 1000;
/// What an image function's container may use on top of the function's `memory_size`: the worker
/// process itself.
pub const IMAGE_WORKER_OVERHEAD: u64 = 64 * 1024 * 1024;
/// Most processes in one worker container (each execution is a forked process).
const PIDS_LIMIT: i64 = 512;
/// How long a new worker may take to answer its health check.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long pulling a missing image may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(300);

const LABEL_SCOPE: &str = "qinling.scope";
const LABEL_ROLE: &str = "qinling.role";
const LABEL_RUNTIME: &str = "qinling.runtime";
const LABEL_FUNCTION: &str = "qinling.function";
const LABEL_VERSION: &str = "qinling.version";

#[derive(Clone, Debug)]
pub struct DockerConfig {
    /// Where the engine's API is: `unix:///run/podman/podman.sock`, a socket path, or `tcp://host:port`.
    pub host: String,
    /// Labels and names this server's containers with, so that several installations can share one engine.
    pub scope: String,
    pub worker_memory: u64,
    /// Millicpu.
    pub worker_cpu: u32,
}

/// What a container is to this backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Idle(RuntimeId),
    Taken(RuntimeId, WorkerKey),
    Image(WorkerKey),
}

#[derive(Clone, Debug)]
struct Member {
    worker: Worker,
    role: Role,
    image: String,
}

#[derive(Clone, Debug)]
struct Pool {
    image: String,
    size: usize,
    problem: Option<String>,
}

pub struct DockerBackend {
    inner: Arc<Inner>,
}

struct Inner {
    docker: Docker,
    config: DockerConfig,
    client: WorkerClient,
    /// Every container of this scope, by name.
    members: DashMap<String, Member>,
    pools: DashMap<RuntimeId, Pool>,
    /// One filler per pool at a time.
    filling: DashMap<RuntimeId, Arc<tokio::sync::Mutex<()>>>,
}

impl DockerBackend {
    pub fn connect(config: DockerConfig) -> Result<Self, BackendError> {
        let host = config.host.as_str();
        let docker = if let Some(address) = host.strip_prefix("tcp://").or_else(|| host.strip_prefix("http://")) {
            Docker::connect_with_http(&format!("http://{address}"), 120, bollard::API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_unix(host, 120, bollard::API_DEFAULT_VERSION)
        }
        .map_err(|e| BackendError::Failed(format!("cannot reach the container engine at {host}: {e}")))?;
        let inner = Inner {
            docker,
            config,
            client: WorkerClient::new(),
            members: DashMap::new(),
            pools: DashMap::new(),
            filling: DashMap::new(),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Checks the engine answers (at server start, to fail early with a clear message).
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.inner.docker.ping().await.map(drop).map_err(|e| {
            BackendError::Failed(format!("the container engine at {} does not answer: {e}", self.inner.config.host))
        })
    }
}

impl Inner {
    fn members_where(&self, wanted: impl Fn(&Role) -> bool) -> Vec<Member> {
        self.members.iter().filter(|entry| wanted(&entry.role)).map(|entry| entry.value().clone()).collect()
    }

    /// Fills a runtime's pool up to its size, one filler at a time.
    async fn fill(&self, runtime: RuntimeId) -> Result<(), BackendError> {
        let lock = self.filling.entry(runtime).or_default().clone();
        let _filling = lock.lock().await;
        let Some(pool) = self.pools.get(&runtime).map(|pool| pool.clone()) else { return Ok(()) };
        let stale = self.members_where(|role| *role == Role::Idle(runtime));
        for member in stale.iter().filter(|member| member.image != pool.image) {
            self.remove_container(&member.worker.name).await?;
        }
        let idle = stale.iter().filter(|member| member.image == pool.image).count();
        let missing = pool.size.saturating_sub(idle);
        let labels = [(LABEL_ROLE, "pool".to_owned()), (LABEL_RUNTIME, runtime.to_string())];
        let resources = (self.config.worker_memory, self.config.worker_cpu);
        let started = futures::future::join_all(
            (0..missing).map(|_| self.start_worker(&pool.image, &labels, resources, &[], Role::Idle(runtime))),
        )
        .await;
        let problem = started.iter().find_map(|result| result.as_ref().err()).map(ToString::to_string);
        if let Some(mut pool) = self.pools.get_mut(&runtime) {
            pool.problem = problem;
        }
        started.into_iter().collect::<Result<Vec<_>, _>>().map(drop)
    }

    /// Creates and starts one worker container and waits until it answers its health check.
    async fn start_worker(
        &self,
        image: &str,
        labels: &[(&str, String)],
        (memory, cpu): (u64, u32),
        env: &[String],
        role: Role,
    ) -> Result<Worker, BackendError> {
        self.ensure_image(image).await?;
        let name = format!("{}-{}", self.config.scope, short_id());
        let mut all_labels: HashMap<String, String> =
            labels.iter().map(|(key, value)| ((*key).to_owned(), value.clone())).collect();
        all_labels.insert(LABEL_SCOPE.to_owned(), self.config.scope.clone());
        let port = format!("{WORKER_PORT}/tcp");
        let host_config = HostConfig {
            port_bindings: Some(HashMap::from([(
                port.clone(),
                Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) }]),
            )])),
            memory: Some(memory as i64),
            nano_cpus: Some(i64::from(cpu) * 1_000_000),
            pids_limit: Some(PIDS_LIMIT),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            readonly_rootfs: Some(true),
            tmpfs: Some(HashMap::from([("/tmp".into(), "rw,nosuid,nodev,size=256m,mode=1777".into())])),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            labels: Some(all_labels),
            env: Some(env.to_vec()),
            exposed_ports: Some(vec![port.clone()]),
            host_config: Some(host_config),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        self.docker.create_container(Some(options), body).await.map_err(|e| engine_error("creating a worker", e))?;
        if let Err(e) = self.docker.start_container(&name, None).await {
            self.remove_container(&name).await.ok();
            return Err(engine_error("starting a worker", e));
        }
        match self.wait_ready(&name, &port).await {
            Ok(worker) => {
                self.members.insert(name, Member { worker: worker.clone(), role, image: image.to_owned() });
                Ok(worker)
            }
            Err(e) => {
                self.remove_container(&name).await.ok();
                Err(e)
            }
        }
    }

    /// Pulls `image` if the engine does not have it.
    async fn ensure_image(&self, image: &str) -> Result<(), BackendError> {
        match self.docker.inspect_image(image).await {
            Ok(_) => return Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(e) => return Err(engine_error("looking up the image", e)),
        }
        tracing::info!(image, "pulling a worker image");
        let options = CreateImageOptionsBuilder::default().from_image(image).build();
        let pull = async {
            let mut progress = self.docker.create_image(Some(options), None, None);
            while let Some(step) = progress.next().await {
                step.map_err(|e| BackendError::Invalid(format!("image {image:?} is not available: {e}")))?;
            }
            Ok(())
        };
        tokio::time::timeout(PULL_TIMEOUT, pull).await.map_err(|_| {
            BackendError::Invalid(format!("image {image:?} did not pull in {} s", PULL_TIMEOUT.as_secs()))
        })?
    }

    /// Waits until a started container answers its health check; its worker.
    async fn wait_ready(&self, name: &str, port: &str) -> Result<Worker, BackendError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut address = None;
        loop {
            if address.is_none() {
                let inspect = self
                    .docker
                    .inspect_container(name, None)
                    .await
                    .map_err(|e| engine_error("inspecting a worker", e))?;
                let state = inspect.state.unwrap_or_default();
                if state.running != Some(true) {
                    return Err(BackendError::Failed(format!(
                        "worker {name} stopped before it was ready (exit code {})",
                        state.exit_code.unwrap_or_default()
                    )));
                }
                address = inspect
                    .network_settings
                    .and_then(|settings| settings.ports)
                    .and_then(|ports| ports.get(port).cloned().flatten())
                    .and_then(|bindings| bindings.into_iter().find_map(|binding| binding.host_port))
                    .filter(|port| !port.is_empty())
                    .map(|port| format!("http://127.0.0.1:{port}"));
            }
            if let Some(address) = &address
                && self.client.health(address).await.is_ok()
            {
                return Ok(Worker { name: name.to_owned(), address: address.clone(), revision: None });
            }
            if Instant::now() >= deadline {
                return Err(BackendError::Failed(format!(
                    "worker {name} did not answer its health check in {} s",
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            if address.is_some() {
                // Still starting: look again whether it died.
                let state = self.docker.inspect_container(name, None).await.ok().and_then(|inspect| inspect.state);
                if state.is_some_and(|state| state.running != Some(true)) {
                    address = None;
                }
            }
        }
    }

    async fn remove_container(&self, name: &str) -> Result<(), BackendError> {
        self.members.remove(name);
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match self.docker.remove_container(name, Some(options)).await {
            Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            Err(e) => Err(engine_error("removing a worker", e)),
        }
    }

    /// This scope's containers on the engine, with their labels.
    async fn listed(&self) -> Result<Vec<bollard::models::ContainerSummary>, BackendError> {
        let filters = HashMap::from([("label", vec![format!("{LABEL_SCOPE}={}", self.config.scope)])]);
        let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        self.docker.list_containers(Some(options)).await.map_err(|e| engine_error("listing workers", e))
    }
}

#[async_trait::async_trait]
impl Backend for DockerBackend {
    async fn ensure_pool(&self, runtime: RuntimeId, image: &str, size: usize) -> Result<(), BackendError> {
        self.inner.pools.insert(runtime, Pool { image: image.to_owned(), size, problem: None });
        self.inner.fill(runtime).await
    }

    async fn pool(&self, runtime: RuntimeId) -> Result<PoolState, BackendError> {
        let Some(pool) = self.inner.pools.get(&runtime).map(|pool| pool.clone()) else {
            return Ok(PoolState::default());
        };
        let idle = self
            .inner
            .members_where(|role| *role == Role::Idle(runtime))
            .into_iter()
            .filter(|member| member.image == pool.image)
            .map(|member| member.worker)
            .collect();
        Ok(PoolState { size: pool.size, idle, problem: pool.problem })
    }

    async fn take(&self, runtime: RuntimeId, worker: &Worker, key: WorkerKey) -> Result<bool, BackendError> {
        let taken = match self.inner.members.get_mut(&worker.name) {
            Some(mut member) if member.role == Role::Idle(runtime) => {
                member.role = Role::Taken(runtime, key);
                true
            }
            _ => false,
        };
        if taken {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                if let Err(e) = inner.fill(runtime).await {
                    tracing::warn!(runtime = %runtime, error = %e, "cannot refill the pool");
                }
            });
        }
        Ok(taken)
    }

    async fn scale_image(
        &self,
        key: WorkerKey,
        image: &str,
        limits: Limits,
        replicas: usize,
    ) -> Result<Vec<Worker>, BackendError> {
        let current = self.inner.members_where(|role| *role == Role::Image(key)).len();
        let labels = [
            (LABEL_ROLE, "image".to_owned()),
            (LABEL_FUNCTION, key.function_id.to_string()),
            (LABEL_VERSION, key.version.to_string()),
        ];
        let env =
            [format!("QINLING_FUNCTION_ID={}", key.function_id), format!("QINLING_FUNCTION_VERSION={}", key.version)];
        let resources = (limits.memory_size + IMAGE_WORKER_OVERHEAD, limits.cpu);
        let started = futures::future::join_all(
            (current..replicas).map(|_| self.inner.start_worker(image, &labels, resources, &env, Role::Image(key))),
        )
        .await;
        started.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(self.inner.members_where(|role| *role == Role::Image(key)).into_iter().map(|member| member.worker).collect())
    }

    async fn shrink_image(&self, key: WorkerKey, going: &[Worker], replicas: usize) -> Result<(), BackendError> {
        for worker in going {
            self.inner.remove_container(&worker.name).await?;
        }
        let remaining = self.inner.members_where(|role| *role == Role::Image(key));
        for member in remaining.iter().skip(replicas) {
            self.inner.remove_container(&member.worker.name).await?;
        }
        Ok(())
    }

    async fn remove(&self, worker: &Worker) -> Result<(), BackendError> {
        self.inner.remove_container(&worker.name).await
    }

    async fn delete_pool(&self, runtime: RuntimeId) -> Result<(), BackendError> {
        self.inner.pools.remove(&runtime);
        let runtime_label = runtime.to_string();
        for container in self.inner.listed().await? {
            let labels = container.labels.unwrap_or_default();
            if labels.get(LABEL_RUNTIME) == Some(&runtime_label)
                && let Some(name) = container.names.and_then(|names| names.into_iter().next())
            {
                self.inner.remove_container(name.trim_start_matches('/')).await?;
            }
        }
        Ok(())
    }

    /// Adopts this scope's containers after a restart: a pool worker that loaded a function is that
    /// function's, one that did not is idle, an image container is its function's; a container that is
    /// not running or does not answer is removed.
    async fn held(&self) -> Result<Vec<HeldWorker>, BackendError> {
        let mut held = Vec::new();
        for container in self.inner.listed().await? {
            let Some(name) = container
                .names
                .as_ref()
                .and_then(|names| names.first())
                .map(|name| name.trim_start_matches('/').to_owned())
            else {
                continue;
            };
            let labels = container.labels.clone().unwrap_or_default();
            let image = container.image.clone().unwrap_or_default();
            let address = container
                .ports
                .unwrap_or_default()
                .into_iter()
                .find(|port| port.private_port == WORKER_PORT)
                .and_then(|port| port.public_port)
                .map(|port| format!("http://127.0.0.1:{port}"));
            let health = match &address {
                Some(address) => self.inner.client.health(address).await.ok(),
                None => None,
            };
            let (Some(address), Some(health)) = (address, health) else {
                self.inner.remove_container(&name).await?;
                continue;
            };
            let worker = Worker { name: name.clone(), address, revision: None };
            let role = match labels.get(LABEL_ROLE).map(String::as_str) {
                Some("image") => {
                    let key = labels.get(LABEL_FUNCTION).and_then(|id| id.parse().ok()).map(|function_id| WorkerKey {
                        function_id,
                        version: labels.get(LABEL_VERSION).and_then(|v| v.parse().ok()).unwrap_or(0),
                    });
                    key.map(Role::Image)
                }
                Some("pool") => labels.get(LABEL_RUNTIME).and_then(|id| id.parse().ok()).map(|runtime| {
                    match health.function.as_ref().and_then(|loaded| loaded.key()) {
                        Some(key) => Role::Taken(runtime, key),
                        None => Role::Idle(runtime),
                    }
                }),
                _ => None,
            };
            let Some(role) = role else {
                self.inner.remove_container(&name).await?;
                continue;
            };
            match role {
                Role::Taken(runtime, key) => {
                    held.push(HeldWorker { key, worker: worker.clone(), origin: Origin::Pool(runtime) })
                }
                Role::Image(key) => held.push(HeldWorker { key, worker: worker.clone(), origin: Origin::Image }),
                Role::Idle(_) => {}
            }
            self.inner.members.insert(name, Member { worker, role, image });
        }
        Ok(held)
    }
}

/// A container engine failure, with a hint for the failures a user can fix.
fn engine_error(doing: &str, error: bollard::errors::Error) -> BackendError {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code: 404, message } => {
            BackendError::Invalid(format!("{doing}: {message}"))
        }
        other => BackendError::Failed(format!("{doing}: {other}")),
    }
}

/// Twelve random hex digits, for container names.
fn short_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}
