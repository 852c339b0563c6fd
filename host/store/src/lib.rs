//! Qinling's persistence: resource records in a SQL database (SQLite, WAL, migrations embedded) and
//! function packages in an object store (a local directory), both under one data directory by default.
//!
//! Every read and write is scoped by [`ProjectId`](qinling_core::ProjectId). Queries are written once with
//! `$n` placeholders and checked at run time (`query` + row mapping in each module), so that the same text
//! serves SQLite and PostgreSQL. On SQLite, finished sync executions are made durable in a journal beside
//! the database (`journal`) on the caller's thread, and reach the database from a thread of their own
//! (`sqlite_recorder`).

mod aliases;
mod db;
mod error;
mod executions;
mod functions;
mod jobs;
mod journal;
mod packages;
mod recorder;
mod rows;
mod runtimes;
mod sqlite_recorder;
mod versions;
mod webhooks;

pub use error::StoreError;
pub use packages::{ObjectRead, PackageStore};
pub use versions::VersionRefusal;

use qinling_core::PackageDigest;
use sqlx::AnyPool;

use db::Backend;
use recorder::Recorder;
use sqlite_recorder::SqliteRecorder;

/// What still refers to a function, a version or an alias, and so prevents its deletion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Users {
    pub jobs: i64,
    pub webhooks: i64,
    pub aliases: i64,
}

impl Users {
    pub fn any(&self) -> bool {
        self.jobs + self.webhooks + self.aliases > 0
    }
}

/// The records and the packages of one Qinling installation.
#[derive(Clone)]
pub struct Store {
    db: AnyPool,
    backend: Backend,
    packages: PackageStore,
    recorder: Recorder,
}

impl Store {
    /// Opens (creating if needed) the database at `database_url` and brings the schema up to date; packages
    /// go to `packages`.
    pub async fn open(database_url: &str, packages: PackageStore) -> Result<Self, StoreError> {
        let (db, backend) = db::connect(database_url).await?;
        let recorder = match backend {
            Backend::Sqlite => Recorder::Sqlite(SqliteRecorder::open(&db::sqlite_file(&db).await?)?),
            Backend::Postgres => Recorder::postgres(db.clone()),
        };
        Ok(Self { db, backend, packages, recorder })
    }

    /// Whether other processes may write the same database (PostgreSQL, shared by replicas); SQLite
    /// is written by this process alone.
    pub fn is_shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    pub fn packages(&self) -> &PackageStore {
        &self.packages
    }

    /// Checks that the database and the package store answer.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.db).await?;
        self.packages.probe().await
    }

    /// Checks the whole installation offline: SQLite's integrity check passes (on SQLite), and every
    /// package a function or version refers to is in the object store with the content its digest names.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        // PostgreSQL checks its own pages (checksums, WAL); SQLite is asked to.
        if self.backend == Backend::Sqlite {
            let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&self.db).await?;
            if verdict != "ok" {
                return Err(StoreError::Corrupt { table: "database", detail: verdict });
            }
        }
        let referenced: Vec<String> = sqlx::query_scalar(
            "SELECT package_digest FROM functions WHERE package_digest IS NOT NULL \
             UNION SELECT package_digest FROM function_versions WHERE package_digest IS NOT NULL",
        )
        .fetch_all(&self.db)
        .await?;
        for text in referenced {
            let corrupt = |detail: String| StoreError::Corrupt { table: "packages", detail };
            let digest = PackageDigest::parse(&text).ok_or_else(|| corrupt(format!("malformed digest {text:?}")))?;
            match self.packages.get(&digest).await? {
                None => return Err(corrupt(format!("package {digest} is missing"))),
                Some(bytes) if PackageDigest::of(&bytes) != digest => {
                    return Err(corrupt(format!("package {digest} does not match its digest")));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use chrono::Utc;
    use std::time::Duration;

    use qinling_core::{
        AllowedHost, CodeSource, Execution, ExecutionId, ExecutionResult, ExecutionStatus, Function, FunctionId,
        Limits, PackageDigest, ProjectId, Runtime, RuntimeId, RuntimeKind, RuntimeStatus, StoredPackage,
    };

    use super::Store;

    /// The PostgreSQL server the tests use, as a URL whose database part each test replaces with a fresh
    /// database of its own (`cargo xtask test` starts one and sets it).
    const POSTGRES_ENV: &str = "QINLING_TEST_POSTGRES";

    /// A fresh store on each database: SQLite in a temporary directory, then PostgreSQL when
    /// `QINLING_TEST_POSTGRES` is set. Packages go to the returned directory, kept alive with the store.
    pub(crate) async fn stores() -> Vec<(Store, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite://{}", dir.path().join("qinling.db").display());
        let mut stores = vec![(open(&sqlite, &dir).await, dir)];
        match std::env::var(POSTGRES_ENV) {
            Ok(server) => {
                let dir = tempfile::tempdir().unwrap();
                stores.push((open(&fresh_postgres_database(&server).await, &dir).await, dir));
            }
            Err(_) => eprintln!("{POSTGRES_ENV} is not set: this store test ran on SQLite only"),
        }
        stores
    }

    /// Opens the store at `url` with its packages in `dir`.
    pub(crate) async fn open(url: &str, dir: &tempfile::TempDir) -> Store {
        let packages = crate::PackageStore::local(&dir.path().join("packages")).unwrap();
        Store::open(url, packages).await.unwrap_or_else(|e| panic!("opening {url}: {e}"))
    }

    /// Creates an empty database on the server and returns its URL.
    async fn fresh_postgres_database(server: &str) -> String {
        use sqlx::Connection;
        let name = format!("qinling_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(server).await.unwrap_or_else(|e| panic!("{server}: {e}"));
        // The name is ours (hex digits), not input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        let (base, _) = server.rsplit_once('/').expect("a postgres:// URL with a database");
        format!("{base}/{name}")
    }

    /// An available Wasm runtime of `project`, not yet stored.
    pub(crate) fn runtime(project: &ProjectId) -> Runtime {
        let now = Utc::now();
        Runtime {
            id: RuntimeId::new(),
            project_id: project.clone(),
            name: "wasm".into(),
            description: "built-in".into(),
            kind: RuntimeKind::Wasm,
            image: "wasm".into(),
            status: RuntimeStatus::Available,
            status_reason: None,
            is_public: true,
            trusted: false,
            created_at: now,
            updated_at: now,
        }
    }

    /// Code from a package with these bytes (not stored).
    pub(crate) fn package(bytes: &[u8]) -> CodeSource {
        CodeSource::Package(StoredPackage {
            digest: PackageDigest::of(bytes),
            size: bytes.len() as u64,
            md5sum: "9e107d9d372bb6826bd81d3542a419d6".into(),
            abi: "handler".into(),
            origin: qinling_core::PackageOrigin::Upload,
        })
    }

    /// The digest of a function's package.
    pub(crate) fn digest(function: &Function) -> PackageDigest {
        function.code.package().expect("a package function").digest.clone()
    }

    /// A function of the default project, stored with its runtime.
    pub(crate) async fn function(store: &Store) -> Function {
        let project = ProjectId::default();
        let runtime = runtime(&project);
        store.insert_runtime(&runtime).await.unwrap();
        let now = Utc::now();
        let function = Function {
            id: FunctionId::new(),
            project_id: project,
            name: "word-stats".into(),
            description: "counts words".into(),
            runtime_id: Some(runtime.id),
            code: package(b"package"),
            entry: None,
            limits: Limits { timeout: Duration::from_secs(5), memory_size: 32 << 20, cpu: 100 },
            allowed_hosts: vec![AllowedHost::parse("https://api.example.com").unwrap()].into(),
            count: 0,
            latest_version: 0,
            created_at: now,
            updated_at: now,
        };
        store.insert_function(&function).await.unwrap();
        function
    }

    /// An execution of `function` in `status`, finished (with a result) unless it is running.
    pub(crate) fn execution(function: &Function, status: ExecutionStatus) -> Execution {
        let now = Utc::now();
        let finished = status != ExecutionStatus::Running;
        Execution {
            id: ExecutionId::new(),
            project_id: function.project_id.clone(),
            function_id: function.id,
            function_version: 0,
            function_alias: None,
            description: String::new(),
            input: r#"{"text":"a b"}"#.into(),
            status,
            sync: finished,
            result: finished
                .then(|| ExecutionResult { output: r#"{"words":2}"#.into(), duration: Duration::from_micros(1500) }),
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::testing;

    #[tokio::test]
    async fn the_integrity_check_finds_missing_and_altered_packages() {
        for (store, dir) in testing::stores().await {
            store.integrity_check().await.unwrap();
            let digest = testing::digest(&testing::function(&store).await);
            let missing = store.integrity_check().await.unwrap_err().to_string();
            assert!(missing.contains(&format!("package {digest} is missing")), "{missing}");

            store.packages().put(&digest, Bytes::from_static(b"package")).await.unwrap();
            store.integrity_check().await.unwrap();

            std::fs::write(dir.path().join("packages").join(format!("{digest}.pkg")), b"altered").unwrap();
            let altered = store.integrity_check().await.unwrap_err().to_string();
            assert!(altered.contains("does not match its digest"), "{altered}");
        }
    }
}
