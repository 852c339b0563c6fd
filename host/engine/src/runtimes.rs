//! Runtimes: a Wasm runtime is the built-in host and is available at once; a container runtime is a pool
//! of workers on the orchestrator, `creating` until the pool is ready (see `containers.rs`).

use chrono::Utc;
use qinling_core::{
    Capacity, NewRuntime, Page, ProjectId, Runtime, RuntimeId, RuntimeKind, RuntimePatch, RuntimeStatus, WASM_IMAGE,
};

use crate::containers::orchestrator_error;
use crate::{Engine, EngineError, Listed, validate};

impl Engine {
    pub async fn create_runtime(&self, project: &ProjectId, new: NewRuntime) -> Result<Runtime, EngineError> {
        validate::name("name", &new.name)?;
        validate::text("description", &new.description)?;
        if new.image.trim().is_empty() {
            return Err(EngineError::Invalid("image must not be empty (use \"wasm\" for a Wasm runtime)".into()));
        }
        let kind = RuntimeKind::resolve(new.kind, &new.image).map_err(EngineError::Invalid)?;
        let status = match kind {
            RuntimeKind::Wasm => RuntimeStatus::Available,
            RuntimeKind::Container => {
                self.containers().map_err(|e| {
                    EngineError::Invalid(format!(
                        "cannot create a container runtime from image {:?}: {e}; use the image \"wasm\" for a Wasm \
                         runtime",
                        new.image
                    ))
                })?;
                validate::image(&new.image)?;
                RuntimeStatus::Creating
            }
        };
        let now = Utc::now();
        let runtime = Runtime {
            id: RuntimeId::new(),
            project_id: project.clone(),
            name: new.name,
            description: new.description,
            kind,
            image: new.image,
            status,
            status_reason: None,
            is_public: new.is_public,
            trusted: new.trusted,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_runtime(&runtime).await?;
        tracing::info!(runtime = %runtime.id, kind = kind.as_str(), "runtime created");
        if kind == RuntimeKind::Container {
            self.provision_pool(&runtime);
        }
        Ok(runtime)
    }

    pub async fn get_runtime(&self, project: &ProjectId, id: RuntimeId) -> Result<Runtime, EngineError> {
        self.store.get_runtime(project, id).await?.ok_or_else(|| EngineError::not_found("runtime", id))
    }

    pub async fn list_runtimes(
        &self,
        project: &ProjectId,
        page: Page<RuntimeId>,
    ) -> Result<Listed<Runtime>, EngineError> {
        if let Some(marker) = page.marker {
            self.get_runtime(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not a runtime")))?;
        }
        let items = self.store.list_runtimes(project, &page).await?;
        Ok(Listed::page(&page, items, |runtime| runtime.id.to_string()))
    }

    pub async fn update_runtime(
        &self,
        project: &ProjectId,
        id: RuntimeId,
        patch: RuntimePatch,
    ) -> Result<Runtime, EngineError> {
        let mut runtime = self.get_runtime(project, id).await?;
        if let Some(name) = patch.name {
            validate::name("name", &name)?;
            runtime.name = name;
        }
        if let Some(description) = patch.description {
            validate::text("description", &description)?;
            runtime.description = description;
        }
        let mut new_image = false;
        if let Some(image) = patch.image
            && image != runtime.image
        {
            if runtime.kind == RuntimeKind::Wasm || image == WASM_IMAGE {
                return Err(EngineError::Invalid(format!(
                    "a runtime cannot change between wasm and container (image {:?} to {:?})",
                    runtime.image, image
                )));
            }
            validate::image(&image)?;
            // The pool is rebuilt with the new image; functions keep their workers until detached or idle.
            runtime.image = image;
            runtime.status = RuntimeStatus::Creating;
            runtime.status_reason = None;
            new_image = true;
        }
        runtime.is_public = patch.is_public.unwrap_or(runtime.is_public);
        runtime.trusted = patch.trusted.unwrap_or(runtime.trusted);
        runtime.updated_at = Utc::now();
        let updated = self.store.update_runtime(&runtime).await?;
        self.resolved.forget();
        if !updated {
            return Err(EngineError::not_found("runtime", id));
        }
        if new_image {
            self.provision_pool(&runtime);
        }
        Ok(runtime)
    }

    /// A runtime's capacity: for Wasm, the instance pool's slots (how many executions at once, how many
    /// free); for a container runtime, its pool of workers (how many, how many idle and ready).
    pub async fn runtime_capacity(&self, project: &ProjectId, id: RuntimeId) -> Result<Capacity, EngineError> {
        let runtime = self.get_runtime(project, id).await?;
        match runtime.kind {
            RuntimeKind::Wasm => Ok(self.wasm.capacity()),
            RuntimeKind::Container => {
                let orchestrator = &self.containers()?.orchestrator;
                orchestrator.pool_capacity(id).await.map_err(orchestrator_error)
            }
        }
    }

    pub async fn delete_runtime(&self, project: &ProjectId, id: RuntimeId) -> Result<(), EngineError> {
        let runtime = self.get_runtime(project, id).await?;
        let deleted = self.store.delete_runtime(project, id).await?;
        self.resolved.forget();
        match deleted {
            Ok(true) => {
                self.discard_pool(&runtime).await;
                Ok(())
            }
            Ok(false) => Err(EngineError::not_found("runtime", id)),
            Err(users) => Err(EngineError::Conflict(format!(
                "runtime {id} is still used by {users} function(s); delete them first"
            ))),
        }
    }
}
