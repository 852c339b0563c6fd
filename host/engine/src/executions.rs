//! Executions: resolve the function, run it on its runtime's executor, check its output, and record the
//! outcome durably before answering. A function that fails gives a `failed` execution; a platform that
//! fails gives an `error` one; both are recorded.

use chrono::Utc;
use qinling_core::{
    ExecuteError, Execution, ExecutionFilter, ExecutionId, ExecutionOutcome, ExecutionRequest, ExecutionResult,
    ExecutionStatus, Executor, Function, FunctionId, ProjectId,
};

use crate::{Engine, EngineError, input, validate};

#[derive(Clone, Debug)]
pub struct NewExecution {
    pub function_id: FunctionId,
    /// 0 means the function's latest code.
    pub function_version: i64,
    /// The input as the client sent it: JSON text, or any other text (then passed as a JSON string).
    pub input: Option<String>,
    pub sync: bool,
    pub description: String,
}

impl Engine {
    /// Runs an execution to completion and returns its record.
    pub async fn create_execution(&self, project: &ProjectId, new: NewExecution) -> Result<Execution, EngineError> {
        validate::text("description", &new.description)?;
        if !new.sync {
            return Err(EngineError::Invalid(
                "asynchronous executions (sync: false) are not available on this server yet; use sync: true".into(),
            ));
        }
        let function = self.get_function(project, new.function_id).await?;
        if new.function_version != 0 {
            return Err(EngineError::not_found(
                "function version",
                format!("{} of function {}", new.function_version, function.id),
            ));
        }
        let runtime = self.get_runtime(project, function.runtime_id).await?;
        let executor = self.executor_for(&runtime)?;

        let created_at = Utc::now();
        let request = ExecutionRequest {
            execution_id: ExecutionId::new(),
            function_id: function.id,
            function_version: new.function_version,
            package: function.package.clone(),
            input: input::normalize(new.input.as_deref()),
            limits: function.limits,
        };
        let (status, result, log) = match self.execute_prepared(executor, &function, request.clone()).await {
            Ok(ExecutionOutcome { output, duration, log }) => {
                let output = output.and_then(|text| input::check_output(&text).map(|()| text));
                match output {
                    Ok(text) => (ExecutionStatus::Success, ExecutionResult { output: text, duration }, log),
                    Err(message) => (ExecutionStatus::Failed, ExecutionResult { output: message, duration }, log),
                }
            }
            Err(e) => {
                tracing::error!(function = %function.id, error = %e, "execution could not run");
                let message = format!("the platform could not run the function: {e}");
                (
                    ExecutionStatus::Error,
                    ExecutionResult { output: message, duration: Default::default() },
                    String::new(),
                )
            }
        };
        let execution = Execution {
            id: request.execution_id,
            project_id: project.clone(),
            function_id: function.id,
            function_version: new.function_version,
            function_alias: None,
            description: new.description,
            input: request.input,
            status,
            sync: true,
            result: Some(result),
            created_at,
            updated_at: Utc::now(),
        };
        self.store.record_execution(&execution, &log).await?;
        Ok(execution)
    }

    /// Executes, preparing the package first if the executor no longer holds it (after a restart whose
    /// compiled-artifact cache was lost): the package is read back from the object store.
    async fn execute_prepared(
        &self,
        executor: &dyn Executor,
        function: &Function,
        request: ExecutionRequest,
    ) -> Result<ExecutionOutcome, ExecuteError> {
        match executor.execute(request.clone()).await {
            Err(ExecuteError::NotPrepared(digest)) => {
                let package = self
                    .store
                    .packages()
                    .get(&digest)
                    .await
                    .map_err(|e| ExecuteError::Internal(e.to_string()))?
                    .ok_or_else(|| {
                        ExecuteError::Internal(format!("package {digest} of function {} is missing", function.id))
                    })?;
                executor.prepare(&digest, package).await.map_err(|e| ExecuteError::Internal(e.to_string()))?;
                executor.execute(request).await
            }
            other => other,
        }
    }

    pub async fn get_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<Execution, EngineError> {
        self.store.get_execution(project, id).await?.ok_or_else(|| EngineError::not_found("execution", id))
    }

    pub async fn list_executions(
        &self,
        project: &ProjectId,
        filter: &ExecutionFilter,
    ) -> Result<Vec<Execution>, EngineError> {
        Ok(self.store.list_executions(project, filter).await?)
    }

    pub async fn execution_log(&self, project: &ProjectId, id: ExecutionId) -> Result<String, EngineError> {
        self.store.execution_log(project, id).await?.ok_or_else(|| EngineError::not_found("execution", id))
    }

    pub async fn delete_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<(), EngineError> {
        if self.store.delete_execution(project, id).await? {
            Ok(())
        } else {
            Err(EngineError::not_found("execution", id))
        }
    }
}
