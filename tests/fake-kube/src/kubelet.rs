//! The fake kubelet: turns pods into real running processes. Each pod gets its own loopback address
//! (127.a.b.c, which Linux routes to `lo` without configuration) as its pod IP; its image must be one the
//! cluster knows (else the pod waits with `ErrImagePull`, as a real one would); the image's command runs
//! with the pod's environment and `QINLING_WORKER_HOST`/`QINLING_WORKER_PORT`, and the pod becomes Ready
//! once its readiness probe's HTTP GET answers 2xx. A process that exits makes its pod not ready
//! (`CrashLoopBackOff`). Deleting a pod kills its process.

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateWaiting, ContainerStatus, Pod, PodCondition, PodStatus,
};
use tokio::process::{Child, Command};

/// What an image runs in this fake cluster.
#[derive(Clone, Debug)]
pub struct FakeImage {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Environment variables the image sets (as `ENV` in a Containerfile).
    pub env: Vec<(String, String)>,
}

#[derive(Default)]
pub(crate) struct Kubelet {
    pub(crate) images: HashMap<String, FakeImage>,
    processes: HashMap<String, Child>,
    ips: HashMap<String, String>,
}

impl Kubelet {
    pub(crate) fn new(images: HashMap<String, FakeImage>) -> Self {
        Self { images, ..Default::default() }
    }

    /// Brings a pod's status up to date with its process; what changed is written into `pod.status`.
    /// Returns whether the status changed.
    pub(crate) async fn sync(&mut self, name: &str, pod: &mut Pod, http: &reqwest::Client) -> bool {
        let before = pod.status.clone();
        let container = pod.spec.as_ref().and_then(|spec| spec.containers.first()).cloned().unwrap_or_default();
        let image = container.image.clone().unwrap_or_default();
        let Some(found) = self.images.get(&image).cloned() else {
            pod.status =
                Some(waiting(&image, "ErrImagePull", &format!("image {image:?} not found in this fake cluster")));
            return pod.status != before;
        };
        if !self.processes.contains_key(name) {
            let ip = self.ip_for(name);
            let mut command = Command::new(&found.command[0]);
            command.args(&found.command[1..]).kill_on_drop(true).stdout(Stdio::null()).stderr(Stdio::null());
            for (key, value) in &found.env {
                command.env(key, value);
            }
            for env in container.env.iter().flatten() {
                command.env(&env.name, env.value.clone().unwrap_or_default());
            }
            command.env("QINLING_WORKER_HOST", &ip).env("QINLING_WORKER_PORT", "9090");
            match command.spawn() {
                Ok(child) => {
                    self.processes.insert(name.to_owned(), child);
                }
                Err(e) => {
                    pod.status = Some(waiting(&image, "RunContainerError", &e.to_string()));
                    return pod.status != before;
                }
            }
        }
        let exited = self.processes.get_mut(name).is_some_and(|child| child.try_wait().ok().flatten().is_some());
        if exited {
            pod.status = Some(waiting(&image, "CrashLoopBackOff", "the worker process exited"));
            return pod.status != before;
        }
        let ip = self.ip_for(name);
        let ready = match container.readiness_probe.as_ref().and_then(|probe| probe.http_get.as_ref()) {
            Some(get) => {
                let port = match &get.port {
                    k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(port) => port.to_string(),
                    k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(port) => port.clone(),
                };
                let url = format!("http://{ip}:{port}{}", get.path.as_deref().unwrap_or("/"));
                http.get(url).timeout(Duration::from_secs(1)).send().await.is_ok_and(|r| r.status().is_success())
            }
            None => true,
        };
        let mut status = PodStatus {
            phase: Some("Running".into()),
            pod_ip: Some(ip),
            container_statuses: Some(vec![ContainerStatus {
                name: container.name.clone(),
                image: image.clone(),
                ready,
                state: Some(ContainerState { running: Some(ContainerStateRunning::default()), ..Default::default() }),
                ..Default::default()
            }]),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        // Keep the first time it was seen running, so that nothing changes while nothing changes.
        if let Some(previous) = &before {
            status.start_time = previous.start_time.clone();
        }
        pod.status = Some(status);
        pod.status != before
    }

    /// Stops a deleted pod's process.
    pub(crate) async fn stop(&mut self, name: &str) {
        if let Some(mut child) = self.processes.remove(name) {
            let _ = child.kill().await;
        }
        self.ips.remove(name);
    }

    /// The pod's IP: unique among every fake cluster of this process, and apart from other processes'.
    fn ip_for(&mut self, name: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        if let Some(ip) = self.ips.get(name) {
            return ip.clone();
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let ip = format!("127.{}.{}.{}", 1 + std::process::id() % 200, (n / 250) % 256, n % 250 + 1);
        self.ips.insert(name.to_owned(), ip.clone());
        ip
    }
}

fn waiting(image: &str, reason: &str, message: &str) -> PodStatus {
    PodStatus {
        phase: Some("Pending".into()),
        container_statuses: Some(vec![ContainerStatus {
            name: "worker".into(),
            image: image.to_owned(),
            ready: false,
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting { reason: Some(reason.into()), message: Some(message.into()) }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        conditions: Some(vec![PodCondition { type_: "Ready".into(), status: "False".into(), ..Default::default() }]),
        ..Default::default()
    }
}

/// The labels of a pod, for selectors.
pub(crate) fn labels(pod: &Pod) -> Option<&BTreeMap<String, String>> {
    pod.metadata.labels.as_ref()
}
