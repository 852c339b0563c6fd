//! Opening the database, SQLite or PostgreSQL by the URL's scheme, behind one sqlx `Any` pool so that
//! every query is written once with `$n` placeholders. SQLite runs in WAL mode with full synchronous
//! commits (an acknowledged write survives a crash and a power cut) and foreign keys on; each database
//! applies its own embedded migrations (the same schema in each dialect).

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::StoreError;

/// Readers run in parallel under WAL; writers queue on SQLite's lock.
const SQLITE_CONNECTIONS: u32 = 8;
/// PostgreSQL connections per server process (several processes share one database).
const POSTGRES_CONNECTIONS: u32 = 16;
/// How long to wait for a connection from the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Set on every SQLite connection (the pool's and the execution recorder's): WAL, durable commits,
/// foreign keys, and how long a writer waits for another writer's lock (10 s) before giving up.
pub(crate) const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a store runs on, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// How a transaction that writes begins: SQLite takes its write lock at once (so two writers never
    /// deadlock upgrading read locks); PostgreSQL locks rows as it goes.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }
}

pub(crate) async fn connect(url: &str) -> Result<(AnyPool, Backend), StoreError> {
    install_default_drivers();
    let (backend, url) = if url.starts_with("sqlite:") {
        (Backend::Sqlite, with_create_mode(url))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (Backend::Postgres, url.to_owned())
    } else {
        return Err(StoreError::Config(format!(
            "database URL {url:?}: use sqlite://path or postgres://user@host/database"
        )));
    };
    let options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    let pool = match backend {
        Backend::Sqlite => {
            options
                .max_connections(SQLITE_CONNECTIONS)
                // A connection to a local file cannot be lost; testing it would cost a round trip to its
                // thread on every acquire.
                .test_before_acquire(false)
                .after_connect(|connection, _| {
                    Box::pin(async move { connection.execute(SQLITE_PRAGMAS).await.map(drop) })
                })
                .connect(&url)
                .await?
        }
        Backend::Postgres => options.max_connections(POSTGRES_CONNECTIONS).connect(&url).await?,
    };
    match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok((pool, backend))
}

/// The file of the SQLite database `pool` is connected to, for connections made without sqlx.
pub(crate) async fn sqlite_file(pool: &AnyPool) -> Result<PathBuf, StoreError> {
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_one(pool).await?;
    if file.is_empty() {
        return Err(StoreError::Config(
            "the SQLite database must be a file (executions are recorded through a connection of their own)".into(),
        ));
    }
    Ok(PathBuf::from(file))
}

/// A SQLite URL that creates the file if it is missing (unless it names a mode already).
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}
