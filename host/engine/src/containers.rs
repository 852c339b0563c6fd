//! The container side of the engine: where a runnable runs (the Wasm executor, a container runtime's
//! pool, or an image's own workers), provisioning a container runtime's pool in the background and
//! recording how it went, reconciling pools when the server starts, and a function's workers and scaling.

use std::sync::Arc;

use qinling_core::{
    CodeRef, CodeSource, Executor, FunctionId, Orchestrator, OrchestratorError, PackageLinks, Placement, ProjectId,
    Runtime, RuntimeId, RuntimeKind, RuntimeStatus, WorkerInfo, WorkerKey,
};

use crate::resolve::Runnable;
use crate::{Engine, EngineError};

/// The container orchestrator of this server and the links its workers download packages with.
#[derive(Clone)]
pub struct Containers {
    pub orchestrator: Arc<dyn Orchestrator>,
    pub links: PackageLinks,
}

/// Where one execution runs.
pub(crate) enum Place<'a> {
    Wasm(&'a dyn Executor, CodeRef),
    Container(&'a dyn Orchestrator, Placement),
}

/// A change to the workers a function holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Up(usize),
    Down(usize),
    Detach,
}

impl Engine {
    /// The orchestrator, or the error that explains there is none.
    pub(crate) fn containers(&self) -> Result<&Containers, EngineError> {
        self.containers.as_ref().ok_or_else(|| {
            EngineError::Invalid(
                "this server has no container orchestrator configured (start it with --orchestrator docker or \
                 kubernetes)"
                    .into(),
            )
        })
    }

    /// The runtime an execution runs on, kept in memory between changes when the database allows it.
    async fn runtime_to_run(&self, project: &ProjectId, id: RuntimeId) -> Result<Runtime, EngineError> {
        if let Some(runtime) = self.resolved.runtime(project, id) {
            return Ok(runtime);
        }
        let generation = self.resolved.generation();
        let runtime = self.get_runtime(project, id).await?;
        self.resolved.keep_runtime(generation, project, &runtime);
        Ok(runtime)
    }

    /// Where a runnable runs, if its runtime can take executions now.
    pub(crate) async fn place(&self, project: &ProjectId, runnable: &Runnable) -> Result<Place<'_>, EngineError> {
        let package = match &runnable.code {
            CodeSource::Image { image } => {
                let orchestrator = self.containers()?.orchestrator.as_ref();
                return Ok(Place::Container(orchestrator, Placement::Image { image: image.clone() }));
            }
            CodeSource::Package(package) => package,
        };
        let runtime_id = runnable.runtime_id.ok_or_else(|| {
            EngineError::Internal(format!("function {} has a package but no runtime", runnable.function_id))
        })?;
        let runtime = self.runtime_to_run(project, runtime_id).await?;
        check_available(&runtime)?;
        match runtime.kind {
            RuntimeKind::Wasm => Ok(Place::Wasm(
                self.wasm.as_ref(),
                CodeRef { package: package.digest.clone(), entry: runnable.entry.clone() },
            )),
            RuntimeKind::Container => {
                let containers = self.containers()?;
                Ok(Place::Container(
                    containers.orchestrator.as_ref(),
                    Placement::Pool {
                        runtime_id,
                        package: package.digest.clone(),
                        entry: runnable.entry.clone(),
                        download: containers.links.link(&package.digest),
                    },
                ))
            }
        }
    }

    /// Provisions a container runtime's pool in the background; the runtime becomes `available` when the
    /// pool is ready, `error` with the reason otherwise.
    pub(crate) fn provision_pool(&self, runtime: &Runtime) {
        let Some(containers) = self.containers.clone() else { return };
        let (store, resolved, id, image) =
            (self.store.clone(), self.resolved.clone(), runtime.id, runtime.image.clone());
        tokio::spawn(async move {
            let (status, reason) = match containers.orchestrator.ensure_pool(id, &image).await {
                Ok(()) => (RuntimeStatus::Available, None),
                Err(e) => {
                    tracing::warn!(runtime = %id, image, error = %e, "cannot provision the runtime's pool");
                    (RuntimeStatus::Error, Some(e.to_string()))
                }
            };
            let recorded = store.set_runtime_status(id, &image, status, reason.as_deref()).await;
            resolved.forget();
            match recorded {
                Ok(_) => tracing::info!(runtime = %id, status = status.as_str(), "runtime pool provisioned"),
                Err(e) => tracing::error!(runtime = %id, error = %e, "cannot record the runtime's status"),
            }
        });
    }

    /// Reconciles every container runtime's pool (after a restart, or a pool deleted behind our back).
    pub(crate) async fn reconcile_pools(&self) {
        if self.containers.is_none() {
            return;
        }
        match self.store.container_runtimes().await {
            Ok(runtimes) => runtimes.iter().for_each(|runtime| self.provision_pool(runtime)),
            Err(e) => tracing::error!(error = %e, "cannot list container runtimes to reconcile their pools"),
        }
    }

    /// Deletes a deleted runtime's pool; failures are logged (the record is already gone).
    pub(crate) async fn discard_pool(&self, runtime: &Runtime) {
        if runtime.kind != RuntimeKind::Container {
            return;
        }
        if let Some(containers) = &self.containers
            && let Err(e) = containers.orchestrator.delete_pool(runtime.id).await
        {
            tracing::warn!(runtime = %runtime.id, error = %e, "cannot delete the runtime's pool");
        }
    }

    /// Lets go of a function's workers at `version` (every version when `None`) because their code is
    /// obsolete or the function is gone. Failures are logged: idle expiry removes the workers later.
    pub(crate) async fn release_workers(&self, function: FunctionId, version: Option<i64>) {
        if let Some(containers) = &self.containers
            && let Err(e) = containers.orchestrator.detach(function, version).await
        {
            tracing::warn!(function = %function, error = %e, "cannot release the function's workers");
        }
    }

    /// The workers a function holds. Wasm functions run in the shared instance pool and hold none.
    pub async fn function_workers(&self, project: &ProjectId, id: FunctionId) -> Result<Vec<WorkerInfo>, EngineError> {
        self.get_function(project, id).await?;
        match &self.containers {
            Some(containers) => Ok(containers.orchestrator.workers(id).await.map_err(orchestrator_error)?),
            None => Ok(Vec::new()),
        }
    }

    /// Scales the workers of a function at a version (0: its latest code).
    pub async fn scale_function(
        &self,
        project: &ProjectId,
        id: FunctionId,
        version: i64,
        scale: Scale,
    ) -> Result<(), EngineError> {
        let runnable = self.resolve_version(project, id, version, None).await?;
        let (orchestrator, placement) = match self.place(project, &runnable).await? {
            Place::Wasm(..) => {
                return Err(EngineError::Invalid(format!(
                    "function {id} runs on a Wasm runtime: its executions share the instance pool, so it has no \
                     workers to scale or detach"
                )));
            }
            Place::Container(orchestrator, placement) => (orchestrator, placement),
        };
        let key = WorkerKey { function_id: id, version };
        let scaled = match scale {
            Scale::Up(count) => orchestrator.scale_up(key, &placement, runnable.limits, count).await,
            Scale::Down(count) => orchestrator.scale_down(key, count).await,
            Scale::Detach => orchestrator.detach(id, Some(version)).await,
        };
        scaled.map_err(orchestrator_error)
    }
}

/// Refuses a runtime that cannot take functions or executions now.
pub(crate) fn check_available(runtime: &Runtime) -> Result<(), EngineError> {
    if runtime.status == RuntimeStatus::Available {
        return Ok(());
    }
    let reason = runtime.status_reason.as_deref().map(|reason| format!(": {reason}")).unwrap_or_default();
    Err(EngineError::Invalid(format!(
        "runtime {} is not available (status {}{reason})",
        runtime.id,
        runtime.status.as_str()
    )))
}

pub(crate) fn orchestrator_error(error: OrchestratorError) -> EngineError {
    match error {
        OrchestratorError::Invalid(message) => EngineError::Invalid(message),
        OrchestratorError::Backend(message) => {
            EngineError::Unavailable(format!("the container orchestrator failed: {message}"))
        }
    }
}
