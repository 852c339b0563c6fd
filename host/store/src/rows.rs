//! Decoding columns into domain values, with a [`StoreError::Corrupt`] that names the table when a value
//! is not what the schema promises.

use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use std::sync::Arc;

use qinling_core::{AllowedHost, Target};

use crate::StoreError;

/// Reads column `column` of `row` as `T`.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, table: &'static str, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt { table, detail: format!("{column}: {e}") })
}

/// Reads a text column and parses it (ids, statuses, digests).
pub(crate) fn parse<T>(
    row: &SqliteRow,
    table: &'static str,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = get(row, table, column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt { table, detail: format!("{column}: unexpected value {text:?}") })
}

/// Parses an id column with its `FromStr`.
pub(crate) fn id<T: FromStr>(row: &SqliteRow, table: &'static str, column: &str) -> Result<T, StoreError> {
    parse(row, table, column, |text| text.parse().ok())
}

/// Reads the target columns (`function_id`, `function_version`, `function_alias`) of a job or webhook.
pub(crate) fn target(row: &SqliteRow, table: &'static str) -> Result<Target, StoreError> {
    if let Some(alias) = get::<Option<String>>(row, table, "function_alias")? {
        return Ok(Target::Alias(alias));
    }
    Ok(Target::Function {
        id: id(row, table, "function_id")?,
        version: get::<Option<i64>>(row, table, "function_version")?.unwrap_or(0),
    })
}

/// The target as its three columns: function id, version, alias.
pub(crate) fn target_columns(target: &Target) -> (Option<String>, Option<i64>, Option<String>) {
    match target {
        Target::Function { id, version } => (Some(id.to_string()), Some(*version), None),
        Target::Alias(name) => (None, None, Some(name.clone())),
    }
}

/// Reads an `allowed_hosts` column: one canonical origin per line.
pub(crate) fn allowed_hosts(row: &SqliteRow, table: &'static str) -> Result<Arc<[AllowedHost]>, StoreError> {
    let text: String = get(row, table, "allowed_hosts")?;
    text.lines()
        .map(|line| {
            AllowedHost::parse(line).map_err(|e| StoreError::Corrupt { table, detail: format!("allowed_hosts: {e}") })
        })
        .collect()
}

/// The `allowed_hosts` column for a list of origins.
pub(crate) fn allowed_hosts_column(hosts: &[AllowedHost]) -> String {
    hosts.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}
