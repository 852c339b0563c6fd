//! `/v1/runtimes`: create, list, show, update, delete.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use qinling_core::{NewRuntime, Runtime, RuntimeKind, RuntimePatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::page::{PageQuery, next_link};
use crate::project::{Admin, Project};
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/runtimes", get(list).post(create))
        .route("/v1/runtimes/{id}", get(show).put(update).delete(delete))
        .route("/v1/runtimes/{id}/pool", get(pool))
}

#[derive(Serialize)]
pub(crate) struct RuntimeBody {
    id: String,
    name: String,
    description: String,
    kind: &'static str,
    image: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_reason: Option<String>,
    is_public: bool,
    trusted: bool,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<Runtime> for RuntimeBody {
    fn from(runtime: Runtime) -> Self {
        Self {
            id: runtime.id.to_string(),
            name: runtime.name,
            description: runtime.description,
            kind: runtime.kind.as_str(),
            image: runtime.image,
            status: runtime.status.as_str(),
            status_reason: runtime.status_reason,
            is_public: runtime.is_public,
            trusted: runtime.trusted,
            project_id: runtime.project_id.to_string(),
            created_at: time::format(&runtime.created_at),
            updated_at: time::format(&runtime.updated_at),
        }
    }
}

#[derive(Serialize)]
struct RuntimeList {
    runtimes: Vec<RuntimeBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// Qinling's client sends `name`, `image`, `is_public` and `trusted`; `kind` is ours and optional.
#[derive(Deserialize)]
struct CreateRuntime {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    image: String,
    #[serde(default)]
    is_public: Option<bool>,
    #[serde(default)]
    trusted: Option<bool>,
}

#[derive(Deserialize)]
struct UpdateRuntime {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    is_public: Option<bool>,
    #[serde(default)]
    trusted: Option<bool>,
}

fn parse_kind(kind: Option<String>) -> Result<Option<RuntimeKind>, ApiError> {
    kind.map(|text| {
        RuntimeKind::parse(&text)
            .ok_or_else(|| ApiError::bad_request(format!("kind must be \"wasm\" or \"container\", not {text:?}")))
    })
    .transpose()
}

async fn create(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiJson(body): ApiJson<CreateRuntime>,
) -> Result<(StatusCode, Json<RuntimeBody>), ApiError> {
    let new = NewRuntime {
        name: body.name.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        kind: parse_kind(body.kind)?,
        image: body.image,
        is_public: body.is_public.unwrap_or(true),
        trusted: body.trusted.unwrap_or(true),
    };
    let runtime = state.engine.create_runtime(&project, new).await?;
    Ok((StatusCode::CREATED, Json(runtime.into())))
}

async fn list(
    State(state): State<AppState>,
    Project(project): Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<RuntimeList>, ApiError> {
    let page = query.page(|text| text.parse().ok())?;
    let limit = page.limit;
    let listed = state.engine.list_runtimes(&project, page).await?;
    let next = limit.and_then(|limit| next_link(&headers, "/v1/runtimes", &[], limit, &listed));
    Ok(Json(RuntimeList { runtimes: listed.items.into_iter().map(Into::into).collect(), next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RuntimeBody>, ApiError> {
    Ok(Json(state.engine.get_runtime(&project, state.engine.find_runtime(&project, &id).await?.id).await?.into()))
}

async fn update(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRuntime>,
) -> Result<Json<RuntimeBody>, ApiError> {
    let patch = RuntimePatch {
        name: body.name,
        description: body.description,
        image: body.image,
        is_public: body.is_public,
        trusted: body.trusted,
    };
    Ok(Json(
        state.engine.update_runtime(&project, state.engine.find_runtime(&project, &id).await?.id, patch).await?.into(),
    ))
}

async fn delete(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_runtime(&project, state.engine.find_runtime(&project, &id).await?.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The runtime's capacity: for a Wasm runtime, the instance pool's slots; for a container runtime, its
/// pool of workers (total, and idle ready ones).
async fn pool(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = state.engine.find_runtime(&project, &id).await?.id;
    let capacity = state.engine.runtime_capacity(&project, id).await?;
    Ok(Json(json!({"name": id.to_string(), "capacity": {"total": capacity.total, "available": capacity.available}})))
}
