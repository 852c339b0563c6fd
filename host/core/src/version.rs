//! Function versions (immutable snapshots of a function's code and settings, numbered from 1) and
//! aliases (names for a function at a version).

use std::sync::Arc;

use crate::{AliasId, AllowedHost, CodeSource, FunctionId, Limits, ProjectId, RuntimeId, Timestamp, VersionId};

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionVersion {
    pub id: VersionId,
    pub project_id: ProjectId,
    pub function_id: FunctionId,
    pub version_number: i64,
    pub description: String,
    pub runtime_id: Option<RuntimeId>,
    pub code: CodeSource,
    pub entry: Option<String>,
    pub limits: Limits,
    pub allowed_hosts: Arc<[AllowedHost]>,
    /// How many times this version has been executed.
    pub count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    pub id: AliasId,
    pub project_id: ProjectId,
    pub name: String,
    pub function_id: FunctionId,
    /// 0 means the function's latest code.
    pub function_version: i64,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
