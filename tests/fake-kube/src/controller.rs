//! The fake's Deployment controller (what the Deployment and ReplicaSet controllers and the garbage
//! collector do for the bridge's objects) and the loop that runs it and the kubelet.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::DeploymentStatus;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use tokio::sync::Mutex;

use crate::State;
use crate::kubelet::labels;
use crate::store::has_labels;

const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

pub(crate) async fn run(state: Arc<Mutex<State>>, every: Duration) {
    let http = reqwest::Client::builder().no_proxy().build().expect("a plain HTTP client builds");
    loop {
        {
            let mut state = state.lock().await;
            reconcile(&mut state).await;
            let State { objects, kubelet } = &mut *state;
            let names: Vec<String> = objects.pods.keys().cloned().collect();
            for name in names {
                let Some(mut pod) = objects.pods.get(&name).cloned() else { continue };
                if kubelet.sync(&name, &mut pod, &http).await {
                    objects.stamp(&mut pod.metadata);
                    objects.pods.insert(name, pod);
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Keeps every Deployment's pods at its replicas.
pub(crate) async fn reconcile(state: &mut State) {
    let deployments: Vec<_> = state.objects.deployments.values().cloned().collect();
    for deployment in deployments {
        let name = deployment.metadata.name.clone().unwrap_or_default();
        let uid = deployment.metadata.uid.clone().unwrap_or_default();
        let Some(spec) = &deployment.spec else { continue };
        let wanted = spec.selector.match_labels.clone().unwrap_or_default();
        let replicas = spec.replicas.unwrap_or(1).max(0) as usize;
        let owned_by_it = |pod: &Pod| pod.metadata.owner_references.iter().flatten().any(|owner| owner.uid == uid);

        // Release pods that no longer match (a relabelled pod leaves its ReplicaSet), adopt matching orphans.
        let pods: Vec<(String, Pod)> = state.objects.pods.iter().map(|(n, p)| (n.clone(), p.clone())).collect();
        for (pod_name, mut pod) in pods {
            let matches = has_labels(labels(&pod), &wanted);
            let owned = owned_by_it(&pod);
            let orphan = pod.metadata.owner_references.as_ref().is_none_or(Vec::is_empty);
            if owned && !matches {
                pod.metadata.owner_references = None;
            } else if orphan && matches {
                pod.metadata.owner_references = Some(vec![owner(&name, &uid)]);
            } else {
                continue;
            }
            state.objects.stamp(&mut pod.metadata);
            state.objects.pods.insert(pod_name, pod);
        }

        let mut mine: Vec<Pod> = state.objects.pods.values().filter(|pod| owned_by_it(pod)).cloned().collect();
        while mine.len() < replicas {
            let template = spec.template.clone();
            let pod_name = format!("{name}-{}", state.objects.suffix());
            let mut pod = Pod {
                metadata: ObjectMeta {
                    name: Some(pod_name.clone()),
                    namespace: deployment.metadata.namespace.clone(),
                    labels: template.metadata.and_then(|metadata| metadata.labels),
                    owner_references: Some(vec![owner(&name, &uid)]),
                    ..Default::default()
                },
                spec: template.spec,
                status: None,
            };
            state.objects.stamp(&mut pod.metadata);
            state.objects.pods.insert(pod_name, pod.clone());
            mine.push(pod);
        }
        if mine.len() > replicas {
            // Lowest deletion cost first, then pods that are not ready, then the newest.
            mine.sort_by_key(|pod| {
                let cost: i64 = pod
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|annotations| annotations.get(DELETION_COST))
                    .and_then(|cost| cost.parse().ok())
                    .unwrap_or(0);
                let version: u64 = pod.metadata.resource_version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
                (cost, is_ready(pod), std::cmp::Reverse(version))
            });
            for pod in &mine[..mine.len() - replicas] {
                let pod_name = pod.metadata.name.clone().unwrap_or_default();
                state.objects.pods.remove(&pod_name);
                state.kubelet.stop(&pod_name).await;
            }
            mine.truncate(replicas);
        }

        let ready = mine.iter().filter(|pod| is_ready(pod)).count() as i32;
        let status = DeploymentStatus {
            replicas: Some(replicas as i32),
            ready_replicas: Some(ready),
            available_replicas: Some(ready),
            ..Default::default()
        };
        if let Some(stored) = state.objects.deployments.get(&name).cloned()
            && stored.status.as_ref() != Some(&status)
        {
            let mut stored = stored;
            stored.status = Some(status);
            state.objects.stamp(&mut stored.metadata);
            state.objects.deployments.insert(name, stored);
        }
    }
}

/// Deletes a Deployment's pods with it (the garbage collector's cascade).
pub(crate) async fn delete_owned(state: &mut State, uid: &str) {
    let owned: Vec<String> = state
        .objects
        .pods
        .iter()
        .filter(|(_, pod)| pod.metadata.owner_references.iter().flatten().any(|owner| owner.uid == uid))
        .map(|(name, _)| name.clone())
        .collect();
    for name in owned {
        state.objects.pods.remove(&name);
        state.kubelet.stop(&name).await;
    }
}

fn owner(name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: name.to_owned(),
        uid: uid.to_owned(),
        controller: Some(true),
        ..Default::default()
    }
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
