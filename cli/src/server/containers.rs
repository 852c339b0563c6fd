//! The server's container settings: which orchestrator backend (none, Docker/Podman, Kubernetes), its
//! pools and workers, and the URL workers download packages from. Builds the bridge and adopts the
//! workers functions held before a restart.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use qinling_container_bridge::docker::{DEFAULT_WORKER_CPU, DEFAULT_WORKER_MEMORY, DockerBackend, DockerConfig};
use qinling_container_bridge::kubernetes::{KubernetesBackend, KubernetesConfig};
use qinling_container_bridge::{Backend, Bridge, BridgeConfig, DEFAULT_IDLE_TIMEOUT, DEFAULT_POOL_SIZE};
use qinling_core::PackageLinks;
use qinling_engine::Containers;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OrchestratorKind {
    /// Wasm runtimes only.
    None,
    /// Containers on a Docker Engine API: Docker, or Podman's `podman system service`.
    Docker,
    /// Pods in a Kubernetes namespace (kubeconfig or in-cluster credentials).
    Kubernetes,
}

#[derive(Args, Debug)]
pub(crate) struct ContainerArgs {
    /// Where container runtimes and image functions run.
    #[arg(long, env = "QINLING_ORCHESTRATOR", value_enum, default_value_t = OrchestratorKind::None)]
    orchestrator: OrchestratorKind,
    /// The Docker Engine API (Docker's socket, or Podman's from `podman system service`).
    #[arg(long, env = "QINLING_DOCKER_HOST", default_value = "unix:///var/run/docker.sock")]
    docker_host: String,
    /// Names and labels this server's containers with (servers sharing one engine need different scopes).
    #[arg(long, env = "QINLING_CONTAINER_SCOPE", default_value = "qinling")]
    container_scope: String,
    /// The namespace for pools, workers and image functions.
    #[arg(long, env = "QINLING_KUBERNETES_NAMESPACE", default_value = "qinling")]
    kubernetes_namespace: String,
    /// Idle workers each container runtime keeps ready.
    #[arg(long, env = "QINLING_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE)]
    pool_size: usize,
    /// Seconds a function's worker may stay unused before it is removed.
    #[arg(long, env = "QINLING_WORKER_IDLE_TIMEOUT", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs())]
    worker_idle_timeout: u64,
    /// Memory limit of a pool worker, in bytes (each execution is further held to its memory_size).
    #[arg(long, env = "QINLING_WORKER_MEMORY", default_value_t = DEFAULT_WORKER_MEMORY)]
    worker_memory: u64,
    /// CPU limit of a pool worker, in millicpu.
    #[arg(long, env = "QINLING_WORKER_CPU", default_value_t = DEFAULT_WORKER_CPU)]
    worker_cpu: u32,
    /// This API's address as workers reach it, to download packages (default with Docker when listening
    /// on all addresses: http://host.containers.internal:<port>).
    #[arg(long, env = "QINLING_WORKER_API_URL")]
    worker_api_url: Option<String>,
    /// Secret that signs package download tokens; servers sharing a database must share it (default:
    /// random per process).
    #[arg(long, env = "QINLING_WORKER_TOKEN_SECRET", hide_env_values = true)]
    worker_token_secret: Option<String>,
}

impl ContainerArgs {
    /// The orchestrator for this server, if one is configured: connected, checked, with the workers
    /// functions held before a restart adopted, and its idle expiry started.
    pub(crate) async fn build(&self, listening: SocketAddr) -> anyhow::Result<Option<Containers>> {
        let backend: Arc<dyn Backend> = match self.orchestrator {
            OrchestratorKind::None => return Ok(None),
            OrchestratorKind::Docker => {
                let backend = DockerBackend::connect(DockerConfig {
                    host: self.docker_host.clone(),
                    scope: self.container_scope.clone(),
                    worker_memory: self.worker_memory,
                    worker_cpu: self.worker_cpu,
                })?;
                backend.ping().await?;
                Arc::new(backend)
            }
            OrchestratorKind::Kubernetes => {
                let config = KubernetesConfig {
                    worker_memory: self.worker_memory,
                    worker_cpu: self.worker_cpu,
                    ..KubernetesConfig::new(&self.kubernetes_namespace)
                };
                let backend = KubernetesBackend::connect(config).await?;
                backend.ping().await?;
                Arc::new(backend)
            }
        };
        anyhow::ensure!(self.pool_size >= 1, "--pool-size must be at least 1");
        let bridge = Arc::new(Bridge::new(
            backend,
            BridgeConfig {
                pool_size: self.pool_size,
                idle_timeout: Duration::from_secs(self.worker_idle_timeout.max(1)),
                ..Default::default()
            },
        ));
        let adopted = bridge.recover().await.context("adopting the workers functions held")?;
        tracing::info!(orchestrator = ?self.orchestrator, adopted, "container orchestrator ready");
        bridge.start_idle_expiry();
        let links = PackageLinks::new(&self.worker_api_url(listening)?, self.token_secret());
        Ok(Some(Containers { orchestrator: bridge, links }))
    }

    fn worker_api_url(&self, listening: SocketAddr) -> anyhow::Result<String> {
        if let Some(url) = &self.worker_api_url {
            return Ok(url.clone());
        }
        anyhow::ensure!(
            self.orchestrator == OrchestratorKind::Docker && listening.ip().is_unspecified(),
            "--worker-api-url is required: the address at which workers reach this API to download packages \
             (with Docker or Podman, listen on 0.0.0.0 and it defaults to http://host.containers.internal:<port>)"
        );
        Ok(format!("http://host.containers.internal:{}", listening.port()))
    }

    fn token_secret(&self) -> Vec<u8> {
        match &self.worker_token_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat(),
        }
    }
}
