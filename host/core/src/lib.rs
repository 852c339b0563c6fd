//! Qinling's domain vocabulary, shared by every other crate.
//!
//! Resources ([`Runtime`], [`Function`], [`Execution`]) with their statuses and limits, typed ids, and the
//! [`Executor`] trait through which the engine reaches the Wasm host and, later, container workers. Nothing
//! here does IO or knows a wire format: JSON shapes live in the API crate, rows in the store crate.

mod execution;
mod executor;
mod function;
mod ids;
mod limits;
mod runtime;

pub use execution::{Execution, ExecutionFilter, ExecutionResult, ExecutionStatus};
pub use executor::{ExecuteError, ExecutionOutcome, ExecutionRequest, Executor, PackageDigest, PrepareError};
pub use function::{CodeSource, Function, FunctionPatch, NewFunction};
pub use ids::{ExecutionId, FunctionId, ParseIdError, ProjectId, RuntimeId};
pub use limits::{Limits, LimitsError, OperatorLimits, RequestedLimits};
pub use runtime::{NewRuntime, Runtime, RuntimeKind, RuntimePatch, RuntimeStatus};

/// A point in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
