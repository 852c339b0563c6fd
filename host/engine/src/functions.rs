//! Functions: a package is checked (size, MD5), prepared by its runtime's executor (so a bad package is
//! refused before anything is written and the first execution pays no compilation), stored, then recorded.
//! Packages are content-addressed and deleted when no function refers to them any more.

use bytes::Bytes;
use chrono::Utc;
use md5::{Digest, Md5};
use std::sync::Arc;

use qinling_core::{
    AllowedHost, CodeRef, CodeSource, Executor, Function, FunctionId, PackageDigest, Page, PrepareError, ProjectId,
    RequestedLimits, Runtime, RuntimeId, RuntimeKind, RuntimeStatus,
};
use qinling_store::Users;

use crate::{Engine, EngineError, Listed, validate};

/// Where the code of a new or updated function comes from (Qinling's `code` field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRequest {
    /// The package is uploaded with the request; `md5sum`, when given, must match it.
    Package { md5sum: Option<String> },
    /// A key in the platform's object store (Qinling's `object`/`swift` sources).
    Object { key: String },
    /// A container image that speaks the worker protocol itself.
    Image { image: String },
}

#[derive(Clone, Debug)]
pub struct FunctionRequest {
    pub name: String,
    pub description: String,
    pub runtime_id: Option<RuntimeId>,
    pub code: CodeRequest,
    pub entry: Option<String>,
    pub limits: RequestedLimits,
    /// Origins the function may reach over HTTP, as the client wrote them.
    pub allowed_hosts: Vec<String>,
    pub package: Option<Bytes>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct FunctionUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub entry: Option<String>,
    pub code: Option<CodeRequest>,
    pub limits: RequestedLimits,
    pub allowed_hosts: Option<Vec<String>>,
    pub package: Option<Bytes>,
}

/// A package that passed every check and is stored, not yet referred to by a record.
struct AcceptedPackage {
    digest: PackageDigest,
    size: u64,
    md5sum: String,
    abi: String,
}

impl Engine {
    pub async fn create_function(
        &self,
        project: &ProjectId,
        request: FunctionRequest,
    ) -> Result<Function, EngineError> {
        validate::name("name", &request.name)?;
        validate::text("description", &request.description)?;
        if let Some(entry) = &request.entry {
            validate::text("entry", entry)?;
        }
        let runtime_id = request
            .runtime_id
            .ok_or_else(|| EngineError::Invalid("runtime_id is required for a package function".into()))?;
        let runtime = self.get_runtime(project, runtime_id).await?;
        let executor = self.executor_for(&runtime)?;
        let limits =
            self.settings.limits.resolve(None, request.limits).map_err(|e| EngineError::Invalid(e.to_string()))?;
        let allowed_hosts = parse_allowed_hosts(&request.allowed_hosts)?;
        let md5sum = package_md5(&request.code)?;
        let package = request.package.ok_or_else(|| {
            EngineError::Invalid("a package is required: send the .wasm component in the `package` form field".into())
        })?;
        let accepted = self.accept_package(executor, package, request.entry.clone(), md5sum).await?;

        let now = Utc::now();
        let function = Function {
            id: FunctionId::new(),
            project_id: project.clone(),
            name: request.name,
            description: request.description,
            runtime_id,
            code: CodeSource::Package { md5sum: accepted.md5sum, abi: accepted.abi },
            entry: request.entry,
            limits,
            allowed_hosts,
            count: 0,
            latest_version: 0,
            package: accepted.digest,
            package_size: accepted.size,
            created_at: now,
            updated_at: now,
        };
        if let Err(e) = self.store.insert_function(&function).await {
            self.discard_package_if_unused(&function.package).await;
            return Err(e.into());
        }
        tracing::info!(function = %function.id, package = %function.package, "function created");
        Ok(function)
    }

    pub async fn get_function(&self, project: &ProjectId, id: FunctionId) -> Result<Function, EngineError> {
        self.store.get_function(project, id).await?.ok_or_else(|| EngineError::not_found("function", id))
    }

    pub async fn list_functions(
        &self,
        project: &ProjectId,
        page: Page<FunctionId>,
    ) -> Result<Listed<Function>, EngineError> {
        if let Some(marker) = page.marker {
            self.get_function(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not a function")))?;
        }
        let items = self.store.list_functions(project, &page).await?;
        Ok(Listed::page(&page, items, |function| function.id.to_string()))
    }

    /// The function and the package it was created or last updated with.
    pub async fn download_function(
        &self,
        project: &ProjectId,
        id: FunctionId,
    ) -> Result<(Function, Bytes), EngineError> {
        let function = self.get_function(project, id).await?;
        let package = self.package(&function.package).await?;
        Ok((function, package))
    }

    /// A stored package, which must be there since a record refers to it.
    pub(crate) async fn package(&self, digest: &PackageDigest) -> Result<Bytes, EngineError> {
        self.store
            .packages()
            .get(digest)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("package {digest} is missing from the object store")))
    }

    /// Updates a function. A new package is checked and prepared first: if anything fails, the function
    /// is left exactly as it was.
    pub async fn update_function(
        &self,
        project: &ProjectId,
        id: FunctionId,
        update: FunctionUpdate,
    ) -> Result<Function, EngineError> {
        let mut function = self.get_function(project, id).await?;
        if let Some(name) = update.name {
            validate::name("name", &name)?;
            function.name = name;
        }
        if let Some(description) = update.description {
            validate::text("description", &description)?;
            function.description = description;
        }
        let entry_changed = match update.entry {
            Some(entry) => {
                validate::text("entry", &entry)?;
                let changed = function.entry.as_deref() != Some(entry.as_str());
                function.entry = Some(entry);
                changed
            }
            None => false,
        };
        function.limits = self
            .settings
            .limits
            .resolve(Some(function.limits), update.limits)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        if let Some(hosts) = &update.allowed_hosts {
            function.allowed_hosts = parse_allowed_hosts(hosts)?;
        }
        let md5sum = match &update.code {
            Some(code) => package_md5(code)?,
            None => None,
        };
        let replaced = match update.package {
            Some(package) => {
                let runtime = self.get_runtime(project, function.runtime_id).await?;
                let executor = self.executor_for(&runtime)?;
                let accepted = self.accept_package(executor, package, function.entry.clone(), md5sum).await?;
                function.code = CodeSource::Package { md5sum: accepted.md5sum, abi: accepted.abi };
                function.package_size = accepted.size;
                Some(std::mem::replace(&mut function.package, accepted.digest))
            }
            None if md5sum.is_some() => {
                return Err(EngineError::Invalid("code.md5sum was given but no package was uploaded".into()));
            }
            None if entry_changed => {
                // The entry picks what in the package runs: check the new choice before keeping it.
                let runtime = self.get_runtime(project, function.runtime_id).await?;
                let code = CodeRef { package: function.package.clone(), entry: function.entry.clone() };
                let package = self.package(&code.package).await?;
                let prepared = self.executor_for(&runtime)?.prepare(&code, package).await.map_err(prepare_error)?;
                let CodeSource::Package { abi, .. } = &mut function.code;
                *abi = prepared.abi;
                None
            }
            None => None,
        };
        function.updated_at = Utc::now();
        let updated = self.store.update_function(&function).await;
        let (obsolete, result) = match updated {
            Ok(true) => (replaced, Ok(function)),
            Ok(false) => (replaced.map(|_| function.package.clone()), Err(EngineError::not_found("function", id))),
            Err(e) => (replaced.map(|_| function.package.clone()), Err(e.into())),
        };
        if let Some(digest) = obsolete {
            self.discard_package_if_unused(&digest).await;
        }
        result
    }

    /// Deletes a function with its versions, unless a job, webhook or alias still uses it.
    pub async fn delete_function(&self, project: &ProjectId, id: FunctionId) -> Result<(), EngineError> {
        let function = self.get_function(project, id).await?;
        let versions = self.store.list_versions(project, id).await?;
        match self.store.delete_function(project, id).await? {
            Ok(true) => {}
            Ok(false) => return Err(EngineError::not_found("function", id)),
            Err(users) => {
                return Err(EngineError::Conflict(format!(
                    "function {id} is still used by {}; delete them first",
                    describe_users(&users)
                )));
            }
        }
        self.discard_package_if_unused(&function.package).await;
        for version in versions {
            self.discard_package_if_unused(&version.package).await;
        }
        tracing::info!(function = %id, "function deleted");
        Ok(())
    }

    /// The workers a function holds. Wasm functions run in the shared instance pool and hold none, and
    /// without a container orchestrator there are no others.
    pub async fn function_workers(&self, project: &ProjectId, id: FunctionId) -> Result<Vec<String>, EngineError> {
        self.get_function(project, id).await?;
        Ok(Vec::new())
    }

    /// Refuses scaling a function that has no workers to scale (any function of a Wasm runtime).
    pub async fn check_scalable(&self, project: &ProjectId, id: FunctionId) -> Result<(), EngineError> {
        let function = self.get_function(project, id).await?;
        let runtime = self.get_runtime(project, function.runtime_id).await?;
        match runtime.kind {
            RuntimeKind::Wasm => Err(EngineError::Invalid(format!(
                "function {id} runs on a Wasm runtime: its executions share the instance pool, so it has no \
                 workers to scale or detach"
            ))),
            RuntimeKind::Container => {
                Err(EngineError::Invalid("this server has no container orchestrator, so no container workers".into()))
            }
        }
    }

    /// The executor that runs functions of `runtime`, if the runtime can take functions now.
    pub(crate) fn executor_for(&self, runtime: &Runtime) -> Result<&dyn Executor, EngineError> {
        if runtime.status != RuntimeStatus::Available {
            return Err(EngineError::Invalid(format!(
                "runtime {} is not available (status {})",
                runtime.id,
                runtime.status.as_str()
            )));
        }
        match runtime.kind {
            RuntimeKind::Wasm => Ok(self.wasm.as_ref()),
            RuntimeKind::Container => Err(EngineError::Invalid(format!(
                "runtime {} is a container runtime, and this server has no container orchestrator",
                runtime.id
            ))),
        }
    }

    /// Checks a package's size and MD5, has the executor prepare it (with the entry that picks what in
    /// it to run), and stores it.
    async fn accept_package(
        &self,
        executor: &dyn Executor,
        package: Bytes,
        entry: Option<String>,
        md5sum: Option<String>,
    ) -> Result<AcceptedPackage, EngineError> {
        let max = self.settings.max_package_size;
        if package.len() > max {
            return Err(EngineError::TooLarge(format!(
                "the package is {} bytes; the limit is {max} bytes",
                package.len()
            )));
        }
        if package.is_empty() {
            return Err(EngineError::Invalid("the package is empty".into()));
        }
        let actual_md5 = hex::encode(Md5::digest(&package));
        if let Some(expected) = md5sum
            && !expected.eq_ignore_ascii_case(&actual_md5)
        {
            return Err(EngineError::Invalid(format!(
                "md5sum mismatch: code.md5sum is {expected} but the uploaded package's MD5 is {actual_md5}"
            )));
        }
        let digest = PackageDigest::of(&package);
        let code = CodeRef { package: digest.clone(), entry };
        let prepared = executor.prepare(&code, package.clone()).await.map_err(prepare_error)?;
        self.store.packages().put(&digest, package.clone()).await?;
        Ok(AcceptedPackage { digest, size: package.len() as u64, md5sum: actual_md5, abi: prepared.abi })
    }

    /// Deletes a package and what executors cached for it, once nothing refers to it. Failures are
    /// logged, not returned: the operation that made the package obsolete has already succeeded.
    pub(crate) async fn discard_package_if_unused(&self, digest: &PackageDigest) {
        match self.store.package_in_use(digest).await {
            Ok(true) => {}
            Ok(false) => {
                self.wasm.release(digest).await;
                if let Err(e) = self.store.packages().delete(digest).await {
                    tracing::warn!(package = %digest, error = %e, "cannot delete unused package");
                }
            }
            Err(e) => tracing::warn!(package = %digest, error = %e, "cannot tell whether a package is still used"),
        }
    }
}

/// Parses origins into allowed hosts, refusing the first that is not one.
fn parse_allowed_hosts(hosts: &[String]) -> Result<Arc<[AllowedHost]>, EngineError> {
    const MAX_ALLOWED_HOSTS: usize = 100;
    if hosts.len() > MAX_ALLOWED_HOSTS {
        return Err(EngineError::Invalid(format!(
            "allowed_hosts names {} origins; the limit is {MAX_ALLOWED_HOSTS}",
            hosts.len()
        )));
    }
    hosts.iter().map(|host| AllowedHost::parse(host).map_err(EngineError::Invalid)).collect()
}

fn prepare_error(error: PrepareError) -> EngineError {
    match error {
        PrepareError::Rejected(why) => EngineError::Invalid(format!("invalid package: {why}")),
        PrepareError::Internal(why) => EngineError::Internal(format!("cannot prepare the package: {why}")),
    }
}

/// "2 job(s) and 1 alias(es)": what still uses a resource, for a refusal message.
pub(crate) fn describe_users(users: &Users) -> String {
    let parts: Vec<String> = [(users.jobs, "job(s)"), (users.webhooks, "webhook(s)"), (users.aliases, "alias(es)")]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    parts.join(" and ")
}

/// The MD5 a code request expects, refusing the sources this server cannot serve.
fn package_md5(code: &CodeRequest) -> Result<Option<String>, EngineError> {
    match code {
        CodeRequest::Package { md5sum } => Ok(md5sum.clone()),
        CodeRequest::Object { key } => Err(EngineError::Invalid(format!(
            "code.source \"object\" ({key:?}) is not available on this server: upload the package instead"
        ))),
        CodeRequest::Image { image } => Err(EngineError::Invalid(format!(
            "code.source \"image\" ({image:?}) needs a container orchestrator, and this server has none configured"
        ))),
    }
}
