//! Webhooks: URLs that run a function (or alias) asynchronously with the request body as input.

use qinling_core::{Page, ProjectId, ProjectScope, Webhook, WebhookId};
use sqlx::any::AnyRow;

use crate::rows::{self, get, stamp};
use crate::{Store, StoreError};

const TABLE: &str = "webhooks";

/// `SELECT <every column> FROM webhooks <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, function_id, function_version, function_alias, description, created_at, \
             updated_at FROM webhooks ",
            $rest
        )
    };
}

impl Store {
    pub async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let (function_id, version, alias) = rows::target_columns(&webhook.target);
        sqlx::query(
            "INSERT INTO webhooks (id, project_id, function_id, function_version, function_alias, description, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(webhook.id.to_string())
        .bind(webhook.project_id.as_str())
        .bind(function_id)
        .bind(version)
        .bind(alias)
        .bind(&webhook.description)
        .bind(stamp(webhook.created_at))
        .bind(stamp(webhook.updated_at))
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// A webhook of `project`; with `None`, of any project (for the unauthenticated invoke URL).
    pub async fn get_webhook(&self, project: Option<&ProjectId>, id: WebhookId) -> Result<Option<Webhook>, StoreError> {
        let row = sqlx::query(select!("WHERE id = $1 AND ($2 IS NULL OR project_id = $2)"))
            .bind(id.to_string())
            .bind(project.map(ProjectId::as_str))
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(webhook_from_row).transpose()
    }

    /// A page of a project's webhooks, newest first.
    pub async fn list_webhooks(
        &self,
        scope: &ProjectScope,
        page: &Page<WebhookId>,
    ) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE ($1 IS NULL OR project_id = $1) \
             AND ($2 IS NULL OR (created_at, id) < (SELECT created_at, id FROM webhooks WHERE id = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(scope.filter())
        .bind(page.marker.map(|id| id.to_string()))
        .bind(page.fetch_limit())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    /// Writes back a webhook's target and description; `false` when it no longer exists.
    pub async fn update_webhook(&self, webhook: &Webhook) -> Result<bool, StoreError> {
        let (function_id, version, alias) = rows::target_columns(&webhook.target);
        let done = sqlx::query(
            "UPDATE webhooks SET function_id = $1, function_version = $2, function_alias = $3, description = $4, \
             updated_at = $5 WHERE id = $6 AND project_id = $7",
        )
        .bind(function_id)
        .bind(version)
        .bind(alias)
        .bind(&webhook.description)
        .bind(stamp(webhook.updated_at))
        .bind(webhook.id.to_string())
        .bind(webhook.project_id.as_str())
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_webhook(&self, project: &ProjectId, id: WebhookId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn webhook_from_row(row: &AnyRow) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        target: rows::target(row, TABLE)?,
        description: get(row, TABLE, "description")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use qinling_core::Target;

    use super::*;
    use crate::testing::{function, stores};

    #[tokio::test]
    async fn webhooks_round_trip_and_are_found_without_a_project_for_invoke() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let now = Utc::now();
            let mut webhook = Webhook {
                id: WebhookId::new(),
                project_id: function.project_id.clone(),
                target: Target::Function { id: function.id, version: 0 },
                description: "github push".into(),
                created_at: now,
                updated_at: now,
            };
            store.insert_webhook(&webhook).await.unwrap();
            let project = &function.project_id;
            assert_eq!(store.get_webhook(Some(project), webhook.id).await.unwrap(), Some(webhook.clone()));
            assert_eq!(store.get_webhook(None, webhook.id).await.unwrap(), Some(webhook.clone()));
            assert_eq!(store.get_webhook(Some(&ProjectId::new("other")), webhook.id).await.unwrap(), None);
            webhook.target = Target::Alias("prod".into());
            assert!(store.update_webhook(&webhook).await.unwrap());
            let scope = ProjectScope::One(project.clone());
            assert_eq!(store.list_webhooks(&scope, &Page::all()).await.unwrap(), vec![webhook.clone()]);
            assert!(store.delete_webhook(project, webhook.id).await.unwrap());
            assert!(!store.delete_webhook(project, webhook.id).await.unwrap());
        }
    }
}
