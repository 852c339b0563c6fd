//! Store failures. Callers map them to "the platform failed"; "not found" is an `Option`, not an error.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("object store error: {0}")]
    Objects(#[from] object_store::Error),
    #[error("invalid store setting: {0}")]
    Config(String),
    #[error("corrupt data in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}
