//! What can go wrong in the engine, sorted by who must act: the caller (bad input, missing resource,
//! conflict) or the operator (the store or an executor failed).

use qinling_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is malformed or breaks a rule; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// A resource named by the request does not exist (in the caller's project).
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The request conflicts with the current state (for instance deleting something in use).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not have what it asked for (a package download with a wrong token).
    #[error("{0}")]
    Forbidden(String),
    /// An upload is larger than the operator allows.
    #[error("{0}")]
    TooLarge(String),
    /// The platform is at capacity (for instance the async queue is full); retrying later may work.
    #[error("{0}")]
    Overloaded(String),
    /// A platform the request depends on (the container orchestrator) failed or is unreachable.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(StoreError),
    /// An executor failed for reasons that are not the function's.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        if error.is_reference_race() {
            return Self::Conflict(
                "another request changed what this refers to at the same moment (a resource it names was \
                 deleted, or something started using what it deletes); look again and retry"
                    .into(),
            );
        }
        Self::Store(error)
    }
}

impl EngineError {
    pub(crate) fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Self::NotFound { kind, id: id.to_string() }
    }
}
