//! The target fields Qinling's executions, jobs and webhooks share: `function_id` with an optional
//! `function_version`, or `function_alias`.

use qinling_core::{ProjectId, Target};
use qinling_engine::Engine;
use serde::Deserialize;

use crate::ApiError;

#[derive(Deserialize, Default)]
pub(crate) struct TargetFields {
    #[serde(default)]
    pub(crate) function_id: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::option_i64")]
    pub(crate) function_version: Option<i64>,
    #[serde(default)]
    pub(crate) function_alias: Option<String>,
}

impl TargetFields {
    /// The target named, if any field names one; a function may be named by id or by name. The engine
    /// checks the target exists when it uses it.
    pub(crate) async fn target(&self, engine: &Engine, project: &ProjectId) -> Result<Option<Target>, ApiError> {
        match (&self.function_id, &self.function_alias) {
            (Some(_), Some(_)) => Err(ApiError::bad_request("give either function_id or function_alias, not both")),
            (Some(name_or_id), None) => {
                // An id is taken as it is (the engine checks it when it resolves the target); a name is
                // looked up.
                let id = match name_or_id.parse() {
                    Ok(id) => id,
                    Err(_) => engine.find_function(project, name_or_id).await?.id,
                };
                Ok(Some(Target::Function { id, version: self.function_version.unwrap_or(0) }))
            }
            (None, Some(_)) if self.function_version.unwrap_or(0) != 0 => Err(ApiError::bad_request(
                "function_version cannot be given with function_alias: the alias names the version",
            )),
            (None, Some(alias)) => Ok(Some(Target::Alias(alias.clone()))),
            (None, None) if self.function_version.unwrap_or(0) != 0 => {
                Err(ApiError::bad_request("function_version needs a function_id"))
            }
            (None, None) => Ok(None),
        }
    }

    /// The target, which must be given.
    pub(crate) async fn required(&self, engine: &Engine, project: &ProjectId) -> Result<Target, ApiError> {
        self.target(engine, project)
            .await?
            .ok_or_else(|| ApiError::bad_request("either function_id or function_alias is required"))
    }
}

/// The target as Qinling's three fields: function id, version, alias.
pub(crate) fn fields(target: &Target) -> (Option<String>, Option<i64>, Option<String>) {
    match target {
        Target::Function { id, version } => (Some(id.to_string()), Some(*version), None),
        Target::Alias(name) => (None, None, Some(name.clone())),
    }
}
