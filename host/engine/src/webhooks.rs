//! Webhooks: a URL that runs a function (or alias) asynchronously with the request body as input. The
//! invoke URL needs no credentials and acts for the webhook's owner.

use chrono::Utc;
use qinling_core::{Execution, FunctionId, Page, ProjectId, ProjectScope, Target, Webhook, WebhookId};

use crate::{Engine, EngineError, Listed, NewExecution, validate};

/// A partial update, as Qinling's clients send it; `None` leaves a field as it is. An alias replaces the
/// target; a function id and/or version retargets to that function (a new function's latest code if no
/// version is given).
#[derive(Clone, Debug, Default)]
pub struct WebhookUpdate {
    pub function_id: Option<FunctionId>,
    pub function_version: Option<i64>,
    pub function_alias: Option<String>,
    pub description: Option<String>,
}

impl Engine {
    pub async fn create_webhook(
        &self,
        project: &ProjectId,
        target: Target,
        description: String,
    ) -> Result<Webhook, EngineError> {
        validate::text("description", &description)?;
        self.check_target(project, &target).await?;
        let now = Utc::now();
        let webhook = Webhook {
            id: WebhookId::new(),
            project_id: project.clone(),
            target,
            description,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook(&webhook).await?;
        Ok(webhook)
    }

    pub async fn get_webhook(&self, project: &ProjectId, id: WebhookId) -> Result<Webhook, EngineError> {
        self.store.get_webhook(Some(project), id).await?.ok_or_else(|| EngineError::not_found("webhook", id))
    }

    pub async fn list_webhooks(
        &self,
        scope: &ProjectScope,
        page: Page<WebhookId>,
    ) -> Result<Listed<Webhook>, EngineError> {
        // Across all projects a marker is any id; an unknown one gives an empty page.
        if let (Some(marker), Some(project)) = (page.marker, scope.project()) {
            self.get_webhook(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not a webhook")))?;
        }
        let items = self.store.list_webhooks(scope, &page).await?;
        Ok(Listed::page(&page, items, |webhook| webhook.id.to_string()))
    }

    pub async fn update_webhook(
        &self,
        project: &ProjectId,
        id: WebhookId,
        update: WebhookUpdate,
    ) -> Result<Webhook, EngineError> {
        let mut webhook = self.get_webhook(project, id).await?;
        if let Some(description) = update.description {
            validate::text("description", &description)?;
            webhook.description = description;
        }
        let target = match (update.function_alias, update.function_id, update.function_version) {
            (Some(alias), _, _) => Some(Target::Alias(alias)),
            (None, None, None) => None,
            (None, id, version) => {
                let current = webhook.target.function_id();
                let id = id.or(current).ok_or_else(|| {
                    EngineError::Invalid("this webhook targets an alias; give a function_id to retarget it".into())
                })?;
                let version = version.unwrap_or(match webhook.target {
                    Target::Function { id: same, version } if same == id => version,
                    _ => 0,
                });
                Some(Target::Function { id, version })
            }
        };
        if let Some(target) = target {
            self.check_target(project, &target).await?;
            webhook.target = target;
        }
        webhook.updated_at = Utc::now();
        if !self.store.update_webhook(&webhook).await? {
            return Err(EngineError::not_found("webhook", id));
        }
        Ok(webhook)
    }

    pub async fn delete_webhook(&self, project: &ProjectId, id: WebhookId) -> Result<(), EngineError> {
        if self.store.delete_webhook(project, id).await? { Ok(()) } else { Err(EngineError::not_found("webhook", id)) }
    }

    /// Runs a webhook's target asynchronously with `body` as input, as the webhook's owner.
    pub async fn invoke_webhook(&self, id: WebhookId, body: Option<String>) -> Result<Execution, EngineError> {
        let webhook = self.store.get_webhook(None, id).await?.ok_or_else(|| EngineError::not_found("webhook", id))?;
        let new = NewExecution {
            target: webhook.target,
            input: body,
            sync: false,
            description: format!("created by webhook {id}"),
        };
        self.create_execution(&webhook.project_id, new).await
    }
}
