//! What an execution, a job or a webhook runs: a function at a version (0: its latest code), or an alias,
//! which names a function and version and is resolved each time it runs.

use crate::FunctionId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Function { id: FunctionId, version: i64 },
    Alias(String),
}

impl Target {
    /// The function id, when the target names one directly.
    pub fn function_id(&self) -> Option<FunctionId> {
        match self {
            Self::Function { id, .. } => Some(*id),
            Self::Alias(_) => None,
        }
    }
}
