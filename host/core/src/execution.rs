//! Executions: one run of a function with an input, and what came of it.

use std::time::Duration;

use crate::{ExecutionId, FunctionId, ProjectId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// Accepted and not finished.
    Running,
    /// The function returned an output.
    Success,
    /// The function failed: it returned an error, trapped, ran out of time or memory.
    Failed,
    /// The platform could not run the function (for instance the server died while it ran).
    Error,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(Self::Running),
            "success" => Some(Self::Success),
            "failed" => Some(Self::Failed),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// The outcome recorded for a finished execution.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionResult {
    /// On success the function's output as JSON text; otherwise the error message, as plain text.
    pub output: String,
    /// Time spent running the function (instantiation and call), not queueing.
    pub duration: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    pub id: ExecutionId,
    pub project_id: ProjectId,
    pub function_id: FunctionId,
    pub function_version: i64,
    pub function_alias: Option<String>,
    pub description: String,
    /// The input as JSON text.
    pub input: String,
    pub status: ExecutionStatus,
    pub sync: bool,
    pub result: Option<ExecutionResult>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which executions a listing returns; `None` matches anything.
#[derive(Clone, Debug, Default)]
pub struct ExecutionFilter {
    pub function_id: Option<FunctionId>,
    pub status: Option<ExecutionStatus>,
}
