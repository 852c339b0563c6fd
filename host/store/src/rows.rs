//! Decoding columns into domain values, with a [`StoreError::Corrupt`] that names the table when a value
//! is not what the schema promises.

use std::str::FromStr;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use qinling_core::{AllowedHost, CodeSource, Limits, PackageDigest, PackageOrigin, StoredPackage, Target, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;

/// Reads column `column` of `row` as `T`.
pub(crate) fn get<'r, T>(row: &'r AnyRow, table: &'static str, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt { table, detail: format!("{column}: {e}") })
}

/// Reads a text column and parses it (ids, statuses, digests).
pub(crate) fn parse<T>(
    row: &AnyRow,
    table: &'static str,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = get(row, table, column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt { table, detail: format!("{column}: unexpected value {text:?}") })
}

/// A timestamp as stored: RFC 3339 text in UTC (ordered as text, the same on every database).
pub(crate) fn stamp(time: Timestamp) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Reads a timestamp column written by [`stamp`].
pub(crate) fn time(row: &AnyRow, table: &'static str, column: &str) -> Result<Timestamp, StoreError> {
    parse(row, table, column, parse_time)
}

/// Reads a nullable timestamp column.
pub(crate) fn optional_time(row: &AnyRow, table: &'static str, column: &str) -> Result<Option<Timestamp>, StoreError> {
    match get::<Option<String>>(row, table, column)? {
        None => Ok(None),
        Some(text) => parse_time(&text)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt { table, detail: format!("{column}: unexpected value {text:?}") }),
    }
}

fn parse_time(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text).ok().map(|time| time.with_timezone(&Utc))
}

/// Reads a 0/1 column as a boolean.
pub(crate) fn flag(row: &AnyRow, table: &'static str, column: &str) -> Result<bool, StoreError> {
    match get::<i64>(row, table, column)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(StoreError::Corrupt { table, detail: format!("{column}: {other} is not 0 or 1") }),
    }
}

/// Parses an id column with its `FromStr`.
pub(crate) fn id<T: FromStr>(row: &AnyRow, table: &'static str, column: &str) -> Result<T, StoreError> {
    parse(row, table, column, |text| text.parse().ok())
}

/// Reads the target columns (`function_id`, `function_version`, `function_alias`) of a job or webhook.
pub(crate) fn target(row: &AnyRow, table: &'static str) -> Result<Target, StoreError> {
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
pub(crate) fn allowed_hosts(row: &AnyRow, table: &'static str) -> Result<Arc<[AllowedHost]>, StoreError> {
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

/// Reads a column that holds a count or size, which the schema keeps non-negative.
pub(crate) fn non_negative(row: &AnyRow, table: &'static str, column: &str) -> Result<u64, StoreError> {
    let value: i64 = get(row, table, column)?;
    u64::try_from(value).map_err(|_| StoreError::Corrupt { table, detail: format!("{column}: {value}") })
}

/// Reads the limit columns (`timeout_secs`, `memory_size`, `cpu`) of a function or version.
pub(crate) fn limits(row: &AnyRow, table: &'static str) -> Result<Limits, StoreError> {
    Ok(Limits {
        timeout: Duration::from_secs(non_negative(row, table, "timeout_secs")?),
        memory_size: non_negative(row, table, "memory_size")?,
        cpu: u32::try_from(non_negative(row, table, "cpu")?).unwrap_or(u32::MAX),
    })
}

/// Reads the code columns of a function or version into its [`CodeSource`].
pub(crate) fn code(row: &AnyRow, table: &'static str) -> Result<CodeSource, StoreError> {
    let source: String = get(row, table, "code_source")?;
    let package = |origin| -> Result<CodeSource, StoreError> {
        Ok(CodeSource::Package(StoredPackage {
            digest: parse(row, table, "package_digest", PackageDigest::parse)?,
            size: non_negative(row, table, "package_size")?,
            md5sum: get::<Option<String>>(row, table, "code_md5sum")?.unwrap_or_default(),
            abi: get(row, table, "code_abi")?,
            origin,
        }))
    };
    match source.as_str() {
        "package" => package(PackageOrigin::Upload),
        // Qinling's swift source is an object with a container.
        "object" => package(match get::<Option<String>>(row, table, "code_container")? {
            None => PackageOrigin::Object { key: get(row, table, "code_object")? },
            Some(container) => PackageOrigin::Swift { container, object: get(row, table, "code_object")? },
        }),
        "image" => Ok(CodeSource::Image { image: get(row, table, "code_image")? }),
        other => Err(StoreError::Corrupt { table, detail: format!("unsupported code_source {other:?}") }),
    }
}

/// The code columns of a function or version, to bind in this order: `code_source`, `code_md5sum`,
/// `code_abi`, `code_image`, `package_digest`, `package_size`, `code_container`, `code_object`.
pub(crate) struct CodeColumns {
    pub(crate) source: &'static str,
    pub(crate) md5sum: Option<String>,
    pub(crate) abi: String,
    pub(crate) image: Option<String>,
    pub(crate) digest: Option<String>,
    pub(crate) size: Option<i64>,
    pub(crate) container: Option<String>,
    pub(crate) object: Option<String>,
}

impl CodeColumns {
    pub(crate) fn of(code: &CodeSource) -> Self {
        match code {
            CodeSource::Package(package) => {
                let (source, container, object) = match &package.origin {
                    PackageOrigin::Upload => ("package", None, None),
                    PackageOrigin::Object { key } => ("object", None, Some(key.clone())),
                    PackageOrigin::Swift { container, object } => {
                        ("object", Some(container.clone()), Some(object.clone()))
                    }
                };
                Self {
                    source,
                    md5sum: Some(package.md5sum.clone()),
                    abi: package.abi.clone(),
                    image: None,
                    digest: Some(package.digest.to_string()),
                    size: Some(package.size as i64),
                    container,
                    object,
                }
            }
            CodeSource::Image { image } => Self {
                source: "image",
                md5sum: None,
                abi: String::new(),
                image: Some(image.clone()),
                digest: None,
                size: None,
                container: None,
                object: None,
            },
        }
    }
}

/// Reads an optional id column (a function's runtime, which image functions do not have).
pub(crate) fn optional_id<T: FromStr>(
    row: &AnyRow,
    table: &'static str,
    column: &str,
) -> Result<Option<T>, StoreError> {
    match get::<Option<String>>(row, table, column)? {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt { table, detail: format!("{column}: unexpected value {text:?}") }),
    }
}
