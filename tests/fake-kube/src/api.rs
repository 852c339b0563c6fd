//! The fake's REST surface: the Deployment and Pod paths the bridge uses, answering with real Kubernetes
//! object and `Status` JSON.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as Extract};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use k8s_openapi::Metadata;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::State;
use crate::controller::delete_owned;
use crate::store::{Selector, merge};

type Shared = Arc<Mutex<State>>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/apis/apps/v1/namespaces/{ns}/deployments", get(list_deployments))
        .route(
            "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
            get(get_deployment).patch(patch_deployment).delete(delete_deployment),
        )
        .route("/api/v1/namespaces/{ns}/pods", get(list_pods))
        .route("/api/v1/namespaces/{ns}/pods/{name}", get(get_pod).patch(patch_pod).delete(delete_pod))
        .fallback(|| async { status(StatusCode::NOT_FOUND, "NotFound", "this fake does not serve that path") })
        .with_state(state)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "labelSelector")]
    label_selector: Option<String>,
}

/// An error answer, boxed: a `Response` is large.
type Refusal = Box<Response>;

/// A `Status` answer, as the API server gives for errors.
fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    (code, axum::Json(body)).into_response()
}

fn not_found(kind: &str, name: &str) -> Response {
    status(StatusCode::NOT_FOUND, "NotFound", &format!("{kind} {name:?} not found"))
}

fn object(value: &impl serde::Serialize) -> Response {
    axum::Json(serde_json::to_value(value).expect("objects serialize")).into_response()
}

fn list<T: serde::Serialize>(kind: &str, api_version: &str, items: Vec<T>) -> Response {
    axum::Json(json!({"kind": kind, "apiVersion": api_version, "metadata": {}, "items": items})).into_response()
}

fn selector(query: &ListQuery) -> Result<Selector, Refusal> {
    Selector::parse(query.label_selector.as_deref().unwrap_or_default())
        .map_err(|e| Box::new(status(StatusCode::BAD_REQUEST, "BadRequest", &e)))
}

async fn list_deployments(Extract(state): Extract<Shared>, Query(query): Query<ListQuery>) -> Response {
    let selector = match selector(&query) {
        Ok(selector) => selector,
        Err(answer) => return *answer,
    };
    let state = state.lock().await;
    let items: Vec<&Deployment> =
        state.objects.deployments.values().filter(|d| selector.matches(d.metadata.labels.as_ref())).collect();
    list("DeploymentList", "apps/v1", items)
}

async fn get_deployment(Extract(state): Extract<Shared>, Path((_, name)): Path<(String, String)>) -> Response {
    match state.lock().await.objects.deployments.get(&name) {
        Some(deployment) => object(deployment),
        None => not_found("deployments.apps", &name),
    }
}

async fn patch_deployment(
    Extract(state): Extract<Shared>,
    Path((namespace, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().await;
    let existing = state.objects.deployments.get(&name).cloned();
    let mut deployment: Deployment = match patched(&headers, &body, existing.as_ref(), &name) {
        Ok(deployment) => deployment,
        Err(answer) => return *answer,
    };
    deployment.metadata.name = Some(name.clone());
    deployment.metadata.namespace = Some(namespace);
    state.objects.stamp(&mut deployment.metadata);
    state.objects.deployments.insert(name, deployment.clone());
    object(&deployment)
}

async fn delete_deployment(Extract(state): Extract<Shared>, Path((_, name)): Path<(String, String)>) -> Response {
    let mut state = state.lock().await;
    let Some(deployment) = state.objects.deployments.remove(&name) else {
        return not_found("deployments.apps", &name);
    };
    delete_owned(&mut state, deployment.metadata.uid.as_deref().unwrap_or_default()).await;
    axum::Json(json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 200}))
        .into_response()
}

async fn list_pods(Extract(state): Extract<Shared>, Query(query): Query<ListQuery>) -> Response {
    let selector = match selector(&query) {
        Ok(selector) => selector,
        Err(answer) => return *answer,
    };
    let state = state.lock().await;
    let items: Vec<&Pod> =
        state.objects.pods.values().filter(|pod| selector.matches(pod.metadata.labels.as_ref())).collect();
    list("PodList", "v1", items)
}

async fn get_pod(Extract(state): Extract<Shared>, Path((_, name)): Path<(String, String)>) -> Response {
    match state.lock().await.objects.pods.get(&name) {
        Some(pod) => object(pod),
        None => not_found("pods", &name),
    }
}

async fn patch_pod(
    Extract(state): Extract<Shared>,
    Path((_, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().await;
    let Some(existing) = state.objects.pods.get(&name).cloned() else {
        return not_found("pods", &name);
    };
    let mut pod: Pod = match patched(&headers, &body, Some(&existing), &name) {
        Ok(pod) => pod,
        Err(answer) => return *answer,
    };
    pod.metadata.name = Some(name.clone());
    state.objects.stamp(&mut pod.metadata);
    state.objects.pods.insert(name, pod.clone());
    object(&pod)
}

async fn delete_pod(Extract(state): Extract<Shared>, Path((_, name)): Path<(String, String)>) -> Response {
    let mut state = state.lock().await;
    let Some(pod) = state.objects.pods.remove(&name) else {
        return not_found("pods", &name);
    };
    state.kubelet.stop(&name).await;
    object(&pod)
}

/// An object after a PATCH: server-side apply (`application/apply-patch+yaml`; JSON is YAML) creates or
/// merges the applied fields; a JSON merge patch (`application/merge-patch+json`) needs the object and
/// honours a `metadata.resourceVersion` in the patch as a precondition.
fn patched<T>(headers: &HeaderMap, body: &[u8], existing: Option<&T>, name: &str) -> Result<T, Refusal>
where
    T: serde::Serialize + DeserializeOwned + Metadata<Ty = ObjectMeta>,
{
    let content_type = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| Box::new(status(StatusCode::BAD_REQUEST, "BadRequest", &format!("the patch is not JSON: {e}"))))?;
    let current = existing.map(|object| serde_json::to_value(object).expect("objects serialize"));
    let mut target = match (content_type, current) {
        ("application/apply-patch+yaml", current) => current.unwrap_or(Value::Null),
        ("application/merge-patch+json", Some(current)) => {
            let wanted = patch.pointer("/metadata/resourceVersion").and_then(Value::as_str);
            let actual = current.pointer("/metadata/resourceVersion").and_then(Value::as_str);
            if wanted.is_some() && wanted != actual {
                return Err(Box::new(status(
                    StatusCode::CONFLICT,
                    "Conflict",
                    &format!("Operation cannot be fulfilled on {name:?}: the object has been modified"),
                )));
            }
            current
        }
        ("application/merge-patch+json", None) => return Err(Box::new(not_found("object", name))),
        (other, _) => {
            return Err(Box::new(status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                &format!("{other:?}"),
            )));
        }
    };
    let mut patch = patch;
    if let Some(metadata) = patch.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
    }
    merge(&mut target, &patch);
    let mut object: T = serde_json::from_value(target)
        .map_err(|e| Box::new(status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", &format!("invalid object: {e}"))))?;
    if let Some(existing) = existing {
        // What the server owns stays the server's.
        let kept = existing.metadata();
        let metadata = object.metadata_mut();
        metadata.uid = kept.uid.clone();
        metadata.creation_timestamp = kept.creation_timestamp.clone();
        metadata.resource_version = kept.resource_version.clone();
    }
    Ok(object)
}
