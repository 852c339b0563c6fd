//! Functions: code plus the settings it runs with, bound to a runtime.

use std::sync::Arc;

use crate::{AllowedHost, FunctionId, Limits, PackageDigest, ProjectId, RuntimeId, Timestamp};

/// Where a function's code comes from (Qinling's `code.source`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSource {
    /// An uploaded package, kept in the platform's object store. `md5sum` is the package's MD5, recorded
    /// at upload as Qinling did (the client shows it and sends it to be checked); `abi` is how the executor
    /// calls it, found when it was prepared.
    Package { md5sum: String, abi: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub id: FunctionId,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub runtime_id: RuntimeId,
    pub code: CodeSource,
    /// What to run inside the package; for Wasm the handler export is fixed, so this is informative.
    pub entry: Option<String>,
    pub limits: Limits,
    /// The origins the function may reach over HTTP; empty: none.
    pub allowed_hosts: Arc<[AllowedHost]>,
    /// How many times the function has been executed (Qinling's `count`).
    pub count: i64,
    /// The highest version number created so far; 0 when there are none.
    pub latest_version: i64,
    /// The stored package: content digest and size in bytes.
    pub package: PackageDigest,
    pub package_size: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
