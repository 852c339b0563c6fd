//! `/v1/jobs`: periodic and one-shot executions.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use qinling_core::{Job, JobId, JobStatus};
use qinling_engine::{JobUpdate, NewJob};
use serde::{Deserialize, Serialize};

use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::page::{PageQuery, next_link};
use crate::project::{Listing, Project};
use crate::target::{TargetFields, fields};
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/v1/jobs", get(list).post(create)).route("/v1/jobs/{id}", get(show).put(update).delete(delete))
}

#[derive(Serialize)]
struct JobBody {
    id: String,
    name: String,
    function_id: Option<String>,
    function_alias: Option<String>,
    function_version: Option<i64>,
    function_input: Option<String>,
    pattern: Option<String>,
    status: &'static str,
    count: Option<i64>,
    first_execution_time: Option<String>,
    next_execution_time: String,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<Job> for JobBody {
    fn from(job: Job) -> Self {
        let (function_id, function_version, function_alias) = fields(&job.target);
        Self {
            id: job.id.to_string(),
            name: job.name,
            function_id,
            function_alias,
            function_version,
            function_input: job.function_input,
            pattern: job.pattern,
            status: job.status.as_str(),
            count: job.count,
            first_execution_time: job.first_execution_time.as_ref().map(time::format_job),
            next_execution_time: time::format_job(&job.next_execution_time),
            project_id: job.project_id.to_string(),
            created_at: time::format(&job.created_at),
            updated_at: time::format(&job.updated_at),
        }
    }
}

#[derive(Serialize)]
struct JobList {
    jobs: Vec<JobBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct CreateJob {
    #[serde(flatten)]
    target: TargetFields,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    function_input: Option<serde_json::Value>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    first_execution_time: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::option_i64")]
    count: Option<i64>,
}

#[derive(Deserialize)]
struct UpdateJob {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    function_input: Option<serde_json::Value>,
    #[serde(default)]
    next_execution_time: Option<String>,
}

fn job_id(text: &str) -> Result<JobId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(format!("job {text} not found")))
}

/// Job input as Qinling stored it: text (JSON text when the client sent a JSON value).
fn input_text(value: Option<serde_json::Value>) -> Option<String> {
    match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    }
}

fn parse_time(field: &str, text: Option<String>) -> Result<Option<qinling_core::Timestamp>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|text| {
            time::parse(&text).ok_or_else(|| {
                ApiError::bad_request(format!("{field} {text:?} is not a time; use UTC \"YYYY-MM-DD HH:MM[:SS]\""))
            })
        })
        .transpose()
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    ApiJson(body): ApiJson<CreateJob>,
) -> Result<(StatusCode, Json<JobBody>), ApiError> {
    let new = NewJob {
        name: body.name.unwrap_or_default(),
        target: body.target.required(&state.engine, &project).await?,
        function_input: input_text(body.function_input),
        pattern: body.pattern.filter(|p| !p.trim().is_empty()),
        first_execution_time: parse_time("first_execution_time", body.first_execution_time)?,
        count: body.count,
    };
    Ok((StatusCode::CREATED, Json(state.engine.create_job(&project, new).await?.into())))
}

async fn list(
    State(state): State<AppState>,
    Listing(scope): Listing,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<JobList>, ApiError> {
    let page = query.page(|text| text.parse().ok())?;
    let limit = page.limit;
    let listed = state.engine.list_jobs(&scope, page).await?;
    let next = limit.and_then(|limit| next_link(&headers, "/v1/jobs", &[], limit, &listed));
    Ok(Json(JobList { jobs: listed.items.into_iter().map(Into::into).collect(), next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<JobBody>, ApiError> {
    Ok(Json(state.engine.get_job(&project, job_id(&id)?).await?.into()))
}

async fn update(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateJob>,
) -> Result<Json<JobBody>, ApiError> {
    let status = body
        .status
        .map(|text| {
            JobStatus::parse(&text).ok_or_else(|| {
                ApiError::bad_request(format!("status must be running, paused or cancelled, not {text:?}"))
            })
        })
        .transpose()?;
    let update = JobUpdate {
        name: body.name,
        status,
        pattern: body.pattern,
        function_input: input_text(body.function_input),
        next_execution_time: parse_time("next_execution_time", body.next_execution_time)?,
    };
    Ok(Json(state.engine.update_job(&project, job_id(&id)?, update).await?.into()))
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_job(&project, job_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
