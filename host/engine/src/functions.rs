//! Functions: a package is checked (size, MD5), checked by its runtime (the Wasm executor prepares it, so a
//! bad package is refused before anything is written and the first execution pays no compilation; the
//! orchestrator checks a container package is a safe archive), stored, then recorded. An image function
//! names a container image instead and has neither runtime nor package. Packages are content-addressed
//! and deleted when no function refers to them any more.

use bytes::Bytes;
use chrono::Utc;
use md5::{Digest, Md5};
use std::sync::Arc;

use qinling_core::{
    AllowedHost, CodeRef, CodeSource, Function, FunctionId, PackageDigest, PackageOrigin, Page, PrepareError,
    ProjectId, ProjectScope, RequestedLimits, Runtime, RuntimeId, RuntimeKind, StoredPackage,
};
use qinling_store::{ObjectRead, Users};

use crate::containers::check_available;
use crate::{Engine, EngineError, Listed, validate};

/// The `code.abi` of a package for container runtimes: workers call it through the worker protocol.
const CONTAINER_ABI: &str = "worker";

/// Where the code of a new or updated function comes from (Qinling's `code` field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRequest {
    /// The package is uploaded with the request; `md5sum`, when given, must match it.
    Package { md5sum: Option<String> },
    /// Qinling's `object` source: a key under the project's objects in the platform's object store.
    Object { key: String },
    /// Qinling's `swift` source: an object in a container, under the project's objects.
    Swift { container: String, object: String },
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
        let limits =
            self.settings.limits.resolve(None, request.limits).map_err(|e| EngineError::Invalid(e.to_string()))?;
        let allowed_hosts = parse_allowed_hosts(&request.allowed_hosts)?;
        let (runtime_id, code) = match request.code {
            CodeRequest::Image { image } => {
                (None, self.image_code(image, request.runtime_id, request.package.is_some())?)
            }
            code => {
                let runtime_id = request
                    .runtime_id
                    .ok_or_else(|| EngineError::Invalid("runtime_id is required for a package function".into()))?;
                let runtime = self.get_runtime(project, runtime_id).await?;
                check_available(&runtime)?;
                let accepted = match (code, request.package) {
                    (CodeRequest::Package { md5sum }, Some(package)) => {
                        let entry = request.entry.clone();
                        self.accept_package(&runtime, package, entry, md5sum, PackageOrigin::Upload).await?
                    }
                    (CodeRequest::Package { .. }, None) => {
                        return Err(EngineError::Invalid(
                            "a package is required: send it in the `package` form field".into(),
                        ));
                    }
                    (stored, package) => {
                        let origin = stored_origin(stored, package.is_some())?;
                        self.accept_object(project, &runtime, origin, request.entry.clone()).await?
                    }
                };
                (Some(runtime_id), CodeSource::Package(accepted))
            }
        };

        let now = Utc::now();
        let function = Function {
            id: FunctionId::new(),
            project_id: project.clone(),
            name: request.name,
            description: request.description,
            runtime_id,
            code,
            entry: request.entry,
            limits,
            allowed_hosts,
            count: 0,
            latest_version: 0,
            created_at: now,
            updated_at: now,
        };
        if let Err(e) = self.store.insert_function(&function).await {
            self.discard_code_if_unused(&function.code).await;
            return Err(e.into());
        }
        tracing::info!(function = %function.id, "function created");
        Ok(function)
    }

    /// The code of an image function, which runs its own image on the orchestrator and has no runtime
    /// and no package.
    fn image_code(
        &self,
        image: String,
        runtime_id: Option<RuntimeId>,
        has_package: bool,
    ) -> Result<CodeSource, EngineError> {
        self.containers()?;
        validate::image(&image)?;
        if runtime_id.is_some() {
            return Err(EngineError::Invalid(
                "an image function runs its own image: give no runtime_id with code.source \"image\"".into(),
            ));
        }
        if has_package {
            return Err(EngineError::Invalid(
                "an image function runs its own image: send no package with code.source \"image\"".into(),
            ));
        }
        Ok(CodeSource::Image { image })
    }

    pub async fn get_function(&self, project: &ProjectId, id: FunctionId) -> Result<Function, EngineError> {
        self.store.get_function(project, id).await?.ok_or_else(|| EngineError::not_found("function", id))
    }

    pub async fn list_functions(
        &self,
        scope: &ProjectScope,
        page: Page<FunctionId>,
    ) -> Result<Listed<Function>, EngineError> {
        // Across all projects a marker is any id; an unknown one gives an empty page.
        if let (Some(marker), Some(project)) = (page.marker, scope.project()) {
            self.get_function(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not a function")))?;
        }
        let items = self.store.list_functions(scope, &page).await?;
        Ok(Listed::page(&page, items, |function| function.id.to_string()))
    }

    /// The function and the package it was created or last updated with.
    pub async fn download_function(
        &self,
        project: &ProjectId,
        id: FunctionId,
    ) -> Result<(Function, Bytes), EngineError> {
        let function = self.get_function(project, id).await?;
        let package = self.code_package(&function.code).await?;
        Ok((function, package))
    }

    /// The package of package code; an image function has none to download.
    pub(crate) async fn code_package(&self, code: &CodeSource) -> Result<Bytes, EngineError> {
        match code {
            CodeSource::Package(package) => self.package(&package.digest).await,
            CodeSource::Image { image } => {
                Err(EngineError::Invalid(format!("an image function has no package to download (image {image:?})")))
            }
        }
    }

    /// A stored package, which must be there since a record refers to it.
    pub(crate) async fn package(&self, digest: &PackageDigest) -> Result<Bytes, EngineError> {
        self.store
            .packages()
            .get(digest)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("package {digest} is missing from the object store")))
    }

    /// A package for a container worker that shows a valid download token for it.
    pub async fn package_for_worker(&self, digest: &str, token: &str) -> Result<Bytes, EngineError> {
        let denied = || EngineError::Forbidden("the download token does not grant this package".into());
        let containers = self.containers.as_ref().ok_or_else(denied)?;
        let digest = PackageDigest::parse(digest).ok_or_else(denied)?;
        if !containers.links.verify(&digest, token) {
            return Err(denied());
        }
        self.package(&digest).await
    }

    /// Updates a function. A new package is checked and prepared first: if anything fails, the function
    /// is left exactly as it was. Container workers holding the old code are let go.
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
        let limits = self
            .settings
            .limits
            .resolve(Some(function.limits), update.limits)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let limits_changed = limits != function.limits;
        function.limits = limits;
        if let Some(hosts) = &update.allowed_hosts {
            function.allowed_hosts = parse_allowed_hosts(hosts)?;
        }
        let new_code = match (&function.code, update.code, update.package) {
            (CodeSource::Image { .. }, Some(CodeRequest::Image { image }), package) => {
                Some(self.image_code(image, None, package.is_some())?)
            }
            (CodeSource::Image { .. }, None, None) => None,
            (CodeSource::Image { .. }, _, _) | (CodeSource::Package(_), Some(CodeRequest::Image { .. }), _) => {
                return Err(EngineError::Invalid(
                    "code.source cannot change between package and image: create a new function".into(),
                ));
            }
            (
                CodeSource::Package(_),
                Some(stored @ (CodeRequest::Object { .. } | CodeRequest::Swift { .. })),
                package,
            ) => {
                let origin = stored_origin(stored, package.is_some())?;
                let runtime = self.function_runtime(project, &function).await?;
                Some(CodeSource::Package(self.accept_object(project, &runtime, origin, function.entry.clone()).await?))
            }
            (CodeSource::Package(_), code, Some(package)) => {
                let md5sum = match code {
                    Some(CodeRequest::Package { md5sum }) => md5sum,
                    _ => None,
                };
                let runtime = self.function_runtime(project, &function).await?;
                let entry = function.entry.clone();
                Some(CodeSource::Package(
                    self.accept_package(&runtime, package, entry, md5sum, PackageOrigin::Upload).await?,
                ))
            }
            (CodeSource::Package(_), Some(CodeRequest::Package { md5sum: Some(_) }), None) => {
                return Err(EngineError::Invalid("code.md5sum was given but no package was uploaded".into()));
            }
            (CodeSource::Package(package), _, None) if entry_changed => {
                // The entry picks what in the package runs: check the new choice before keeping it.
                let runtime = self.function_runtime(project, &function).await?;
                let bytes = self.package(&package.digest).await?;
                let abi = self.check_package(&runtime, &package.digest, bytes, function.entry.clone()).await?;
                Some(CodeSource::Package(StoredPackage { abi, ..package.clone() }))
            }
            (CodeSource::Package(_), _, None) => None,
        };
        let code_changed = new_code.is_some() || entry_changed;
        let replaced = new_code.map(|code| std::mem::replace(&mut function.code, code));
        function.updated_at = Utc::now();
        let updated = self.store.update_function(&function).await;
        self.resolved.forget();
        let (obsolete, result) = match updated {
            Ok(true) => (replaced, Ok(function)),
            Ok(false) => (replaced.map(|_| function.code.clone()), Err(EngineError::not_found("function", id))),
            Err(e) => (replaced.map(|_| function.code.clone()), Err(e.into())),
        };
        if let Some(code) = obsolete {
            self.discard_code_if_unused(&code).await;
        }
        if result.is_ok() && (code_changed || limits_changed) {
            self.release_workers(id, Some(0)).await;
        }
        result
    }

    /// Deletes a function with its versions, unless a job, webhook or alias still uses it.
    pub async fn delete_function(&self, project: &ProjectId, id: FunctionId) -> Result<(), EngineError> {
        let function = self.get_function(project, id).await?;
        let versions = self.store.list_versions(project, id).await?;
        let deleted = self.store.delete_function(project, id).await?;
        self.resolved.forget();
        match deleted {
            Ok(true) => {}
            Ok(false) => return Err(EngineError::not_found("function", id)),
            Err(users) => {
                return Err(EngineError::Conflict(format!(
                    "function {id} is still used by {}; delete them first",
                    describe_users(&users)
                )));
            }
        }
        self.release_workers(id, None).await;
        self.discard_code_if_unused(&function.code).await;
        for version in versions {
            self.discard_code_if_unused(&version.code).await;
        }
        tracing::info!(function = %id, "function deleted");
        Ok(())
    }

    /// The runtime of a package function.
    async fn function_runtime(&self, project: &ProjectId, function: &Function) -> Result<Runtime, EngineError> {
        let id = function
            .runtime_id
            .ok_or_else(|| EngineError::Internal(format!("function {} has a package but no runtime", function.id)))?;
        let runtime = self.get_runtime(project, id).await?;
        check_available(&runtime)?;
        Ok(runtime)
    }

    /// Reads a package from the project's objects (read once: a later change to the object needs a
    /// function update to be picked up) and accepts it as if it had been uploaded.
    async fn accept_object(
        &self,
        project: &ProjectId,
        runtime: &Runtime,
        origin: PackageOrigin,
        entry: Option<String>,
    ) -> Result<StoredPackage, EngineError> {
        let key = origin.object_key().ok_or_else(|| EngineError::Internal("an upload has no object key".into()))?;
        let max = self.settings.max_package_size;
        let package = match self.store.packages().get_object(project, &key, max as u64).await? {
            ObjectRead::Found(bytes) => bytes,
            ObjectRead::Missing => {
                return Err(EngineError::Invalid(format!(
                    "project {project} has no object {key:?}: put it at objects/{project}/{key} in the package store"
                )));
            }
            ObjectRead::TooLarge { size } => {
                return Err(EngineError::TooLarge(format!(
                    "the object {key:?} is {size} bytes; the package limit is {max} bytes"
                )));
            }
            ObjectRead::BadKey(why) => return Err(EngineError::Invalid(why)),
        };
        self.accept_package(runtime, package, entry, None, origin).await
    }

    /// Checks a package's size and MD5, has the runtime check it (with the entry that picks what in it to
    /// run), and stores it.
    async fn accept_package(
        &self,
        runtime: &Runtime,
        package: Bytes,
        entry: Option<String>,
        md5sum: Option<String>,
        origin: PackageOrigin,
    ) -> Result<StoredPackage, EngineError> {
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
        let abi = self.check_package(runtime, &digest, package.clone(), entry).await?;
        self.store.packages().put(&digest, package.clone()).await?;
        Ok(StoredPackage { digest, size: package.len() as u64, md5sum: actual_md5, abi, origin })
    }

    /// Has the runtime check a package: the Wasm executor validates and compiles it (so the first
    /// execution pays no compilation); the orchestrator checks it is an archive a worker can load.
    /// Returns how the package is called (its `abi`).
    async fn check_package(
        &self,
        runtime: &Runtime,
        digest: &PackageDigest,
        package: Bytes,
        entry: Option<String>,
    ) -> Result<String, EngineError> {
        match runtime.kind {
            RuntimeKind::Wasm => {
                let code = CodeRef { package: digest.clone(), entry };
                Ok(self.wasm.prepare(&code, package).await.map_err(prepare_error)?.abi)
            }
            RuntimeKind::Container => {
                let orchestrator = &self.containers()?.orchestrator;
                orchestrator
                    .check_package(&package)
                    .map_err(|why| EngineError::Invalid(format!("invalid package: {why}")))?;
                Ok(CONTAINER_ABI.to_owned())
            }
        }
    }

    /// Deletes a package and what executors cached for it, once nothing refers to it. Failures are
    /// logged, not returned: the operation that made the package obsolete has already succeeded.
    pub(crate) async fn discard_code_if_unused(&self, code: &CodeSource) {
        let Some(StoredPackage { digest, .. }) = code.package() else { return };
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

/// Where a package named by `code.source` `object` or `swift` comes from; a package uploaded too is
/// refused, since the two would disagree.
fn stored_origin(code: CodeRequest, has_package: bool) -> Result<PackageOrigin, EngineError> {
    if has_package {
        return Err(EngineError::Invalid(
            "the code comes from a stored object: send no package with code.source \"object\" or \"swift\"".into(),
        ));
    }
    match code {
        CodeRequest::Object { key } => Ok(PackageOrigin::Object { key }),
        CodeRequest::Swift { container, .. } if container.contains('/') => {
            Err(EngineError::Invalid(format!("code.swift.container {container:?} must not contain '/'")))
        }
        CodeRequest::Swift { container, object } => Ok(PackageOrigin::Swift { container, object }),
        CodeRequest::Package { .. } | CodeRequest::Image { .. } => {
            Err(EngineError::Internal("not a stored-object code source".into()))
        }
    }
}
