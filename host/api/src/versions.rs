//! `/v1/functions/{id}/versions`: create, list, show, download (`?download=true`), delete, and detach (let
//! go of the version's container workers).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qinling_core::FunctionVersion;
use qinling_engine::Scale;
use serde::{Deserialize, Serialize};

use crate::extract::{ApiPath, ApiQuery};
use crate::functions::DownloadQuery;
use crate::json;
use crate::project::Project;
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/functions/{id}/versions", get(list).post(create))
        .route("/v1/functions/{id}/versions/{version}", get(show).delete(delete))
        .route("/v1/functions/{id}/versions/{version}/detach", post(detach))
}

#[derive(Serialize)]
struct VersionBody {
    id: String,
    function_id: String,
    version_number: i64,
    description: String,
    count: i64,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<FunctionVersion> for VersionBody {
    fn from(version: FunctionVersion) -> Self {
        Self {
            id: version.id.to_string(),
            function_id: version.function_id.to_string(),
            version_number: version.version_number,
            description: version.description,
            count: version.count,
            project_id: version.project_id.to_string(),
            created_at: time::format(&version.created_at),
            updated_at: time::format(&version.updated_at),
        }
    }
}

#[derive(Serialize)]
struct VersionList {
    function_versions: Vec<VersionBody>,
}

#[derive(Deserialize, Default)]
struct CreateVersion {
    #[serde(default)]
    description: Option<String>,
}

fn version_number(text: &str) -> Result<i64, ApiError> {
    match text.parse::<i64>() {
        Ok(number) if number >= 1 => Ok(number),
        _ => Err(ApiError::not_found(format!("function version {text} not found (versions are numbered from 1)"))),
    }
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<VersionBody>), ApiError> {
    let description = json::optional_body::<CreateVersion>(&body)?.description.unwrap_or_default();
    let version = state
        .engine
        .create_version(&project, state.engine.find_function(&project, &id).await?.id, &description)
        .await?;
    Ok((StatusCode::CREATED, Json(version.into())))
}

async fn list(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VersionList>, ApiError> {
    let versions = state.engine.list_versions(&project, state.engine.find_function(&project, &id).await?.id).await?;
    Ok(Json(VersionList { function_versions: versions.into_iter().map(Into::into).collect() }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<Response, ApiError> {
    let (id, number) = (state.engine.find_function(&project, &id).await?.id, version_number(&version)?);
    if query.wants_download() {
        let (version, package) = state.engine.download_version(&project, id, number).await?;
        let headers = [
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}_{}\"", version.function_id, version.version_number),
            ),
        ];
        return Ok((headers, Body::from(package)).into_response());
    }
    Ok(Json(VersionBody::from(state.engine.get_version(&project, id, number).await?)).into_response())
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .delete_version(&project, state.engine.find_function(&project, &id).await?.id, version_number(&version)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn detach(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (function, number) = (state.engine.find_function(&project, &id).await?.id, version_number(&version)?);
    state.engine.scale_function(&project, function, number, Scale::Detach).await?;
    Ok(StatusCode::ACCEPTED)
}
