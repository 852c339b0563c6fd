//! Qinling's domain vocabulary, shared by every other crate.
//!
//! Resources ([`Runtime`], [`Function`], [`FunctionVersion`], [`Alias`], [`Execution`], [`Job`], [`Webhook`])
//! with their statuses and limits, typed ids, paging, and the
//! [`Executor`] trait through which the engine reaches the Wasm host and, later, container workers. Nothing
//! here does IO or knows a wire format: JSON shapes live in the API crate, rows in the store crate.

mod allowed_hosts;
mod execution;
mod executor;
mod function;
mod ids;
mod job;
mod limits;
mod page;
mod runtime;
mod target;
mod version;

pub use allowed_hosts::AllowedHost;
pub use execution::{Condition, ConditionError, Execution, ExecutionFilter, ExecutionResult, ExecutionStatus};
pub use executor::{
    Capacity, CodeRef, ExecuteError, ExecutionOutcome, ExecutionRequest, Executor, PackageDigest, PrepareError,
    Prepared,
};
pub use function::{CodeSource, Function};
pub use ids::{AliasId, ExecutionId, FunctionId, JobId, ParseIdError, ProjectId, RuntimeId, VersionId, WebhookId};
pub use job::{Job, JobStatus, Webhook};
pub use limits::{Limits, LimitsError, OperatorLimits, RequestedLimits};
pub use page::Page;
pub use runtime::{NewRuntime, Runtime, RuntimeKind, RuntimePatch, RuntimeStatus};
pub use target::Target;
pub use version::{Alias, FunctionVersion};

/// A point in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
