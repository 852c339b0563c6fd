//! Fresh PostgreSQL databases for the replica tests, on the server `cargo xtask test` starts and names in
//! `QINLING_TEST_POSTGRES`.

use sqlx::Connection;

const POSTGRES_ENV: &str = "QINLING_TEST_POSTGRES";

/// The URL of a new, empty database, or `None` (said on stderr) when no PostgreSQL is configured.
pub async fn fresh_postgres_database() -> Option<String> {
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        eprintln!("{POSTGRES_ENV} is not set (cargo xtask test sets it): this PostgreSQL test did not run");
        return None;
    };
    let name = format!("qinling_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap_or_else(|e| panic!("{server}: {e}"));
    // The name is ours (hex digits), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
    let (base, _) = server.rsplit_once('/').expect("a postgres:// URL with a database");
    Some(format!("{base}/{name}"))
}
