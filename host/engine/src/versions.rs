//! Function versions: immutable snapshots of a function's code (package or image) and settings, numbered
//! from 1. A version is refused when the code has not changed since the latest one, or when the function
//! has the operator's maximum of versions.

use bytes::Bytes;
use qinling_core::{FunctionId, FunctionVersion, ProjectId};
use qinling_store::VersionRefusal;

use crate::{Engine, EngineError, validate};

impl Engine {
    pub async fn create_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        description: &str,
    ) -> Result<FunctionVersion, EngineError> {
        validate::text("description", description)?;
        let max = self.settings.max_versions;
        match self.store.create_version(project, function_id, description, max).await? {
            Ok(version) => {
                tracing::info!(function = %function_id, version = version.version_number, "version created");
                Ok(version)
            }
            Err(VersionRefusal::NoSuchFunction) => Err(EngineError::not_found("function", function_id)),
            Err(VersionRefusal::TooMany(max)) => Err(EngineError::Conflict(format!(
                "function {function_id} already has the maximum of {max} versions; delete one first"
            ))),
            Err(VersionRefusal::Unchanged(latest)) => Err(EngineError::Conflict(format!(
                "the package of function {function_id} has not changed since version {latest}; update it first"
            ))),
        }
    }

    pub async fn get_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        number: i64,
    ) -> Result<FunctionVersion, EngineError> {
        self.store
            .get_version(project, function_id, number)
            .await?
            .ok_or_else(|| EngineError::not_found("function version", format!("{number} of function {function_id}")))
    }

    pub async fn list_versions(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
    ) -> Result<Vec<FunctionVersion>, EngineError> {
        self.get_function(project, function_id).await?;
        Ok(self.store.list_versions(project, function_id).await?)
    }

    /// A version and its package.
    pub async fn download_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        number: i64,
    ) -> Result<(FunctionVersion, Bytes), EngineError> {
        let version = self.get_version(project, function_id, number).await?;
        let package = self.code_package(&version.code).await?;
        Ok((version, package))
    }

    pub async fn delete_version(
        &self,
        project: &ProjectId,
        function_id: FunctionId,
        number: i64,
    ) -> Result<(), EngineError> {
        let version = self.get_version(project, function_id, number).await?;
        match self.store.delete_version(project, function_id, number).await? {
            Ok(true) => {}
            Ok(false) => {
                return Err(EngineError::not_found("function version", format!("{number} of function {function_id}")));
            }
            Err(users) => {
                return Err(EngineError::Conflict(format!(
                    "version {number} of function {function_id} is still used by {}",
                    crate::functions::describe_users(&users)
                )));
            }
        }
        self.release_workers(function_id, Some(number)).await;
        self.discard_code_if_unused(&version.code).await;
        Ok(())
    }
}
