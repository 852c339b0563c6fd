//! Qinling's domain vocabulary, shared by every other crate.
//!
//! Resources ([`Runtime`], [`Function`], [`FunctionVersion`], [`Alias`], [`Execution`], [`Job`], [`Webhook`])
//! with their statuses and limits, typed ids, paging, the [`Executor`] trait through which the engine
//! reaches the Wasm host, the [`Orchestrator`] trait through which it reaches container workers, and the
//! [`PackageLinks`] those workers download packages with. Nothing here does IO or knows a wire format: JSON
//! shapes live in the API crate, rows in the store crate.

mod allowed_hosts;
mod download;
mod execution;
mod executor;
mod function;
mod ids;
mod job;
mod limits;
pub mod metrics;
mod orchestrator;
mod page;
mod runtime;
mod target;
mod version;

pub use allowed_hosts::AllowedHost;
pub use download::{DOWNLOAD_TOKEN_LIFETIME, PackageLinks};
pub use execution::{Condition, ConditionError, Execution, ExecutionFilter, ExecutionResult, ExecutionStatus};
pub use executor::{
    Capacity, CodeRef, ExecuteError, ExecutionOutcome, ExecutionRequest, Executor, HttpOutcome, PackageDigest,
    PrepareError, Prepared,
};
pub use function::{CodeSource, Function, PackageOrigin, StoredPackage};
pub use ids::{
    AliasId, ExecutionId, FunctionId, JobId, ParseIdError, ProjectId, ProjectScope, RuntimeId, VersionId, WebhookId,
};
pub use job::{Job, JobStatus, Webhook};
pub use limits::{Limits, LimitsError, OperatorLimits, RequestedLimits};
pub use orchestrator::{
    ContainerExecution, Orchestrator, OrchestratorError, PackageDownload, Placement, WorkerInfo, WorkerKey,
};
pub use page::Page;
pub use runtime::{NewRuntime, Runtime, RuntimeKind, RuntimePatch, RuntimeStatus, WASM_IMAGE};
pub use target::Target;
pub use version::{Alias, FunctionVersion};

/// A point in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
