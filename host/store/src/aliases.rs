//! Aliases: names for a function at a version, unique per project.

use qinling_core::{Alias, Page, ProjectId};
use sqlx::any::AnyRow;

use crate::rows::{self, get, stamp};
use crate::{Store, StoreError, Users};

const TABLE: &str = "function_aliases";

/// `SELECT <every column> FROM function_aliases <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, name, function_id, function_version, description, created_at, updated_at \
             FROM function_aliases ",
            $rest
        )
    };
}

impl Store {
    /// Stores a new alias; `false` when the project already has one with that name.
    pub async fn insert_alias(&self, alias: &Alias) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO function_aliases (id, project_id, name, function_id, function_version, description, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (project_id, name) DO NOTHING",
        )
        .bind(alias.id.to_string())
        .bind(alias.project_id.as_str())
        .bind(&alias.name)
        .bind(alias.function_id.to_string())
        .bind(alias.function_version)
        .bind(&alias.description)
        .bind(stamp(alias.created_at))
        .bind(stamp(alias.updated_at))
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get_alias(&self, project: &ProjectId, name: &str) -> Result<Option<Alias>, StoreError> {
        let row = sqlx::query(select!("WHERE project_id = $1 AND name = $2"))
            .bind(project.as_str())
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(alias_from_row).transpose()
    }

    /// A page of a project's aliases, newest first; the marker is an alias name.
    pub async fn list_aliases(&self, project: &ProjectId, page: &Page<String>) -> Result<Vec<Alias>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE project_id = $1 AND ($2 IS NULL OR (created_at, id) < \
             (SELECT created_at, id FROM function_aliases WHERE project_id = $1 AND name = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(project.as_str())
        .bind(page.marker.as_deref())
        .bind(page.fetch_limit())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(alias_from_row).collect()
    }

    /// Writes back an alias's target and description; `false` when it no longer exists.
    pub async fn update_alias(&self, alias: &Alias) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE function_aliases SET function_id = $1, function_version = $2, description = $3, updated_at = $4 \
             WHERE project_id = $5 AND name = $6",
        )
        .bind(alias.function_id.to_string())
        .bind(alias.function_version)
        .bind(&alias.description)
        .bind(stamp(alias.updated_at))
        .bind(alias.project_id.as_str())
        .bind(&alias.name)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes an alias unless a job or webhook targets it. `Ok(Err(users))`: refused.
    pub async fn delete_alias(&self, project: &ProjectId, name: &str) -> Result<Result<bool, Users>, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(project.as_str()).bind(name);
        let users = Users {
            jobs: count(
                "SELECT COUNT(*) FROM jobs WHERE project_id = $1 AND function_alias = $2 AND status IN ('running', 'paused')",
            )
            .fetch_one(&mut *tx)
            .await?,
            webhooks: count("SELECT COUNT(*) FROM webhooks WHERE project_id = $1 AND function_alias = $2")
                .fetch_one(&mut *tx)
                .await?,
            aliases: 0,
        };
        if users.any() {
            return Ok(Err(users));
        }
        let done = sqlx::query("DELETE FROM function_aliases WHERE project_id = $1 AND name = $2")
            .bind(project.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() == 1))
    }
}

fn alias_from_row(row: &AnyRow) -> Result<Alias, StoreError> {
    Ok(Alias {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        name: get(row, TABLE, "name")?,
        function_id: rows::id(row, TABLE, "function_id")?,
        function_version: get(row, TABLE, "function_version")?,
        description: get(row, TABLE, "description")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use qinling_core::AliasId;

    use super::*;
    use crate::testing::{function, stores};

    #[tokio::test]
    async fn alias_names_are_unique_per_project_and_round_trip() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let now = Utc::now();
            let mut alias = Alias {
                id: AliasId::new(),
                project_id: function.project_id.clone(),
                name: "prod".into(),
                function_id: function.id,
                function_version: 0,
                description: String::new(),
                created_at: now,
                updated_at: now,
            };
            assert!(store.insert_alias(&alias).await.unwrap());
            assert!(!store.insert_alias(&Alias { id: AliasId::new(), ..alias.clone() }).await.unwrap());
            alias.description = "production".into();
            assert!(store.update_alias(&alias).await.unwrap());
            let project = &function.project_id;
            assert_eq!(store.get_alias(project, "prod").await.unwrap(), Some(alias.clone()));
            assert_eq!(store.list_aliases(project, &Page::all()).await.unwrap(), vec![alias.clone()]);
            assert_eq!(
                store.delete_function(project, function.id).await.unwrap(),
                Err(Users { aliases: 1, ..Default::default() })
            );
            assert_eq!(store.delete_alias(project, "prod").await.unwrap(), Ok(true));
            assert_eq!(store.delete_alias(project, "prod").await.unwrap(), Ok(false));
        }
    }
}
