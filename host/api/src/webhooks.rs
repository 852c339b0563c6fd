//! `/v1/webhooks`: URLs that run a function asynchronously. `POST /v1/webhooks/{id}/invoke` needs no
//! credentials; the request body is the execution's input.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use qinling_core::{Webhook, WebhookId};
use qinling_engine::WebhookUpdate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::page::{PageQuery, next_link};
use crate::project::{Listing, Project};
use crate::root::base_url;
use crate::target::{TargetFields, fields};
use crate::{ApiError, AppState, time};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks", get(list).post(create))
        .route("/v1/webhooks/{id}", get(show).put(update).delete(delete))
}

/// Invoking a webhook needs no token: whoever has its URL runs its function as the webhook's owner.
pub(crate) fn invoke_routes() -> Router<AppState> {
    Router::new().route("/v1/webhooks/{id}/invoke", post(invoke))
}

#[derive(Serialize)]
struct WebhookBody {
    id: String,
    function_id: Option<String>,
    function_alias: Option<String>,
    function_version: Option<i64>,
    description: String,
    project_id: String,
    created_at: String,
    updated_at: String,
    webhook_url: String,
}

impl WebhookBody {
    fn new(webhook: Webhook, headers: &HeaderMap) -> Self {
        let (function_id, function_version, function_alias) = fields(&webhook.target);
        Self {
            webhook_url: format!("{}/v1/webhooks/{}/invoke", base_url(headers), webhook.id),
            id: webhook.id.to_string(),
            function_id,
            function_alias,
            function_version,
            description: webhook.description,
            project_id: webhook.project_id.to_string(),
            created_at: time::format(&webhook.created_at),
            updated_at: time::format(&webhook.updated_at),
        }
    }
}

#[derive(Serialize)]
struct WebhookList {
    webhooks: Vec<WebhookBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct CreateWebhook {
    #[serde(flatten)]
    target: TargetFields,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct UpdateWebhook {
    #[serde(flatten)]
    target: TargetFields,
    #[serde(default)]
    description: Option<String>,
}

fn webhook_id(text: &str) -> Result<WebhookId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(format!("webhook {text} not found")))
}

async fn create(
    State(state): State<AppState>,
    Project(project): Project,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookBody>), ApiError> {
    let webhook = state
        .engine
        .create_webhook(
            &project,
            body.target.required(&state.engine, &project).await?,
            body.description.unwrap_or_default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(WebhookBody::new(webhook, &headers))))
}

async fn list(
    State(state): State<AppState>,
    Listing(scope): Listing,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<WebhookList>, ApiError> {
    let page = query.page(|text| text.parse().ok())?;
    let limit = page.limit;
    let listed = state.engine.list_webhooks(&scope, page).await?;
    let next = limit.and_then(|limit| next_link(&headers, "/v1/webhooks", &[], limit, &listed));
    let webhooks = listed.items.into_iter().map(|webhook| WebhookBody::new(webhook, &headers)).collect();
    Ok(Json(WebhookList { webhooks, next }))
}

async fn show(
    State(state): State<AppState>,
    Project(project): Project,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WebhookBody>, ApiError> {
    Ok(Json(WebhookBody::new(state.engine.get_webhook(&project, webhook_id(&id)?).await?, &headers)))
}

async fn update(
    State(state): State<AppState>,
    Project(project): Project,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> Result<Json<WebhookBody>, ApiError> {
    let update = WebhookUpdate {
        function_id: match body.target.function_id.as_deref() {
            Some(name_or_id) => Some(state.engine.find_function(&project, name_or_id).await?.id),
            None => None,
        },
        function_version: body.target.function_version,
        function_alias: body.target.function_alias,
        description: body.description,
    };
    let webhook = state.engine.update_webhook(&project, webhook_id(&id)?, update).await?;
    Ok(Json(WebhookBody::new(webhook, &headers)))
}

async fn delete(
    State(state): State<AppState>,
    Project(project): Project,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_webhook(&project, webhook_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs the webhook's function with the body as input (no credentials needed: the URL is the secret).
async fn invoke(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = if body.is_empty() {
        None
    } else {
        Some(
            String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8 text"))?,
        )
    };
    let execution = state.engine.invoke_webhook(webhook_id(&id)?, input).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"execution_id": execution.id.to_string()}))))
}
