//! Resolving what to run: a target (function at a version, or alias) becomes the exact code and limits
//! of one execution. An alias is looked up each time, so changing it redirects later executions; a
//! function's latest code comes from [`crate::resolved`] when it is kept there.

use std::sync::Arc;

use qinling_core::{AllowedHost, CodeSource, Function, FunctionId, Limits, ProjectId, RuntimeId, Target};

use crate::{Engine, EngineError};

/// Everything an execution needs to know about the code it runs.
#[derive(Clone, Debug)]
pub(crate) struct Runnable {
    pub(crate) function_id: FunctionId,
    pub(crate) version: i64,
    pub(crate) alias: Option<String>,
    /// `None` for an image function.
    pub(crate) runtime_id: Option<RuntimeId>,
    pub(crate) code: CodeSource,
    pub(crate) entry: Option<String>,
    pub(crate) limits: Limits,
    pub(crate) allowed_hosts: Arc<[AllowedHost]>,
}

impl Runnable {
    fn latest(function: Function, alias: Option<String>) -> Self {
        Self {
            function_id: function.id,
            version: 0,
            alias,
            runtime_id: function.runtime_id,
            code: function.code,
            entry: function.entry,
            limits: function.limits,
            allowed_hosts: function.allowed_hosts,
        }
    }
}

impl Engine {
    pub(crate) async fn resolve(&self, project: &ProjectId, target: &Target) -> Result<Runnable, EngineError> {
        let (function_id, version, alias) = match target {
            Target::Function { id, version } => (*id, *version, None),
            Target::Alias(name) => {
                let alias = self.get_alias(project, name).await?;
                (alias.function_id, alias.function_version, Some(alias.name))
            }
        };
        self.resolve_version(project, function_id, version, alias).await
    }

    /// The code of `function_id` at `version` (0: its latest code).
    pub(crate) async fn resolve_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        version: i64,
        alias: Option<String>,
    ) -> Result<Runnable, EngineError> {
        if version < 0 {
            return Err(EngineError::Invalid(format!("function_version must be 0 (latest) or more, not {version}")));
        }
        if version == 0 {
            if let Some(kept) = self.resolved.function(project, function_id) {
                return Ok(Runnable { alias, ..kept });
            }
            let generation = self.resolved.generation();
            let runnable = Runnable::latest(self.get_function(project, function_id).await?, alias);
            self.resolved.keep_function(generation, project, &runnable);
            return Ok(runnable);
        }
        let snapshot = self.get_version(project, function_id, version).await?;
        Ok(Runnable {
            function_id,
            version,
            alias,
            runtime_id: snapshot.runtime_id,
            code: snapshot.code,
            entry: snapshot.entry,
            limits: snapshot.limits,
            allowed_hosts: snapshot.allowed_hosts,
        })
    }

    /// Checks that a target exists now (for jobs and webhooks, which run it later).
    pub(crate) async fn check_target(&self, project: &ProjectId, target: &Target) -> Result<(), EngineError> {
        self.resolve(project, target).await.map(drop)
    }
}
