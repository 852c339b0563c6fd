//! Typed resource ids: UUIDs that cannot be mixed up across resources, plus the owning project.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A string that is not a UUID where one was expected.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a valid UUID")]
pub struct ParseIdError(pub String);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| ParseIdError(s.to_owned()))
            }
        }
    };
}

uuid_id!(
    /// Identifies a runtime.
    RuntimeId
);
uuid_id!(
    /// Identifies a function.
    FunctionId
);
uuid_id!(
    /// Identifies an execution.
    ExecutionId
);
uuid_id!(
    /// Identifies a function version (versions are addressed by number; the id is informational).
    VersionId
);
uuid_id!(
    /// Identifies an alias (aliases are addressed by name; the id is informational).
    AliasId
);
uuid_id!(
    /// Identifies a job.
    JobId
);
uuid_id!(
    /// Identifies a webhook.
    WebhookId
);

/// The project (tenant) that owns a resource; `default` when authentication is off.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectId(String);

impl ProjectId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ProjectId {
    fn default() -> Self {
        Self::new("default")
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = FunctionId::new();
        let parsed: FunctionId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
    }

    #[test]
    fn non_uuid_text_is_rejected_with_the_text() {
        let err = "../etc/passwd".parse::<RuntimeId>().unwrap_err();
        assert_eq!(err.to_string(), "\"../etc/passwd\" is not a valid UUID");
    }
}

/// Whose resources a list shows: one project's, or every project's (an admin's `all_projects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectScope {
    One(ProjectId),
    All,
}

impl ProjectScope {
    /// The one project, or `None` for all of them.
    pub fn project(&self) -> Option<&ProjectId> {
        match self {
            Self::One(project) => Some(project),
            Self::All => None,
        }
    }

    /// The project id to bind as a filter: `None` (SQL NULL) matches every project.
    pub fn filter(&self) -> Option<&str> {
        self.project().map(ProjectId::as_str)
    }
}
