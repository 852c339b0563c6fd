//! `/v1/executions`: create (sync), list (by `function_id`, `status`), show, delete, and `/log` as text.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use qinling_core::{
    Condition, ConditionError, Execution, ExecutionFilter, ExecutionId, ExecutionStatus, FunctionId, ProjectScope,
};
use qinling_engine::NewExecution;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::page::{PageQuery, next_link};
use crate::project::{Listing, Project};
use crate::target::TargetFields;
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/executions", get(list).post(create))
        .route("/v1/executions/{id}", get(show).delete(delete))
        .route("/v1/executions/{id}/log", get(log))
}

#[derive(Serialize)]
struct ExecutionBody {
    id: String,
    function_id: String,
    function_version: i64,
    function_alias: Option<String>,
    description: String,
    /// As Qinling showed it: the input's JSON text, or the text itself when the input was a string.
    input: String,
    result: Value,
    status: &'static str,
    sync: bool,
    project_id: String,
    created_at: String,
    updated_at: String,
}

impl From<Execution> for ExecutionBody {
    fn from(execution: Execution) -> Self {
        let result = match &execution.result {
            None => json!({}),
            Some(result) => {
                // A successful output is JSON text (checked before it was recorded); a failure is a message.
                let output = match execution.status {
                    ExecutionStatus::Success => {
                        serde_json::from_str(&result.output).unwrap_or_else(|_| Value::String(result.output.clone()))
                    }
                    _ => Value::String(result.output.clone()),
                };
                json!({"output": output, "duration": round_micros(result.duration.as_secs_f64())})
            }
        };
        let input = match serde_json::from_str::<Value>(&execution.input) {
            Ok(Value::String(text)) => text,
            _ => execution.input,
        };
        Self {
            id: execution.id.to_string(),
            function_id: execution.function_id.to_string(),
            function_version: execution.function_version,
            function_alias: execution.function_alias,
            description: execution.description,
            input,
            result,
            status: execution.status.as_str(),
            sync: execution.sync,
            project_id: execution.project_id.to_string(),
            created_at: time::format(&execution.created_at),
            updated_at: time::format(&execution.updated_at),
        }
    }
}

fn round_micros(secs: f64) -> f64 {
    (secs * 1e6).round() / 1e6
}

#[derive(Serialize)]
struct ExecutionList {
    executions: Vec<ExecutionBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct CreateExecution {
    #[serde(flatten)]
    target: TargetFields,
    /// A JSON value, or JSON text (Qinling's client sends text).
    #[serde(default)]
    input: Option<Value>,
    #[serde(default = "default_sync")]
    sync: bool,
    #[serde(default)]
    description: Option<String>,
}

fn default_sync() -> bool {
    true
}

#[derive(Deserialize)]
struct ListQuery {
    function_id: Option<String>,
    status: Option<String>,
    description: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// A filter parameter: a value, or Qinling's `eq:`, `neq:`, `in:` and `nin:` forms.
fn condition<T>(
    field: &str,
    text: Option<&str>,
    parse: impl FnMut(&str) -> Result<T, String>,
) -> Result<Option<Condition<T>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    Condition::parse(text, parse).map(Some).map_err(|e| match e {
        ConditionError::Operator(operator) => {
            ApiError::bad_request(format!("the {operator} filter does not apply to {field}; use eq, neq, in or nin"))
        }
        ConditionError::Value(why) => ApiError::bad_request(format!("{field}: {why}")),
    })
}

fn execution_id(text: &str) -> Result<ExecutionId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(format!("execution {text} not found")))
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    ApiJson(body): ApiJson<CreateExecution>,
) -> Result<(StatusCode, Json<ExecutionBody>), ApiError> {
    let input = match body.input {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(value) => Some(value.to_string()),
    };
    let new = NewExecution {
        target: body.target.required(&state.engine, &project).await?,
        input,
        sync: body.sync,
        description: body.description.unwrap_or_default(),
    };
    let execution = state.engine.create_execution(&project, new).await?;
    Ok((StatusCode::CREATED, Json(execution.into())))
}

async fn list(
    State(state): State<AppState>,
    Project(project): Project,
    Listing(scope): Listing,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ExecutionList>, ApiError> {
    // Qinling's client passes function names here too: resolve each to its id, in the listed project
    // (across all projects, ids are taken as they are and names are the caller's project's).
    let functions = condition("function_id", query.function_id.as_deref(), |text| Ok(text.to_owned()))?;
    let function_id = match functions {
        None => None,
        Some(condition) => {
            let names = match &condition {
                Condition::Eq(name) | Condition::Neq(name) => std::slice::from_ref(name),
                Condition::In(names) | Condition::NotIn(names) => names.as_slice(),
            };
            let mut ids = std::collections::HashMap::new();
            for name in names {
                let id = match (name.parse::<FunctionId>(), &scope) {
                    (Ok(id), ProjectScope::All) => id,
                    _ => state.engine.find_function(scope.project().unwrap_or(&project), name).await?.id,
                };
                ids.insert(name.clone(), id);
            }
            Some(condition.map(|name| ids[name]))
        }
    };
    let filter = ExecutionFilter {
        function_id,
        status: condition("status", query.status.as_deref(), |text| {
            ExecutionStatus::parse(text)
                .ok_or_else(|| format!("must be running, success, failed or error, not {text:?}"))
        })?,
        description: condition("description", query.description.as_deref(), |text| Ok(text.to_owned()))?,
    };
    let page = query.page.page(|text| text.parse().ok())?;
    let limit = page.limit.unwrap_or(qinling_engine::DEFAULT_EXECUTION_PAGE);
    let listed = state.engine.list_executions(&scope, &filter, page).await?;
    let filters = [("function_id", query.function_id), ("status", query.status), ("description", query.description)];
    let next = next_link(&headers, "/v1/executions", &filters, limit, &listed);
    Ok(Json(ExecutionList { executions: listed.items.into_iter().map(Into::into).collect(), next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExecutionBody>, ApiError> {
    Ok(Json(state.engine.get_execution(&project, execution_id(&id)?).await?.into()))
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_execution(&project, execution_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn log(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let log = state.engine.execution_log(&project, execution_id(&id)?).await?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], log))
}
