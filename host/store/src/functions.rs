//! Function records, and the questions asked before deleting one or its package.

use qinling_core::{Function, FunctionId, PackageDigest, Page, ProjectId, ProjectScope};
use sqlx::any::AnyRow;

use crate::rows::{self, CodeColumns, get, stamp};
use crate::{Store, StoreError, Users};

const TABLE: &str = "functions";

/// `SELECT <every column> FROM functions <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, name, description, runtime_id, code_source, code_md5sum, code_abi, code_image, \
             code_container, code_object, entry, timeout_secs, memory_size, cpu, allowed_hosts, count, latest_version, package_digest, package_size, \
             created_at, updated_at FROM functions ",
            $rest
        )
    };
}

impl Store {
    pub async fn insert_function(&self, function: &Function) -> Result<(), StoreError> {
        let code = CodeColumns::of(&function.code);
        sqlx::query(
            "INSERT INTO functions (id, project_id, name, description, runtime_id, code_source, code_md5sum, code_abi, \
             code_image, package_digest, package_size, entry, timeout_secs, memory_size, cpu, count, latest_version, \
             created_at, updated_at, allowed_hosts, code_container, code_object) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(function.id.to_string())
        .bind(function.project_id.as_str())
        .bind(&function.name)
        .bind(&function.description)
        .bind(function.runtime_id.map(|id| id.to_string()))
        .bind(code.source)
        .bind(code.md5sum)
        .bind(code.abi)
        .bind(code.image)
        .bind(code.digest)
        .bind(code.size)
        .bind(&function.entry)
        .bind(function.limits.timeout.as_secs() as i64)
        .bind(function.limits.memory_size as i64)
        .bind(i64::from(function.limits.cpu))
        .bind(function.count)
        .bind(function.latest_version)
        .bind(stamp(function.created_at))
        .bind(stamp(function.updated_at))
        .bind(rows::allowed_hosts_column(&function.allowed_hosts))
        .bind(code.container)
        .bind(code.object)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub async fn get_function(&self, project: &ProjectId, id: FunctionId) -> Result<Option<Function>, StoreError> {
        self.recorder.settle().await?;
        let mut connection = self.db.acquire().await?;
        function_in(&mut connection, project, id).await
    }

    /// Up to `limit` functions of a project with this name (names need not be unique).
    pub async fn functions_named(
        &self,
        project: &ProjectId,
        name: &str,
        limit: i64,
    ) -> Result<Vec<Function>, StoreError> {
        self.recorder.settle().await?;
        let rows = sqlx::query(select!("WHERE project_id = $1 AND name = $2 ORDER BY created_at LIMIT $3"))
            .bind(project.as_str())
            .bind(name)
            .bind(limit)
            .fetch_all(&self.db)
            .await?;
        rows.iter().map(function_from_row).collect()
    }

    /// A page of the functions in scope, newest first.
    pub async fn list_functions(
        &self,
        scope: &ProjectScope,
        page: &Page<FunctionId>,
    ) -> Result<Vec<Function>, StoreError> {
        self.recorder.settle().await?;
        let rows = sqlx::query(select!(
            "WHERE ($1 IS NULL OR project_id = $1) \
             AND ($2 IS NULL OR (created_at, id) < (SELECT created_at, id FROM functions WHERE id = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(scope.filter())
        .bind(page.marker.map(|id| id.to_string()))
        .bind(page.fetch_limit())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(function_from_row).collect()
    }

    /// Writes back the mutable fields of a function; `false` when it no longer exists.
    pub async fn update_function(&self, function: &Function) -> Result<bool, StoreError> {
        let code = CodeColumns::of(&function.code);
        let done = sqlx::query(
            "UPDATE functions SET name = $1, description = $2, code_source = $3, code_md5sum = $4, code_abi = $5, \
             code_image = $6, package_digest = $7, package_size = $8, entry = $9, timeout_secs = $10, \
             memory_size = $11, cpu = $12, updated_at = $13, allowed_hosts = $14, code_container = $15, \
             code_object = $16 WHERE id = $17 AND project_id = $18",
        )
        .bind(&function.name)
        .bind(&function.description)
        .bind(code.source)
        .bind(code.md5sum)
        .bind(code.abi)
        .bind(code.image)
        .bind(code.digest)
        .bind(code.size)
        .bind(&function.entry)
        .bind(function.limits.timeout.as_secs() as i64)
        .bind(function.limits.memory_size as i64)
        .bind(i64::from(function.limits.cpu))
        .bind(stamp(function.updated_at))
        .bind(rows::allowed_hosts_column(&function.allowed_hosts))
        .bind(code.container)
        .bind(code.object)
        .bind(function.id.to_string())
        .bind(function.project_id.as_str())
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a function (and its versions) unless a job, webhook or alias still uses it.
    /// `Ok(Err(users))`: refused; `Ok(Ok(false))`: there was no such function.
    pub async fn delete_function(
        &self,
        project: &ProjectId,
        id: FunctionId,
    ) -> Result<Result<bool, Users>, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let id = id.to_string();
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(id.clone());
        let users = Users {
            jobs: count("SELECT COUNT(*) FROM jobs WHERE function_id = $1 AND status IN ('running', 'paused')")
                .fetch_one(&mut *tx)
                .await?,
            webhooks: count("SELECT COUNT(*) FROM webhooks WHERE function_id = $1").fetch_one(&mut *tx).await?,
            aliases: count("SELECT COUNT(*) FROM function_aliases WHERE function_id = $1").fetch_one(&mut *tx).await?,
        };
        if users.any() {
            return Ok(Err(users));
        }
        let done = sqlx::query("DELETE FROM functions WHERE id = $1 AND project_id = $2")
            .bind(&id)
            .bind(project.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() == 1))
    }

    /// Whether any function or function version (of any project) still refers to a package.
    pub async fn package_in_use(&self, digest: &PackageDigest) -> Result<bool, StoreError> {
        // CASE gives an integer on every database (EXISTS is an integer in SQLite, a boolean elsewhere).
        let in_use: i64 = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM functions WHERE package_digest = $1) \
             OR EXISTS (SELECT 1 FROM function_versions WHERE package_digest = $1) THEN 1 ELSE 0 END",
        )
        .bind(digest.as_str())
        .fetch_one(&self.db)
        .await?;
        Ok(in_use == 1)
    }
}

/// [`Store::get_function`] on a given connection (inside a transaction).
pub(crate) async fn function_in(
    connection: &mut sqlx::AnyConnection,
    project: &ProjectId,
    id: FunctionId,
) -> Result<Option<Function>, StoreError> {
    let row = sqlx::query(select!("WHERE id = $1 AND project_id = $2"))
        .bind(id.to_string())
        .bind(project.as_str())
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(function_from_row).transpose()
}

fn function_from_row(row: &AnyRow) -> Result<Function, StoreError> {
    Ok(Function {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        name: get(row, TABLE, "name")?,
        description: get(row, TABLE, "description")?,
        runtime_id: rows::optional_id(row, TABLE, "runtime_id")?,
        code: rows::code(row, TABLE)?,
        entry: get(row, TABLE, "entry")?,
        limits: rows::limits(row, TABLE)?,
        allowed_hosts: rows::allowed_hosts(row, TABLE)?,
        count: get(row, TABLE, "count")?,
        latest_version: get(row, TABLE, "latest_version")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use qinling_core::{CodeSource, PackageOrigin, StoredPackage};

    use super::*;
    use crate::testing::{digest, function, package, stores};

    #[tokio::test]
    async fn functions_round_trip_and_update() {
        for (store, _dir) in stores().await {
            let mut function = function(&store).await;
            let project = function.project_id.clone();
            assert_eq!(store.get_function(&project, function.id).await.unwrap(), Some(function.clone()));
            function.limits.timeout = Duration::from_secs(60);
            function.code = package(b"new package");
            assert!(store.update_function(&function).await.unwrap());
            let scope = ProjectScope::One(project.clone());
            assert_eq!(store.list_functions(&scope, &Page::all()).await.unwrap(), vec![function.clone()]);
            assert_eq!(store.list_functions(&ProjectScope::All, &Page::all()).await.unwrap(), vec![function.clone()]);
            function.code = CodeSource::Image { image: "registry.example.com/fn:1".into() };
            function.runtime_id = None;
            assert!(store.update_function(&function).await.unwrap());
            let stored = store.get_function(&project, function.id).await.unwrap().unwrap();
            assert_eq!(stored.code, function.code);
            let other = ProjectScope::One(ProjectId::new("other"));
            assert!(store.list_functions(&other, &Page::all()).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn the_origin_of_a_package_round_trips_in_functions_and_versions() {
        for (store, _dir) in stores().await {
            let mut function = function(&store).await;
            let project = function.project_id.clone();
            let with_origin = |code: CodeSource, origin: PackageOrigin| match code {
                CodeSource::Package(package) => CodeSource::Package(StoredPackage { origin, ..package }),
                image => image,
            };
            let swift = PackageOrigin::Swift { container: "code".into(), object: "fn/hello.zip".into() };
            function.code = with_origin(package(b"from swift"), swift);
            assert!(store.update_function(&function).await.unwrap());
            assert_eq!(store.get_function(&project, function.id).await.unwrap().unwrap().code, function.code);
            let version = store.create_version(&project, function.id, "", 10).await.unwrap().unwrap();
            assert_eq!(store.get_version(&project, function.id, 1).await.unwrap().unwrap().code, function.code);
            assert_eq!(version.code, function.code);
            function.code = with_origin(package(b"from an object"), PackageOrigin::Object { key: "a/b.wasm".into() });
            assert!(store.update_function(&function).await.unwrap());
            assert_eq!(store.get_function(&project, function.id).await.unwrap().unwrap().code, function.code);
        }
    }

    #[tokio::test]
    async fn a_runtime_in_use_cannot_be_deleted() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let project = function.project_id.clone();
            let runtime = function.runtime_id.unwrap();
            assert_eq!(store.delete_runtime(&project, runtime).await.unwrap(), Err(1));
            assert_eq!(store.delete_function(&project, function.id).await.unwrap(), Ok(true));
            assert_eq!(store.delete_runtime(&project, runtime).await.unwrap(), Ok(true));
        }
    }

    #[tokio::test]
    async fn package_use_follows_the_functions_that_hold_it() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let project = function.project_id.clone();
            assert!(store.package_in_use(&digest(&function)).await.unwrap());
            assert!(!store.package_in_use(&PackageDigest::of(b"other")).await.unwrap());
            store.delete_function(&project, function.id).await.unwrap().unwrap();
            assert!(!store.package_in_use(&digest(&function)).await.unwrap());
        }
    }
}
