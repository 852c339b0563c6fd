//! Executions: resolve the target, then either run it now (sync: the answer carries the outcome, recorded
//! durably first) or queue it (async: answered at once with status `running`, run by a queue worker). A
//! function that fails gives a `failed` execution; a platform that fails gives an `error` one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use qinling_core::{
    CodeRef, ContainerExecution, ExecuteError, Execution, ExecutionFilter, ExecutionId, ExecutionOutcome,
    ExecutionRequest, ExecutionResult, ExecutionStatus, Executor, FunctionId, Page, ProjectId, ProjectScope, Target,
    WorkerKey,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::containers::Place;
use crate::resolve::Runnable;
use crate::{Engine, EngineError, Listed, input, validate};

/// How long an async execution waits before trying again when the host is full.
const OVERLOAD_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// What an execution does when there is no room for it. Both wait for their function's concurrency slot;
/// a sync request is refused (HTTP 429) when too many sync requests are already in the server, or the
/// instance pool's wait is full, so that overload never piles up in memory; a queued async execution
/// waits its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Refuse,
    Wait,
}

/// A sync execution counted in the server until dropped (also when its request is cancelled).
struct Admitted {
    count: Arc<AtomicUsize>,
    /// How many were in before.
    ahead: usize,
}

impl Admitted {
    fn join(count: Arc<AtomicUsize>) -> Self {
        Self { ahead: count.fetch_add(1, Ordering::Relaxed), count }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Clone, Debug)]
pub struct NewExecution {
    pub target: Target,
    /// The input as the client sent it: JSON text, or any other text (then passed as a JSON string).
    pub input: Option<String>,
    pub sync: bool,
    pub description: String,
}

/// What is recorded when the platform could not run an execution (logged here, once).
pub(crate) fn platform_failure(execution: &Execution, error: &str) -> ExecutionResult {
    tracing::error!(execution = %execution.id, error = %error, "execution could not run");
    ExecutionResult {
        output: format!("the platform could not run the function: {error}"),
        duration: Default::default(),
    }
}

impl Engine {
    /// Creates an execution: a sync one is run to completion before this returns, an async one is queued.
    pub async fn create_execution(&self, project: &ProjectId, new: NewExecution) -> Result<Execution, EngineError> {
        validate::text("description", &new.description)?;
        let runnable = self.resolve(project, &new.target).await?;
        let place = self.place(project, &runnable).await?;
        let now = Utc::now();
        let execution = Execution {
            id: ExecutionId::new(),
            project_id: project.clone(),
            function_id: runnable.function_id,
            function_version: runnable.version,
            function_alias: runnable.alias.clone(),
            description: new.description,
            input: input::normalize(new.input.as_deref()),
            status: ExecutionStatus::Running,
            sync: new.sync,
            result: None,
            created_at: now,
            updated_at: now,
        };
        if !new.sync {
            self.enqueue(&execution).await?;
            return Ok(execution);
        }
        let (execution, log) = self.run_at(Ok(place), &runnable, execution, Admission::Refuse).await?;
        Ok(self.store.record_execution(execution, log).await?)
    }

    /// Runs an accepted execution and returns it finished, with its log. Whatever goes wrong is the
    /// execution's outcome, except a lack of room, which `admission` turns into a wait or a refusal.
    pub(crate) async fn run(
        &self,
        runnable: &Runnable,
        execution: Execution,
        admission: Admission,
    ) -> Result<(Execution, String), EngineError> {
        let place = self.place(&execution.project_id, runnable).await;
        self.run_at(place, runnable, execution, admission).await
    }

    /// [`Engine::run`] where the runnable has been placed already (or could not be).
    async fn run_at(
        &self,
        place: Result<Place<'_>, EngineError>,
        runnable: &Runnable,
        execution: Execution,
        admission: Admission,
    ) -> Result<(Execution, String), EngineError> {
        let outcome = match place {
            Ok(place) => self.admitted(runnable, admission, || self.execute_at(&place, runnable, &execution)).await?,
            Err(e) => Err(e.to_string()),
        };
        let (status, result, log) = match outcome {
            Ok(ExecutionOutcome { output, duration, log }) => {
                match output.and_then(|text| input::check_output(&text).map(|()| text)) {
                    Ok(text) => (ExecutionStatus::Success, ExecutionResult { output: text, duration }, log),
                    Err(message) => (ExecutionStatus::Failed, ExecutionResult { output: message, duration }, log),
                }
            }
            Err(e) => (ExecutionStatus::Error, platform_failure(&execution, &e), String::new()),
        };
        Ok((self.finish(runnable, execution, status, result), log))
    }

    /// Calls `attempt` once the execution is admitted and holds one of its function's slots. When an
    /// executor has no room, `admission` decides: refuse (an error) or wait and call again. Inside,
    /// `Err` says why the platform could not run the execution.
    pub(crate) async fn admitted<T, F>(
        &self,
        runnable: &Runnable,
        admission: Admission,
        mut attempt: impl FnMut() -> F,
    ) -> Result<Result<T, String>, EngineError>
    where
        F: Future<Output = Result<T, ExecuteError>>,
    {
        let _admitted = match admission {
            Admission::Refuse => Some(self.admit()?),
            Admission::Wait => None,
        };
        let _function_slot = self.function_slot(runnable.function_id).await?;
        loop {
            match attempt().await {
                Err(ExecuteError::Overloaded(why)) => match admission {
                    Admission::Refuse => return Err(EngineError::Overloaded(why)),
                    Admission::Wait => tokio::time::sleep(OVERLOAD_BACKOFF).await,
                },
                outcome => return Ok(outcome.map_err(|e| e.to_string())),
            }
        }
    }

    /// The execution with its outcome, counted in the metrics.
    pub(crate) fn finish(
        &self,
        runnable: &Runnable,
        mut execution: Execution,
        status: ExecutionStatus,
        result: ExecutionResult,
    ) -> Execution {
        self.metrics.record(&runnable.code, status, result.duration);
        execution.status = status;
        execution.result = Some(result);
        execution.updated_at = Utc::now();
        execution
    }

    /// One of the function's concurrency slots, held while it runs; executions past the cap wait.
    async fn function_slot(&self, function: FunctionId) -> Result<OwnedSemaphorePermit, EngineError> {
        let cap = self.settings.max_function_concurrency;
        let slots = self.running.entry(function).or_insert_with(|| Arc::new(Semaphore::new(cap))).clone();
        slots.acquire_owned().await.map_err(|_| EngineError::Internal("the engine is shutting down".into()))
    }

    /// A place among the sync executions in the server, or a refusal when they are at the bound.
    fn admit(&self) -> Result<Admitted, EngineError> {
        let admitted = Admitted::join(self.admitted.clone());
        if admitted.ahead >= self.settings.max_sync_in_flight {
            return Err(EngineError::Overloaded(format!(
                "{} sync executions are already running or waiting; retry later",
                admitted.ahead
            )));
        }
        Ok(admitted)
    }

    /// Runs one execution where it was placed.
    async fn execute_at(
        &self,
        place: &Place<'_>,
        runnable: &Runnable,
        execution: &Execution,
    ) -> Result<ExecutionOutcome, ExecuteError> {
        match place {
            Place::Wasm(executor, code) => {
                let request = ExecutionRequest {
                    execution_id: execution.id,
                    function_id: runnable.function_id,
                    function_version: runnable.version,
                    code: code.clone(),
                    input: execution.input.clone(),
                    limits: runnable.limits,
                    allowed_hosts: runnable.allowed_hosts.clone(),
                };
                self.execute_prepared(*executor, request).await
            }
            Place::Container(orchestrator, placement) => {
                let key = WorkerKey { function_id: runnable.function_id, version: runnable.version };
                let request = ContainerExecution {
                    execution_id: execution.id,
                    key,
                    placement: placement.clone(),
                    input: execution.input.clone(),
                    limits: runnable.limits,
                };
                orchestrator.execute(request).await
            }
        }
    }

    /// Executes, preparing the package first if the executor no longer holds it.
    async fn execute_prepared(
        &self,
        executor: &dyn Executor,
        request: ExecutionRequest,
    ) -> Result<ExecutionOutcome, ExecuteError> {
        match executor.execute(request.clone()).await {
            Err(ExecuteError::NotPrepared(code)) => {
                self.prepare_again(executor, &code).await?;
                executor.execute(request).await
            }
            other => other,
        }
    }

    /// Prepares a package the executor no longer holds (after a restart whose compiled-artifact cache
    /// was lost): the package is read back from the object store.
    pub(crate) async fn prepare_again(&self, executor: &dyn Executor, code: &CodeRef) -> Result<(), ExecuteError> {
        let package = self.package(&code.package).await.map_err(|e| ExecuteError::Internal(e.to_string()))?;
        executor.prepare(code, package).await.map(drop).map_err(|e| ExecuteError::Internal(e.to_string()))
    }

    pub async fn get_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<Execution, EngineError> {
        self.store.get_execution(project, id).await?.ok_or_else(|| EngineError::not_found("execution", id))
    }

    /// A page of executions, newest first. Without a limit, a page holds at most
    /// [`crate::DEFAULT_EXECUTION_PAGE`] executions.
    pub async fn list_executions(
        &self,
        scope: &ProjectScope,
        filter: &ExecutionFilter,
        mut page: Page<ExecutionId>,
    ) -> Result<Listed<Execution>, EngineError> {
        // Across all projects a marker is any id; an unknown one gives an empty page.
        if let (Some(marker), Some(project)) = (page.marker, scope.project()) {
            self.get_execution(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not an execution")))?;
        }
        page.limit = Some(page.limit.unwrap_or(crate::DEFAULT_EXECUTION_PAGE));
        let items = self.store.list_executions(scope, filter, &page).await?;
        Ok(Listed::page(&page, items, |e| e.id.to_string()))
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
