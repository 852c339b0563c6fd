//! A fake Kubernetes API server for the bridge's tests, with a Deployment controller and a kubelet that
//! runs real worker processes, so that bridge → worker traffic is real HTTP to real workers.
//!
//! What it serves, as the real API server does for these requests: Deployments (get, list, server-side
//! apply, JSON merge patch, delete with its pods) and Pods (get, list with equality label selectors,
//! merge patch with a `metadata.resourceVersion` precondition that answers 409 when stale, delete);
//! `resourceVersion` on every write; `Status` bodies with 404/409/415/422. Its controller keeps each
//! Deployment's matching pods at `replicas` (creating from the template, adopting matching orphans,
//! releasing pods whose labels no longer match, deleting the lowest `pod-deletion-cost` first when
//! shrinking). Its kubelet is in `kubelet.rs`.
//!
//! What it does not do (see docs/kubernetes.md): watches, ReplicaSets as objects, set-based selectors,
//! field selectors, strategic merge patch, field ownership and conflicts of server-side apply (an apply
//! simply merges the applied fields), admission, RBAC, resource quotas, scheduling, image pulls (images
//! are a fixed table), container limits, restarts with back-off, namespaces beyond their name.

mod api;
mod controller;
mod kubelet;
mod store;

pub use kubelet::FakeImage;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::Mutex;

use kubelet::Kubelet;
use store::Objects;

/// How often the controller and kubelet look at the cluster.
const RECONCILE_EVERY: Duration = Duration::from_millis(50);

pub(crate) struct State {
    pub(crate) objects: Objects,
    pub(crate) kubelet: Kubelet,
}

/// A running fake cluster. Dropping it stops its loop and every worker process.
pub struct FakeCluster {
    state: Arc<Mutex<State>>,
    controller: tokio::task::JoinHandle<()>,
}

impl FakeCluster {
    /// Starts a cluster that knows these images.
    pub fn start(images: impl IntoIterator<Item = (String, FakeImage)>) -> Self {
        let kubelet = Kubelet::new(images.into_iter().collect());
        let state = Arc::new(Mutex::new(State { objects: Objects::default(), kubelet }));
        let controller = tokio::spawn(controller::run(state.clone(), RECONCILE_EVERY));
        Self { state, controller }
    }

    /// The API as a tower service, for `kube::Client::new(cluster.router(), namespace)` in-process.
    pub fn router(&self) -> axum::Router {
        api::router(self.state.clone())
    }

    /// Serves the API over HTTP on a loopback port, for processes that read a kubeconfig.
    pub async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding the fake API server");
        let address = listener.local_addr().expect("a bound address");
        let router = self.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        address
    }

    /// Writes a kubeconfig that points at `address` with `namespace` as its default.
    pub fn write_kubeconfig(path: &Path, address: SocketAddr, namespace: &str) -> std::io::Result<()> {
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{address}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: {namespace}\n\
             current-context: fake\nusers:\n- name: fake\n  user:\n    token: fake\n"
        );
        std::fs::write(path, config)
    }

    /// Every pod now.
    pub async fn pods(&self) -> Vec<Pod> {
        self.state.lock().await.objects.pods.values().cloned().collect()
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        self.controller.abort();
        if let Ok(mut state) = self.state.try_lock() {
            // Worker processes are killed when dropped; routers still held elsewhere keep only objects.
            let images = std::mem::take(&mut state.kubelet.images);
            state.kubelet = Kubelet::new(images);
        }
    }
}
