//! Functions: code plus the settings it runs with, bound to a runtime.

use std::sync::Arc;

use crate::{AllowedHost, FunctionId, Limits, PackageDigest, ProjectId, RuntimeId, Timestamp};

/// An uploaded package, kept in the platform's object store under its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPackage {
    pub digest: PackageDigest,
    /// Size in bytes.
    pub size: u64,
    /// The package's MD5, recorded at upload as Qinling did (the client shows it and sends it to be checked).
    pub md5sum: String,
    /// How the executor calls it, found when it was prepared (for Wasm: `handler`, `wasi-http`,
    /// `wasi-command`, `wasip1-command`; for containers: `worker`).
    pub abi: String,
    /// Where the package came from.
    pub origin: PackageOrigin,
}

/// How a package reached the platform: uploaded with the request, or read once (at create or update)
/// from an object the project put in the platform's object store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageOrigin {
    Upload,
    /// Qinling's `code.source = "object"`: a key under the project's objects.
    Object {
        key: String,
    },
    /// Qinling's `code.source = "swift"`: an object in a container, under the project's objects.
    Swift {
        container: String,
        object: String,
    },
}

impl PackageOrigin {
    /// The object's key under the project's objects; `None` for an upload.
    pub fn object_key(&self) -> Option<String> {
        match self {
            Self::Upload => None,
            Self::Object { key } => Some(key.clone()),
            Self::Swift { container, object } => Some(format!("{container}/{object}")),
        }
    }
}

/// Where a function's code comes from (Qinling's `code.source`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSource {
    /// An uploaded package, run by the function's runtime.
    Package(StoredPackage),
    /// A container image that serves the worker protocol itself; it needs no runtime.
    Image { image: String },
}

impl CodeSource {
    pub fn package(&self) -> Option<&StoredPackage> {
        match self {
            Self::Package(package) => Some(package),
            Self::Image { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub id: FunctionId,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    /// The runtime that runs the package; `None` for an image function.
    pub runtime_id: Option<RuntimeId>,
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
