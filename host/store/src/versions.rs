//! Function versions: snapshots of a function's code and settings, numbered from 1 per function.

use qinling_core::{FunctionId, FunctionVersion, ProjectId, VersionId};
use sqlx::any::AnyRow;

use crate::db::Backend;
use crate::functions::function_in;
use crate::rows::{self, CodeColumns, get, stamp};
use crate::{Store, StoreError, Users};

const TABLE: &str = "function_versions";

/// `SELECT <every column> FROM function_versions <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, function_id, version_number, description, runtime_id, code_source, code_md5sum, \
             code_abi, code_image, code_container, code_object, entry, timeout_secs, memory_size, cpu, allowed_hosts, package_digest, package_size, \
             count, created_at, updated_at FROM function_versions ",
            $rest
        )
    };
}

/// Why a version was not created.
#[derive(Debug, PartialEq, Eq)]
pub enum VersionRefusal {
    NoSuchFunction,
    /// The function already has the maximum number of versions.
    TooMany(i64),
    /// The function's code (package or image) is the one its latest version already holds.
    Unchanged(i64),
}

impl Store {
    /// Snapshots a function's current code and settings as its next version, in one transaction, unless
    /// it has `max_versions` already or its package has not changed since the latest version.
    pub async fn create_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        description: &str,
        max_versions: i64,
    ) -> Result<Result<FunctionVersion, VersionRefusal>, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let id = function_id.to_string();
        if self.backend == Backend::Postgres {
            // Hold the function's row until commit, so that replicas number its versions one at a time
            // (on SQLite, BEGIN IMMEDIATE already serialises every writer).
            sqlx::query("SELECT id FROM functions WHERE id = $1 FOR UPDATE").bind(&id).execute(&mut *tx).await?;
        }
        let Some(function) = function_in(&mut tx, project, function_id).await? else {
            return Ok(Err(VersionRefusal::NoSuchFunction));
        };
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM function_versions WHERE function_id = $1")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        if existing >= max_versions {
            return Ok(Err(VersionRefusal::TooMany(max_versions)));
        }
        let latest: Option<(i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT version_number, package_digest, code_image FROM function_versions WHERE function_id = $1 \
             ORDER BY version_number DESC LIMIT 1",
        )
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
        let code = CodeColumns::of(&function.code);
        if let Some((number, digest, image)) = &latest
            && (digest, image) == (&code.digest, &code.image)
        {
            return Ok(Err(VersionRefusal::Unchanged(*number)));
        }
        let now = chrono::Utc::now();
        let version = FunctionVersion {
            id: VersionId::new(),
            project_id: project.clone(),
            function_id,
            version_number: function.latest_version.max(latest.map_or(0, |(n, _, _)| n)) + 1,
            description: description.to_owned(),
            runtime_id: function.runtime_id,
            code: function.code,
            entry: function.entry,
            limits: function.limits,
            allowed_hosts: function.allowed_hosts,
            count: 0,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO function_versions (id, project_id, function_id, version_number, description, runtime_id, \
             code_source, code_md5sum, code_abi, code_image, package_digest, package_size, entry, timeout_secs, \
             memory_size, cpu, count, created_at, updated_at, allowed_hosts, code_container, code_object) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $17, $18, $19, $20, $21)",
        )
        .bind(version.id.to_string())
        .bind(project.as_str())
        .bind(&id)
        .bind(version.version_number)
        .bind(&version.description)
        .bind(version.runtime_id.map(|id| id.to_string()))
        .bind(code.source)
        .bind(code.md5sum)
        .bind(code.abi)
        .bind(code.image)
        .bind(code.digest)
        .bind(code.size)
        .bind(&version.entry)
        .bind(version.limits.timeout.as_secs() as i64)
        .bind(version.limits.memory_size as i64)
        .bind(i64::from(version.limits.cpu))
        .bind(stamp(version.created_at))
        .bind(stamp(version.updated_at))
        .bind(rows::allowed_hosts_column(&version.allowed_hosts))
        .bind(code.container)
        .bind(code.object)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE functions SET latest_version = $1 WHERE id = $2")
            .bind(version.version_number)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(version))
    }

    pub async fn get_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        number: i64,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        self.recorder.settle().await?;
        let row = sqlx::query(select!("WHERE function_id = $1 AND version_number = $2 AND project_id = $3"))
            .bind(function_id.to_string())
            .bind(number)
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// A function's versions, in version order.
    pub async fn list_versions(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
    ) -> Result<Vec<FunctionVersion>, StoreError> {
        self.recorder.settle().await?;
        let rows = sqlx::query(select!("WHERE function_id = $1 AND project_id = $2 ORDER BY version_number"))
            .bind(function_id.to_string())
            .bind(project.as_str())
            .fetch_all(&self.db)
            .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Deletes a version unless a job, webhook or alias targets it; when it was the latest, the function's
    /// `latest_version` falls back to the highest one left. `Ok(Err(users))`: refused.
    pub async fn delete_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        number: i64,
    ) -> Result<Result<bool, Users>, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let id = function_id.to_string();
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(id.clone()).bind(number);
        let users = Users {
            jobs: count(
                "SELECT COUNT(*) FROM jobs WHERE function_id = $1 AND function_version = $2 \
                 AND status IN ('running', 'paused')",
            )
            .fetch_one(&mut *tx)
            .await?,
            webhooks: count("SELECT COUNT(*) FROM webhooks WHERE function_id = $1 AND function_version = $2")
                .fetch_one(&mut *tx)
                .await?,
            aliases: count("SELECT COUNT(*) FROM function_aliases WHERE function_id = $1 AND function_version = $2")
                .fetch_one(&mut *tx)
                .await?,
        };
        if users.any() {
            return Ok(Err(users));
        }
        let done = sqlx::query(
            "DELETE FROM function_versions WHERE function_id = $1 AND version_number = $2 AND project_id = $3",
        )
        .bind(&id)
        .bind(number)
        .bind(project.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE functions SET latest_version = \
             (SELECT COALESCE(MAX(version_number), 0) FROM function_versions WHERE function_id = $1) WHERE id = $1",
        )
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() == 1))
    }
}

fn version_from_row(row: &AnyRow) -> Result<FunctionVersion, StoreError> {
    Ok(FunctionVersion {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        function_id: rows::id(row, TABLE, "function_id")?,
        version_number: get(row, TABLE, "version_number")?,
        description: get(row, TABLE, "description")?,
        runtime_id: rows::optional_id(row, TABLE, "runtime_id")?,
        code: rows::code(row, TABLE)?,
        entry: get(row, TABLE, "entry")?,
        limits: rows::limits(row, TABLE)?,
        allowed_hosts: rows::allowed_hosts(row, TABLE)?,
        count: get(row, TABLE, "count")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use qinling_core::CodeSource;

    use super::*;
    use crate::testing::{function, package, stores};

    #[tokio::test]
    async fn versions_are_numbered_and_refused_when_unchanged_or_too_many() {
        for (store, _dir) in stores().await {
            let mut function = function(&store).await;
            let project = function.project_id.clone();
            let first = store.create_version(&project, function.id, "first", 2).await.unwrap().unwrap();
            assert_eq!(first.version_number, 1);
            assert_eq!(first.code, function.code);
            assert_eq!(
                store.create_version(&project, function.id, "", 2).await.unwrap(),
                Err(VersionRefusal::Unchanged(1))
            );

            function.code = package(b"second package");
            store.update_function(&function).await.unwrap();
            let second = store.create_version(&project, function.id, "second", 2).await.unwrap().unwrap();
            assert_eq!(second.version_number, 2);
            assert_eq!(store.get_function(&project, function.id).await.unwrap().unwrap().latest_version, 2);
            function.code = package(b"third package");
            store.update_function(&function).await.unwrap();
            assert_eq!(
                store.create_version(&project, function.id, "", 2).await.unwrap(),
                Err(VersionRefusal::TooMany(2))
            );

            assert_eq!(store.list_versions(&project, function.id).await.unwrap(), vec![first.clone(), second.clone()]);
            assert_eq!(store.get_version(&project, function.id, 2).await.unwrap(), Some(second));
            assert_eq!(store.delete_version(&project, function.id, 2).await.unwrap(), Ok(true));
            assert_eq!(store.get_function(&project, function.id).await.unwrap().unwrap().latest_version, 1);
            let first_package = &first.code.package().unwrap().digest;
            assert!(store.package_in_use(first_package).await.unwrap(), "version 1 still holds the first package");
            let missing = FunctionId::new();
            store.delete_version(&project, function.id, 1).await.unwrap().unwrap();
            function.code = CodeSource::Image { image: "registry.example.com/fn:1".into() };
            store.update_function(&function).await.unwrap();
            let image = store.create_version(&project, function.id, "image", 2).await.unwrap().unwrap();
            assert_eq!(image.code, function.code);
            assert_eq!(
                store.create_version(&project, function.id, "", 2).await.unwrap(),
                Err(VersionRefusal::Unchanged(image.version_number))
            );
            assert_eq!(
                store.create_version(&project, missing, "", 2).await.unwrap(),
                Err(VersionRefusal::NoSuchFunction)
            );
        }
    }
}
