//! Aliases: stable names for a function at a version, resolved each time they are used.

use chrono::Utc;
use qinling_core::{Alias, AliasId, FunctionId, Page, ProjectId};

use crate::{Engine, EngineError, Listed, validate};

#[derive(Clone, Debug)]
pub struct NewAlias {
    pub name: String,
    pub function_id: FunctionId,
    pub function_version: i64,
    pub description: String,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AliasUpdate {
    pub function_id: Option<FunctionId>,
    pub function_version: Option<i64>,
    pub description: Option<String>,
}

impl Engine {
    pub async fn create_alias(&self, project: &ProjectId, new: NewAlias) -> Result<Alias, EngineError> {
        if new.name.is_empty() {
            return Err(EngineError::Invalid("an alias needs a name".into()));
        }
        validate::name("name", &new.name)?;
        validate::text("description", &new.description)?;
        self.resolve_version(project, new.function_id, new.function_version, None).await?;
        let now = Utc::now();
        let alias = Alias {
            id: AliasId::new(),
            project_id: project.clone(),
            name: new.name,
            function_id: new.function_id,
            function_version: new.function_version,
            description: new.description,
            created_at: now,
            updated_at: now,
        };
        if !self.store.insert_alias(&alias).await? {
            return Err(EngineError::Conflict(format!("an alias named {:?} already exists", alias.name)));
        }
        Ok(alias)
    }

    pub async fn get_alias(&self, project: &ProjectId, name: &str) -> Result<Alias, EngineError> {
        self.store.get_alias(project, name).await?.ok_or_else(|| EngineError::not_found("alias", name))
    }

    pub async fn list_aliases(&self, project: &ProjectId, page: Page<String>) -> Result<Listed<Alias>, EngineError> {
        if let Some(marker) = &page.marker {
            self.get_alias(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker:?} is not an alias")))?;
        }
        let items = self.store.list_aliases(project, &page).await?;
        Ok(Listed::page(&page, items, |alias| alias.name.clone()))
    }

    pub async fn update_alias(
        &self,
        project: &ProjectId,
        name: &str,
        update: AliasUpdate,
    ) -> Result<Alias, EngineError> {
        let mut alias = self.get_alias(project, name).await?;
        if let Some(description) = update.description {
            validate::text("description", &description)?;
            alias.description = description;
        }
        if update.function_id.is_some() || update.function_version.is_some() {
            let function_id = update.function_id.unwrap_or(alias.function_id);
            // Pointing an alias at another function without a version means that function's latest code.
            let version = update.function_version.unwrap_or(if function_id == alias.function_id {
                alias.function_version
            } else {
                0
            });
            self.resolve_version(project, function_id, version, None).await?;
            alias.function_id = function_id;
            alias.function_version = version;
        }
        alias.updated_at = Utc::now();
        if !self.store.update_alias(&alias).await? {
            return Err(EngineError::not_found("alias", name));
        }
        Ok(alias)
    }

    pub async fn delete_alias(&self, project: &ProjectId, name: &str) -> Result<(), EngineError> {
        match self.store.delete_alias(project, name).await? {
            Ok(true) => Ok(()),
            Ok(false) => Err(EngineError::not_found("alias", name)),
            Err(users) => Err(EngineError::Conflict(format!(
                "alias {name:?} is still used by {}",
                crate::functions::describe_users(&users)
            ))),
        }
    }
}
