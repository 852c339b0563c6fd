//! Finding a function or runtime by id or by name, as Qinling's clients address them. A name must
//! name exactly one resource of the project; otherwise the caller is told to use the id.

use qinling_core::{Function, ProjectId, Runtime};

use crate::{Engine, EngineError};

impl Engine {
    /// The function `name_or_id` names: a UUID is an id, anything else a name.
    pub async fn find_function(&self, project: &ProjectId, name_or_id: &str) -> Result<Function, EngineError> {
        if let Ok(id) = name_or_id.parse() {
            return self.get_function(project, id).await;
        }
        let found = self.store.functions_named(project, name_or_id, 2).await?;
        single("function", name_or_id, found)
    }

    /// The runtime `name_or_id` names: a UUID is an id, anything else a name.
    pub async fn find_runtime(&self, project: &ProjectId, name_or_id: &str) -> Result<Runtime, EngineError> {
        if let Ok(id) = name_or_id.parse() {
            return self.get_runtime(project, id).await;
        }
        let found = self.store.runtimes_named(project, name_or_id, 2).await?;
        single("runtime", name_or_id, found)
    }
}

fn single<T>(kind: &'static str, name: &str, mut found: Vec<T>) -> Result<T, EngineError> {
    match found.len() {
        0 => Err(EngineError::not_found(kind, name)),
        1 => Ok(found.remove(0)),
        _ => Err(EngineError::Conflict(format!("several {kind}s are named {name:?}; use the id"))),
    }
}
