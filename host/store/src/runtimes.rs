//! Runtime records.

use qinling_core::{Page, ProjectId, Runtime, RuntimeId, RuntimeKind, RuntimeStatus};
use sqlx::any::AnyRow;

use crate::rows::{self, get, stamp};
use crate::{Store, StoreError};

const TABLE: &str = "runtimes";

/// `SELECT <every column> FROM runtimes <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, name, description, kind, image, status, status_reason, is_public, trusted, \
             created_at, updated_at FROM runtimes ",
            $rest
        )
    };
}

impl Store {
    pub async fn insert_runtime(&self, runtime: &Runtime) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO runtimes (id, project_id, name, description, kind, image, status, status_reason, is_public, \
             trusted, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(runtime.id.to_string())
        .bind(runtime.project_id.as_str())
        .bind(&runtime.name)
        .bind(&runtime.description)
        .bind(runtime.kind.as_str())
        .bind(&runtime.image)
        .bind(runtime.status.as_str())
        .bind(&runtime.status_reason)
        .bind(i64::from(runtime.is_public))
        .bind(i64::from(runtime.trusted))
        .bind(stamp(runtime.created_at))
        .bind(stamp(runtime.updated_at))
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// A runtime the project may use: its own, or a public one.
    pub async fn get_runtime(&self, project: &ProjectId, id: RuntimeId) -> Result<Option<Runtime>, StoreError> {
        let row = sqlx::query(select!("WHERE id = $1 AND (project_id = $2 OR is_public = 1)"))
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(runtime_from_row).transpose()
    }

    /// Up to `limit` runtimes the project may use with this name (names need not be unique).
    pub async fn runtimes_named(
        &self,
        project: &ProjectId,
        name: &str,
        limit: i64,
    ) -> Result<Vec<Runtime>, StoreError> {
        let rows =
            sqlx::query(select!("WHERE (project_id = $1 OR is_public = 1) AND name = $2 ORDER BY created_at LIMIT $3"))
                .bind(project.as_str())
                .bind(name)
                .bind(limit)
                .fetch_all(&self.db)
                .await?;
        rows.iter().map(runtime_from_row).collect()
    }

    /// A page of the runtimes a project may use (its own and the public ones), newest first.
    pub async fn list_runtimes(&self, project: &ProjectId, page: &Page<RuntimeId>) -> Result<Vec<Runtime>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE (project_id = $1 OR is_public = 1) \
             AND ($2 IS NULL OR (created_at, id) < (SELECT created_at, id FROM runtimes WHERE id = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(project.as_str())
        .bind(page.marker.map(|id| id.to_string()))
        .bind(page.fetch_limit())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(runtime_from_row).collect()
    }

    /// Writes back the mutable fields of a runtime; `false` when it no longer exists.
    pub async fn update_runtime(&self, runtime: &Runtime) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runtimes SET name = $1, description = $2, image = $3, status = $4, is_public = $5, trusted = $6, \
             updated_at = $7, status_reason = $10 WHERE id = $8 AND project_id = $9",
        )
        .bind(&runtime.name)
        .bind(&runtime.description)
        .bind(&runtime.image)
        .bind(runtime.status.as_str())
        .bind(i64::from(runtime.is_public))
        .bind(i64::from(runtime.trusted))
        .bind(stamp(runtime.updated_at))
        .bind(runtime.id.to_string())
        .bind(runtime.project_id.as_str())
        .bind(&runtime.status_reason)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how provisioning a runtime's pool went, unless the runtime's image changed meanwhile (a
    /// newer provisioning then owns the status); `false` when nothing was updated.
    pub async fn set_runtime_status(
        &self,
        id: RuntimeId,
        image: &str,
        status: RuntimeStatus,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runtimes SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4 AND image = $5",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(stamp(chrono::Utc::now()))
        .bind(id.to_string())
        .bind(image)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every container runtime of every project (their pools are reconciled when the server starts).
    pub async fn container_runtimes(&self) -> Result<Vec<Runtime>, StoreError> {
        let rows = sqlx::query(select!("WHERE kind = 'container' ORDER BY created_at")).fetch_all(&self.db).await?;
        rows.iter().map(runtime_from_row).collect()
    }

    /// Deletes a runtime unless a function still uses it. `Ok(Err(n))`: refused, `n` functions use it.
    pub async fn delete_runtime(&self, project: &ProjectId, id: RuntimeId) -> Result<Result<bool, i64>, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM functions WHERE runtime_id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        if users > 0 {
            return Ok(Err(users));
        }
        let done = sqlx::query("DELETE FROM runtimes WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() == 1))
    }
}

fn runtime_from_row(row: &AnyRow) -> Result<Runtime, StoreError> {
    Ok(Runtime {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        name: get(row, TABLE, "name")?,
        description: get(row, TABLE, "description")?,
        kind: rows::parse(row, TABLE, "kind", RuntimeKind::parse)?,
        image: get(row, TABLE, "image")?,
        status: rows::parse(row, TABLE, "status", RuntimeStatus::parse)?,
        status_reason: get(row, TABLE, "status_reason")?,
        is_public: rows::flag(row, TABLE, "is_public")?,
        trusted: rows::flag(row, TABLE, "trusted")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{runtime, stores};

    #[tokio::test]
    async fn private_runtimes_stay_in_their_project_and_public_ones_are_everyone_s() {
        for (store, _dir) in stores().await {
            let project = ProjectId::default();
            let runtime = Runtime { is_public: false, ..runtime(&project) };
            store.insert_runtime(&runtime).await.unwrap();
            assert_eq!(store.get_runtime(&project, runtime.id).await.unwrap(), Some(runtime.clone()));
            assert_eq!(store.list_runtimes(&project, &Page::all()).await.unwrap(), vec![runtime.clone()]);
            let other = ProjectId::new("other");
            assert_eq!(store.get_runtime(&other, runtime.id).await.unwrap(), None);
            assert!(store.list_runtimes(&other, &Page::all()).await.unwrap().is_empty());
            assert_eq!(store.runtimes_named(&project, "wasm", 2).await.unwrap(), vec![runtime.clone()]);
            assert!(store.runtimes_named(&project, "python", 2).await.unwrap().is_empty());
            assert!(store.runtimes_named(&other, "wasm", 2).await.unwrap().is_empty());

            let public = crate::testing::runtime(&project);
            assert!(public.is_public);
            store.insert_runtime(&public).await.unwrap();
            assert_eq!(store.get_runtime(&other, public.id).await.unwrap(), Some(public.clone()));
            assert_eq!(store.list_runtimes(&other, &Page::all()).await.unwrap(), vec![public.clone()]);
            assert_eq!(store.runtimes_named(&other, "wasm", 2).await.unwrap(), vec![public.clone()]);
            assert_eq!(
                store.delete_runtime(&other, public.id).await.unwrap(),
                Ok(false),
                "only its project deletes it"
            );
        }
    }

    #[tokio::test]
    async fn provisioning_sets_the_status_of_the_image_it_provisioned() {
        for (store, _dir) in stores().await {
            let project = ProjectId::default();
            let mut runtime = runtime(&project);
            runtime.kind = RuntimeKind::Container;
            runtime.image = "qinling/python3:1".into();
            runtime.status = RuntimeStatus::Creating;
            store.insert_runtime(&runtime).await.unwrap();
            store.insert_runtime(&crate::testing::runtime(&project)).await.unwrap();
            assert_eq!(store.container_runtimes().await.unwrap(), vec![runtime.clone()]);

            assert!(
                store
                    .set_runtime_status(runtime.id, &runtime.image, RuntimeStatus::Error, Some("no such image"))
                    .await
                    .unwrap()
            );
            let stored = store.get_runtime(&project, runtime.id).await.unwrap().unwrap();
            assert_eq!((stored.status, stored.status_reason.as_deref()), (RuntimeStatus::Error, Some("no such image")));
            assert!(
                !store
                    .set_runtime_status(runtime.id, "qinling/python3:0", RuntimeStatus::Available, None)
                    .await
                    .unwrap(),
                "an older image's provisioning does not decide"
            );
        }
    }

    #[tokio::test]
    async fn updates_and_deletes_report_whether_the_runtime_existed() {
        for (store, _dir) in stores().await {
            let project = ProjectId::default();
            let mut runtime = runtime(&project);
            store.insert_runtime(&runtime).await.unwrap();
            runtime.name = "renamed".into();
            assert!(store.update_runtime(&runtime).await.unwrap());
            assert_eq!(store.get_runtime(&project, runtime.id).await.unwrap().unwrap().name, "renamed");
            assert_eq!(store.delete_runtime(&project, runtime.id).await.unwrap(), Ok(true));
            assert_eq!(store.delete_runtime(&project, runtime.id).await.unwrap(), Ok(false));
            assert!(!store.update_runtime(&runtime).await.unwrap());
        }
    }
}
