//! `/v1/functions`: create (multipart upload), list, show, download (`?download=true`), update, delete.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qinling_core::{CodeSource, Function, PackageOrigin};
use qinling_engine::{CodeRequest, FunctionRequest, FunctionUpdate, Scale};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::extract::{ApiPath, ApiQuery};
use crate::form::FunctionForm;
use crate::page::{PageQuery, next_link};
use crate::project::{Admin, Listing, Project};
use crate::{ApiError, AppState, json, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/functions", get(list).post(create))
        .route("/v1/functions/{id}", get(show).put(update).delete(delete))
        .route("/v1/functions/{id}/workers", get(workers))
        .route("/v1/functions/{id}/scale_up", post(scale_up))
        .route("/v1/functions/{id}/scale_down", post(scale_down))
        .route("/v1/functions/{id}/detach", post(detach))
}

#[derive(Serialize)]
struct FunctionBody {
    id: String,
    name: String,
    description: String,
    runtime_id: Option<String>,
    code: Value,
    entry: Option<String>,
    timeout: u64,
    memory_size: u64,
    cpu: u32,
    allowed_hosts: Vec<String>,
    count: i64,
    latest_version: i64,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<Function> for FunctionBody {
    fn from(function: Function) -> Self {
        let code = match &function.code {
            CodeSource::Package(package) => match &package.origin {
                PackageOrigin::Upload => json!({"source": "package", "md5sum": package.md5sum, "abi": package.abi}),
                PackageOrigin::Object { key } => {
                    json!({"source": "object", "key": key, "md5sum": package.md5sum, "abi": package.abi})
                }
                PackageOrigin::Swift { container, object } => json!({
                    "source": "swift",
                    "swift": {"container": container, "object": object},
                    "md5sum": package.md5sum,
                    "abi": package.abi,
                }),
            },
            CodeSource::Image { image } => json!({"source": "image", "image": image}),
        };
        Self {
            id: function.id.to_string(),
            name: function.name,
            description: function.description,
            runtime_id: function.runtime_id.map(|id| id.to_string()),
            code,
            entry: function.entry,
            timeout: function.limits.timeout.as_secs(),
            memory_size: function.limits.memory_size,
            cpu: function.limits.cpu,
            allowed_hosts: function.allowed_hosts.iter().map(ToString::to_string).collect(),
            count: function.count,
            latest_version: function.latest_version,
            project_id: function.project_id.to_string(),
            created_at: time::format(&function.created_at),
            updated_at: time::format(&function.updated_at),
        }
    }
}

#[derive(Serialize)]
struct FunctionList {
    functions: Vec<FunctionBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// `?download=true` asks for the package instead of the record.
#[derive(Deserialize)]
pub(crate) struct DownloadQuery {
    #[serde(default)]
    download: Option<String>,
}

impl DownloadQuery {
    pub(crate) fn wants_download(&self) -> bool {
        self.download.as_deref().is_some_and(truthy)
    }
}

/// Qinling's truthy strings for boolean query parameters.
fn truthy(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on" | "y" | "t")
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    request: Request,
) -> Result<(StatusCode, Json<FunctionBody>), ApiError> {
    let form = FunctionForm::read(request).await?;
    let runtime_id = match form.text("runtime_id").filter(|text| !text.is_empty()) {
        Some(name_or_id) => Some(state.engine.find_runtime(&project, &name_or_id).await?.id),
        None => None,
    };
    let request = FunctionRequest {
        name: form.text("name").unwrap_or_default(),
        description: form.text("description").unwrap_or_default(),
        runtime_id,
        code: form.code()?.unwrap_or(CodeRequest::Package { md5sum: None }),
        entry: form.text("entry").filter(|entry| !entry.is_empty()),
        limits: form.limits()?,
        allowed_hosts: form.allowed_hosts()?.unwrap_or_default(),
        package: form.package.clone(),
    };
    let function = state.engine.create_function(&project, request).await?;
    Ok((StatusCode::CREATED, Json(function.into())))
}

async fn list(
    State(state): State<AppState>,
    Listing(scope): Listing,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<FunctionList>, ApiError> {
    let page = query.page(|text| text.parse().ok())?;
    let limit = page.limit;
    let listed = state.engine.list_functions(&scope, page).await?;
    let next = limit.and_then(|limit| next_link(&headers, "/v1/functions", &[], limit, &listed));
    Ok(Json(FunctionList { functions: listed.items.into_iter().map(Into::into).collect(), next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<Response, ApiError> {
    let id = state.engine.find_function(&project, &id).await?.id;
    if query.wants_download() {
        let (function, package) = state.engine.download_function(&project, id).await?;
        let headers = [
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", function.id)),
        ];
        return Ok((headers, Body::from(package)).into_response());
    }
    Ok(Json(FunctionBody::from(state.engine.get_function(&project, id).await?)).into_response())
}

async fn update(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<Json<FunctionBody>, ApiError> {
    let id = state.engine.find_function(&project, &id).await?.id;
    let form = FunctionForm::read(request).await?;
    let update = FunctionUpdate {
        name: form.text("name"),
        description: form.text("description"),
        entry: form.text("entry"),
        code: form.code()?,
        limits: form.limits()?,
        allowed_hosts: form.allowed_hosts()?,
        package: form.package.clone(),
    };
    Ok(Json(state.engine.update_function(&project, id, update).await?.into()))
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_function(&project, state.engine.find_function(&project, &id).await?.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workers a function holds (Qinling's `function_id`, `worker_name` rows).
async fn workers(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let function = state.engine.find_function(&project, &id).await?;
    let workers: Vec<Value> = state
        .engine
        .function_workers(&project, function.id)
        .await?
        .into_iter()
        .map(|worker| {
            json!({
                "function_id": function.id.to_string(),
                "function_version": worker.version,
                "worker_name": worker.name,
            })
        })
        .collect();
    Ok(Json(json!({"workers": workers})))
}

/// The body of `scale_up` and `scale_down`: how many workers (default 1).
#[derive(Deserialize, Default)]
struct ScaleBody {
    #[serde(default, deserialize_with = "crate::lenient::option_i64")]
    count: Option<i64>,
}

/// The largest change one scaling request may make.
const MAX_SCALE_STEP: i64 = 100;

fn scale_count(body: &Bytes) -> Result<usize, ApiError> {
    let count = json::optional_body::<ScaleBody>(body)?.count.unwrap_or(1);
    if !(1..=MAX_SCALE_STEP).contains(&count) {
        return Err(ApiError::bad_request(format!("count must be between 1 and {MAX_SCALE_STEP}, not {count}")));
    }
    Ok(count as usize)
}

/// `scale_up`: gives the function's latest code more workers (container functions only).
async fn scale_up(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let function = state.engine.find_function(&project, &id).await?;
    state.engine.scale_function(&project, function.id, 0, Scale::Up(scale_count(&body)?)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `scale_down`: takes workers away, keeping one.
async fn scale_down(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let function = state.engine.find_function(&project, &id).await?;
    state.engine.scale_function(&project, function.id, 0, Scale::Down(scale_count(&body)?)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `detach`: lets go of every worker of the function's latest code.
async fn detach(
    State(state): State<AppState>,
    Admin(project): Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let function = state.engine.find_function(&project, &id).await?;
    state.engine.scale_function(&project, function.id, 0, Scale::Detach).await?;
    Ok(StatusCode::ACCEPTED)
}
