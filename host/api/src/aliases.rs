//! `/v1/aliases`: names for a function at a version; addressed by name.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use qinling_core::Alias;
use qinling_engine::{AliasUpdate, NewAlias};
use serde::{Deserialize, Serialize};

use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::page::{PageQuery, next_link};
use crate::project::Project;
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/aliases", get(list).post(create))
        .route("/v1/aliases/{name}", get(show).put(update).delete(delete))
}

#[derive(Serialize)]
struct AliasBody {
    id: String,
    name: String,
    description: String,
    function_id: String,
    function_version: i64,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<Alias> for AliasBody {
    fn from(alias: Alias) -> Self {
        Self {
            id: alias.id.to_string(),
            name: alias.name,
            description: alias.description,
            function_id: alias.function_id.to_string(),
            function_version: alias.function_version,
            project_id: alias.project_id.to_string(),
            created_at: time::format(&alias.created_at),
            updated_at: time::format(&alias.updated_at),
        }
    }
}

#[derive(Serialize)]
struct AliasList {
    function_aliases: Vec<AliasBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct CreateAlias {
    name: String,
    function_id: String,
    #[serde(default, deserialize_with = "crate::lenient::option_i64")]
    function_version: Option<i64>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct UpdateAlias {
    #[serde(default)]
    function_id: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::option_i64")]
    function_version: Option<i64>,
    #[serde(default)]
    description: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    ApiJson(body): ApiJson<CreateAlias>,
) -> Result<(StatusCode, Json<AliasBody>), ApiError> {
    let new = NewAlias {
        name: body.name,
        function_id: state.engine.find_function(&project, &body.function_id).await?.id,
        function_version: body.function_version.unwrap_or(0),
        description: body.description.unwrap_or_default(),
    };
    Ok((StatusCode::CREATED, Json(state.engine.create_alias(&project, new).await?.into())))
}

async fn list(
    State(state): State<AppState>,
    Project(project): Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<AliasList>, ApiError> {
    let page = query.page(|name| Some(name.to_owned()))?;
    let limit = page.limit;
    let listed = state.engine.list_aliases(&project, page).await?;
    let next = limit.and_then(|limit| next_link(&headers, "/v1/aliases", &[], limit, &listed));
    Ok(Json(AliasList { function_aliases: listed.items.into_iter().map(Into::into).collect(), next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<AliasBody>, ApiError> {
    Ok(Json(state.engine.get_alias(&project, &name).await?.into()))
}

async fn update(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateAlias>,
) -> Result<Json<AliasBody>, ApiError> {
    let update = AliasUpdate {
        function_id: match body.function_id.as_deref() {
            Some(name_or_id) => Some(state.engine.find_function(&project, name_or_id).await?.id),
            None => None,
        },
        function_version: body.function_version,
        description: body.description,
    };
    Ok(Json(state.engine.update_alias(&project, &name, update).await?.into()))
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_alias(&project, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
