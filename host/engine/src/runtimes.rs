//! Runtimes: a Wasm runtime is the built-in host and is available at once; container runtimes need an
//! orchestrator, which this server does not have yet.

use chrono::Utc;
use qinling_core::{
    Capacity, NewRuntime, Page, ProjectId, Runtime, RuntimeId, RuntimeKind, RuntimePatch, RuntimeStatus,
};

use crate::{Engine, EngineError, Listed, validate};

impl Engine {
    pub async fn create_runtime(&self, project: &ProjectId, new: NewRuntime) -> Result<Runtime, EngineError> {
        validate::name("name", &new.name)?;
        validate::text("description", &new.description)?;
        if new.image.trim().is_empty() {
            return Err(EngineError::Invalid("image must not be empty (use \"wasm\" for a Wasm runtime)".into()));
        }
        let kind = RuntimeKind::resolve(new.kind, &new.image).map_err(EngineError::Invalid)?;
        if kind == RuntimeKind::Container {
            return Err(EngineError::Invalid(format!(
                "cannot create a container runtime from image {:?}: this server has no container orchestrator \
                 configured; use the image \"wasm\" for a Wasm runtime",
                new.image
            )));
        }
        let now = Utc::now();
        let runtime = Runtime {
            id: RuntimeId::new(),
            project_id: project.clone(),
            name: new.name,
            description: new.description,
            kind,
            image: new.image,
            status: RuntimeStatus::Available,
            is_public: new.is_public,
            trusted: new.trusted,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_runtime(&runtime).await?;
        tracing::info!(runtime = %runtime.id, kind = kind.as_str(), "runtime created");
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
        if let Some(image) = patch.image
            && image != runtime.image
        {
            return Err(EngineError::Invalid(format!(
                "the image of a {} runtime cannot change (from {:?} to {:?})",
                runtime.kind.as_str(),
                runtime.image,
                image
            )));
        }
        runtime.is_public = patch.is_public.unwrap_or(runtime.is_public);
        runtime.trusted = patch.trusted.unwrap_or(runtime.trusted);
        runtime.updated_at = Utc::now();
        if !self.store.update_runtime(&runtime).await? {
            return Err(EngineError::not_found("runtime", id));
        }
        Ok(runtime)
    }

    /// How many executions a runtime can run at once, and how many more it could start now.
    pub async fn runtime_capacity(&self, project: &ProjectId, id: RuntimeId) -> Result<Capacity, EngineError> {
        let runtime = self.get_runtime(project, id).await?;
        Ok(self.executor_for(&runtime)?.capacity())
    }

    pub async fn delete_runtime(&self, project: &ProjectId, id: RuntimeId) -> Result<(), EngineError> {
        match self.store.delete_runtime(project, id).await? {
            Ok(true) => Ok(()),
            Ok(false) => Err(EngineError::not_found("runtime", id)),
            Err(users) => Err(EngineError::Conflict(format!(
                "runtime {id} is still used by {users} function(s); delete them first"
            ))),
        }
    }
}
