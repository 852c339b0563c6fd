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
    pub function_id: Option<Condition<FunctionId>>,
    pub status: Option<Condition<ExecutionStatus>>,
    pub description: Option<Condition<String>>,
}

/// A condition on one field of a listing, as Qinling's filters wrote them (`eq:`, `neq:`, `in:`, `nin:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition<T> {
    Eq(T),
    Neq(T),
    In(Vec<T>),
    NotIn(Vec<T>),
}

impl<T> Condition<T> {
    /// Parses `eq:x`, `neq:x`, `in:x,y`, `nin:x,y` or a bare `x` (equality), each value with `parse`.
    pub fn parse<E>(text: &str, mut parse: impl FnMut(&str) -> Result<T, E>) -> Result<Self, ConditionError<E>> {
        let (operator, operand) = match text.split_once(':') {
            Some((operator, operand)) if matches!(operator, "eq" | "neq" | "in" | "nin") => (operator, operand),
            Some((operator, _)) if matches!(operator, "gt" | "gte" | "lt" | "lte" | "has") => {
                return Err(ConditionError::Operator(operator.to_owned()));
            }
            _ => ("eq", text),
        };
        let mut list = || operand.split(',').map(|item| parse(item.trim())).collect::<Result<Vec<T>, E>>();
        Ok(match operator {
            "eq" => Self::Eq(parse(operand).map_err(ConditionError::Value)?),
            "neq" => Self::Neq(parse(operand).map_err(ConditionError::Value)?),
            "in" => Self::In(list().map_err(ConditionError::Value)?),
            _ => Self::NotIn(list().map_err(ConditionError::Value)?),
        })
    }

    /// The same condition on another representation of the values.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Condition<U> {
        match self {
            Self::Eq(value) => Condition::Eq(f(value)),
            Self::Neq(value) => Condition::Neq(f(value)),
            Self::In(values) => Condition::In(values.iter().map(f).collect()),
            Self::NotIn(values) => Condition::NotIn(values.iter().map(f).collect()),
        }
    }
}

/// Why a filter did not parse.
#[derive(Debug, PartialEq, Eq)]
pub enum ConditionError<E> {
    /// An operator Qinling knew that makes no sense for this field.
    Operator(String),
    Value(E),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(text: &str) -> Result<ExecutionStatus, String> {
        ExecutionStatus::parse(text).ok_or_else(|| text.to_owned())
    }

    #[test]
    fn qinling_filter_operators_parse() {
        assert_eq!(Condition::parse("failed", status), Ok(Condition::Eq(ExecutionStatus::Failed)));
        assert_eq!(Condition::parse("eq:failed", status), Ok(Condition::Eq(ExecutionStatus::Failed)));
        assert_eq!(Condition::parse("neq:success", status), Ok(Condition::Neq(ExecutionStatus::Success)));
        assert_eq!(
            Condition::parse("in:failed,error", status),
            Ok(Condition::In(vec![ExecutionStatus::Failed, ExecutionStatus::Error]))
        );
        assert_eq!(Condition::parse("nin:running", status), Ok(Condition::NotIn(vec![ExecutionStatus::Running])));
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        assert_eq!(Condition::parse("gt:failed", status), Err(ConditionError::Operator("gt".into())));
        assert_eq!(Condition::parse("in:failed,done", status), Err(ConditionError::Value("done".into())));
    }
}
