//! Store failures. Callers map them to "the platform failed"; "not found" is an `Option`, not an error.
//! The one exception is a broken reference: a write that names a row another request just deleted, or a
//! delete of a row another request just referred to (the check before the write could not see it). The
//! database's foreign keys refuse it, and [`StoreError::is_reference_race`] says so.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("object store error: {0}")]
    Objects(#[from] object_store::Error),
    #[error("execution journal error: {0}")]
    Journal(std::io::Error),
    #[error("execution records could not be stored: {0}")]
    Recording(String),
    #[error("invalid store setting: {0}")]
    Config(String),
    #[error("corrupt data in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}

impl StoreError {
    /// Whether a foreign key refused the write: the rows it refers to, or the rows referring to what it
    /// deletes, were changed by a concurrent request. Nothing was written; the caller may look again.
    pub fn is_reference_race(&self) -> bool {
        matches!(self, Self::Database(sqlx::Error::Database(e)) if e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
    }
}
