//! The Kubernetes backend. A container runtime is a Deployment of worker pods (`qinling-pool-<runtime>`)
//! whose selector includes `qinling.io/role=pool`; a function takes a ready pod by relabelling it
//! (`role=worker`, its function and version), conditioned on the pod's resourceVersion so two servers
//! never take the same pod, and the pod leaves the Deployment's selector, so its ReplicaSet refills the
//! pool (Qinling's pools ran dry). An image function is its own Deployment (`qinling-fn-<function>-<v>`)
//! with the function's CPU and memory limits; shrinking it marks the pods to go with a low
//! `controller.kubernetes.io/pod-deletion-cost`. Everything is applied with server-side apply (field
//! manager `qinling`), labelled `app.kubernetes.io/managed-by=qinling`, and reached by pod IP. The bridge
//! polls pod status (no watches). Workers get no service account token: functions must not reach the API.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, HTTPGetAction, Pod, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use qinling_core::{Limits, RuntimeId, WorkerKey};
use serde_json::json;

use crate::backend::{Backend, BackendError, HeldWorker, Origin, PoolState, Worker};
use crate::docker::{DEFAULT_WORKER_CPU, DEFAULT_WORKER_MEMORY, IMAGE_WORKER_OVERHEAD};
use crate::protocol::WORKER_PORT;

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const ROLE: &str = "qinling.io/role";
const RUNTIME: &str = "qinling.io/runtime";
const FUNCTION: &str = "qinling.io/function";
const VERSION: &str = "qinling.io/version";
const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
const FIELD_MANAGER: &str = "qinling";
/// How long a pool or an image function may take to have its pods ready (image pulls included).
const READY_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(200);
/// Container waiting reasons that will not resolve by themselves.
const STUCK: [&str; 5] =
    ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError"];

#[derive(Clone, Debug)]
pub struct KubernetesConfig {
    pub namespace: String,
    pub worker_memory: u64,
    /// Millicpu.
    pub worker_cpu: u32,
}

impl KubernetesConfig {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self { namespace: namespace.into(), worker_memory: DEFAULT_WORKER_MEMORY, worker_cpu: DEFAULT_WORKER_CPU }
    }
}

pub struct KubernetesBackend {
    deployments: Api<Deployment>,
    pods: Api<Pod>,
    config: KubernetesConfig,
}

impl KubernetesBackend {
    pub fn new(client: kube::Client, config: KubernetesConfig) -> Self {
        Self {
            deployments: Api::namespaced(client.clone(), &config.namespace),
            pods: Api::namespaced(client, &config.namespace),
            config,
        }
    }

    /// Connects with the kubeconfig (`KUBECONFIG` or ~/.kube/config) or in-cluster credentials.
    pub async fn connect(config: KubernetesConfig) -> Result<Self, BackendError> {
        let client = kube::Client::try_default()
            .await
            .map_err(|e| BackendError::Failed(format!("cannot reach Kubernetes: {e}")))?;
        Ok(Self::new(client, config))
    }

    /// Checks the namespace can be read (at server start, to fail early with a clear message).
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.pods
            .list(&ListParams::default().limit(1))
            .await
            .map(drop)
            .map_err(|e| BackendError::Failed(format!("cannot list pods in namespace {}: {e}", self.config.namespace)))
    }

    async fn pods_labelled(&self, selector: &str) -> Result<Vec<Pod>, BackendError> {
        Ok(self.pods.list(&ListParams::default().labels(selector)).await.map_err(api_error)?.items)
    }

    /// Waits until `selector` has `count` ready pods; they, or why they will not be.
    async fn wait_ready(&self, selector: &str, count: usize, what: &str) -> Result<Vec<Worker>, BackendError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let pods = self.pods_labelled(selector).await?;
            let ready: Vec<Worker> = pods.iter().filter_map(ready_worker).collect();
            if ready.len() >= count {
                return Ok(ready);
            }
            if let Some(problem) = pods.iter().find_map(stuck_reason) {
                return Err(BackendError::Invalid(format!("{what} cannot start: {problem}")));
            }
            if Instant::now() >= deadline {
                return Err(BackendError::Failed(format!(
                    "{what} has {} of {count} pods ready after {} s",
                    ready.len(),
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn apply(&self, deployment: &Deployment) -> Result<(), BackendError> {
        let name = deployment.metadata.name.as_deref().unwrap_or_default();
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.deployments.patch(name, &params, &Patch::Apply(deployment)).await.map(drop).map_err(api_error)
    }

    async fn delete_deployment(&self, name: &str) -> Result<(), BackendError> {
        match self.deployments.delete(name, &DeleteParams::background()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(api_error(e)),
        }
    }

    async fn delete_pod(&self, name: &str) -> Result<(), BackendError> {
        match self.pods.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(api_error(e)),
        }
    }

    fn pod_template(
        &self,
        labels: &BTreeMap<String, String>,
        image: &str,
        memory: u64,
        cpu: u32,
        env: Vec<EnvVar>,
    ) -> PodTemplateSpec {
        let quantities = BTreeMap::from([
            ("memory".to_owned(), Quantity(memory.to_string())),
            ("cpu".to_owned(), Quantity(format!("{cpu}m"))),
        ]);
        let worker = Container {
            name: "worker".into(),
            image: Some(image.to_owned()),
            env: Some(env),
            ports: Some(vec![ContainerPort { container_port: i32::from(WORKER_PORT), ..Default::default() }]),
            readiness_probe: Some(Probe {
                http_get: Some(HTTPGetAction {
                    path: Some("/health".into()),
                    port: IntOrString::Int(i32::from(WORKER_PORT)),
                    ..Default::default()
                }),
                period_seconds: Some(1),
                ..Default::default()
            }),
            resources: Some(ResourceRequirements {
                limits: Some(quantities.clone()),
                requests: Some(quantities),
                ..Default::default()
            }),
            security_context: Some(SecurityContext {
                allow_privilege_escalation: Some(false),
                capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
                read_only_root_filesystem: Some(true),
                run_as_non_root: Some(true),
                ..Default::default()
            }),
            volume_mounts: Some(vec![VolumeMount {
                name: "tmp".into(),
                mount_path: "/tmp".into(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        PodTemplateSpec {
            metadata: Some(ObjectMeta { labels: Some(labels.clone()), ..Default::default() }),
            spec: Some(PodSpec {
                containers: vec![worker],
                automount_service_account_token: Some(false),
                enable_service_links: Some(false),
                volumes: Some(vec![Volume {
                    name: "tmp".into(),
                    empty_dir: Some(EmptyDirVolumeSource {
                        size_limit: Some(Quantity("256Mi".into())),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    fn deployment(
        &self,
        name: String,
        labels: BTreeMap<String, String>,
        replicas: usize,
        template: PodTemplateSpec,
    ) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(self.config.namespace.clone()),
                labels: Some(labels.clone()),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(replicas as i32),
                selector: LabelSelector { match_labels: Some(labels), ..Default::default() },
                template,
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

fn pool_name(runtime: RuntimeId) -> String {
    format!("qinling-pool-{runtime}")
}

fn image_name(key: WorkerKey) -> String {
    format!("qinling-fn-{}-v{}", key.function_id, key.version)
}

fn pool_labels(runtime: RuntimeId) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.to_owned(), FIELD_MANAGER.to_owned()),
        (ROLE.to_owned(), "pool".to_owned()),
        (RUNTIME.to_owned(), runtime.to_string()),
    ])
}

fn image_labels(key: WorkerKey) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.to_owned(), FIELD_MANAGER.to_owned()),
        (ROLE.to_owned(), "image".to_owned()),
        (FUNCTION.to_owned(), key.function_id.to_string()),
        (VERSION.to_owned(), key.version.to_string()),
    ])
}

fn selector(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(",")
}

/// A pod that is ready, not being deleted and has an IP, as a worker.
fn ready_worker(pod: &Pod) -> Option<Worker> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let status = pod.status.as_ref()?;
    let ready =
        status.conditions.as_ref()?.iter().any(|condition| condition.type_ == "Ready" && condition.status == "True");
    let ip = status.pod_ip.as_ref().filter(|_| ready)?;
    Some(Worker {
        name: pod.metadata.name.clone()?,
        address: format!("http://{ip}:{WORKER_PORT}"),
        revision: pod.metadata.resource_version.clone(),
    })
}

/// Why a pod will not become ready by itself, if that is so.
fn stuck_reason(pod: &Pod) -> Option<String> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    statuses.iter().find_map(|status| {
        let waiting = status.state.as_ref()?.waiting.as_ref()?;
        let reason = waiting.reason.as_deref()?;
        STUCK.contains(&reason).then(|| match &waiting.message {
            Some(message) => format!("{reason}: {message}"),
            None => reason.to_owned(),
        })
    })
}

fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

#[async_trait::async_trait]
impl Backend for KubernetesBackend {
    async fn ensure_pool(&self, runtime: RuntimeId, image: &str, size: usize) -> Result<(), BackendError> {
        let labels = pool_labels(runtime);
        let template = self.pod_template(&labels, image, self.config.worker_memory, self.config.worker_cpu, Vec::new());
        self.apply(&self.deployment(pool_name(runtime), labels.clone(), size, template)).await?;
        self.wait_ready(&selector(&labels), size, &format!("the pool of runtime {runtime}")).await.map(drop)
    }

    async fn pool(&self, runtime: RuntimeId) -> Result<PoolState, BackendError> {
        let Some(deployment) = self.deployments.get_opt(&pool_name(runtime)).await.map_err(api_error)? else {
            return Ok(PoolState::default());
        };
        let size = deployment.spec.and_then(|spec| spec.replicas).unwrap_or(0).max(0) as usize;
        let pods = self.pods_labelled(&selector(&pool_labels(runtime))).await?;
        Ok(PoolState {
            size,
            idle: pods.iter().filter_map(ready_worker).collect(),
            problem: pods.iter().find_map(stuck_reason),
        })
    }

    async fn take(&self, _runtime: RuntimeId, worker: &Worker, key: WorkerKey) -> Result<bool, BackendError> {
        let patch = json!({
            "metadata": {
                "resourceVersion": worker.revision,
                "labels": {ROLE: "worker", FUNCTION: key.function_id.to_string(), VERSION: key.version.to_string()},
            }
        });
        match self.pods.patch(&worker.name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 || status.code == 404 => Ok(false),
            Err(e) => Err(api_error(e)),
        }
    }

    async fn scale_image(
        &self,
        key: WorkerKey,
        image: &str,
        limits: Limits,
        replicas: usize,
    ) -> Result<Vec<Worker>, BackendError> {
        let labels = image_labels(key);
        let env = vec![
            EnvVar {
                name: "QINLING_FUNCTION_ID".into(),
                value: Some(key.function_id.to_string()),
                ..Default::default()
            },
            EnvVar {
                name: "QINLING_FUNCTION_VERSION".into(),
                value: Some(key.version.to_string()),
                ..Default::default()
            },
        ];
        let template = self.pod_template(&labels, image, limits.memory_size + IMAGE_WORKER_OVERHEAD, limits.cpu, env);
        self.apply(&self.deployment(image_name(key), labels.clone(), replicas, template)).await?;
        self.wait_ready(&selector(&labels), replicas, &format!("image function {}", key.function_id)).await
    }

    async fn shrink_image(&self, key: WorkerKey, going: &[Worker], replicas: usize) -> Result<(), BackendError> {
        if replicas == 0 {
            return self.delete_deployment(&image_name(key)).await;
        }
        let cheap = json!({"metadata": {"annotations": {DELETION_COST: "-1000"}}});
        for worker in going {
            match self.pods.patch(&worker.name, &PatchParams::default(), &Patch::Merge(&cheap)).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => return Err(api_error(e)),
            }
        }
        let scale = json!({"spec": {"replicas": replicas}});
        self.deployments
            .patch(&image_name(key), &PatchParams::default(), &Patch::Merge(&scale))
            .await
            .map(drop)
            .map_err(api_error)
    }

    async fn remove(&self, worker: &Worker) -> Result<(), BackendError> {
        self.delete_pod(&worker.name).await
    }

    async fn delete_pool(&self, runtime: RuntimeId) -> Result<(), BackendError> {
        self.delete_deployment(&pool_name(runtime)).await?;
        for pod in self.pods_labelled(&format!("{MANAGED_BY}={FIELD_MANAGER},{RUNTIME}={runtime}")).await? {
            if let Some(name) = &pod.metadata.name {
                self.delete_pod(name).await?;
            }
        }
        Ok(())
    }

    async fn held(&self) -> Result<Vec<HeldWorker>, BackendError> {
        let pods = self.pods_labelled(&format!("{MANAGED_BY}={FIELD_MANAGER}")).await?;
        Ok(pods
            .iter()
            .filter_map(|pod| {
                let worker = ready_worker(pod)?;
                let key = WorkerKey {
                    function_id: label(pod, FUNCTION)?.parse().ok()?,
                    version: label(pod, VERSION)?.parse().ok()?,
                };
                let origin = match label(pod, ROLE)? {
                    "worker" => Origin::Pool(label(pod, RUNTIME)?.parse().ok()?),
                    "image" => Origin::Image,
                    _ => return None,
                };
                Some(HeldWorker { key, worker, origin })
            })
            .collect())
    }
}

fn api_error(error: kube::Error) -> BackendError {
    match error {
        kube::Error::Api(status) if status.code == 422 || status.code == 400 => {
            BackendError::Invalid(format!("Kubernetes refused: {}", status.message))
        }
        other => BackendError::Failed(format!("Kubernetes: {other}")),
    }
}
