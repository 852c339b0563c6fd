//! What executions resolve, kept in memory when this process is the only one writing the database
//! (SQLite): a function's latest code and settings, and the runtimes functions run on. Any change to a
//! function, a version or a runtime drops everything kept, so an execution never runs what was replaced.
//! On a shared database (PostgreSQL, several replicas) another replica's change could not be seen here,
//! so nothing is kept and every execution reads the database.
//!
//! A reader that fetched a record while a change was being made must not keep the old record: every
//! change bumps a generation, and a record read under an older generation is not kept.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use qinling_core::{FunctionId, ProjectId, Runtime, RuntimeId};

use crate::resolve::Runnable;

/// Most records of each kind kept; past it, everything is dropped and kept again as used.
const MAX_KEPT: usize = 10_000;

/// Records are keyed by id alone (ids are unique across projects) and kept with the project they were
/// read for, so that a lookup allocates nothing; a lookup for another project misses and reads.
pub(crate) struct Resolved {
    enabled: bool,
    generation: AtomicU64,
    functions: DashMap<FunctionId, (ProjectId, Runnable)>,
    runtimes: DashMap<RuntimeId, (ProjectId, Runtime)>,
}

impl Resolved {
    /// Keeps records only when `enabled` (the database has no other writer).
    pub(crate) fn new(enabled: bool) -> Self {
        Self { enabled, generation: AtomicU64::new(0), functions: DashMap::new(), runtimes: DashMap::new() }
    }

    /// Taken before reading a record from the database, and given back to keep it.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The latest code of a function, as last read for `project` (its alias unset).
    pub(crate) fn function(&self, project: &ProjectId, id: FunctionId) -> Option<Runnable> {
        lookup(&self.functions, project, id)
    }

    pub(crate) fn runtime(&self, project: &ProjectId, id: RuntimeId) -> Option<Runtime> {
        lookup(&self.runtimes, project, id)
    }

    /// Keeps a function's latest code read for `project` under `generation`.
    pub(crate) fn keep_function(&self, generation: u64, project: &ProjectId, runnable: &Runnable) {
        let kept = Runnable { alias: None, ..runnable.clone() };
        self.keep(&self.functions, generation, runnable.function_id, (project.clone(), kept));
    }

    /// Keeps a runtime read for `project` under `generation`.
    pub(crate) fn keep_runtime(&self, generation: u64, project: &ProjectId, runtime: &Runtime) {
        self.keep(&self.runtimes, generation, runtime.id, (project.clone(), runtime.clone()));
    }

    /// Drops everything kept: a function, a version or a runtime changed.
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.functions.clear();
        self.runtimes.clear();
    }

    fn keep<K: Eq + std::hash::Hash + Copy, V>(&self, map: &DashMap<K, V>, generation: u64, key: K, value: V) {
        if !self.enabled || self.generation() != generation {
            return;
        }
        if map.len() >= MAX_KEPT {
            map.clear();
        }
        map.insert(key, value);
        // A change that began after the check above has cleared the map, or clears it now; one that
        // finished between the check and the insert is seen here, and the old record goes.
        if self.generation() != generation {
            map.remove(&key);
        }
    }
}

/// The record kept under `id` if it was read for `project`.
fn lookup<K: Eq + std::hash::Hash, V: Clone>(
    map: &DashMap<K, (ProjectId, V)>,
    project: &ProjectId,
    id: K,
) -> Option<V> {
    let kept = map.get(&id)?;
    (kept.0 == *project).then(|| kept.1.clone())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use qinling_core::{CodeSource, Limits, PackageDigest, PackageOrigin, StoredPackage};

    use super::*;

    fn runnable(id: FunctionId) -> Runnable {
        Runnable {
            function_id: id,
            version: 0,
            alias: Some("live".into()),
            runtime_id: Some(RuntimeId::new()),
            code: CodeSource::Package(StoredPackage {
                digest: PackageDigest::of(b"code"),
                size: 4,
                md5sum: String::new(),
                abi: "handler".into(),
                origin: PackageOrigin::Upload,
            }),
            entry: None,
            limits: Limits { timeout: std::time::Duration::from_secs(1), memory_size: 32 << 20, cpu: 100 },
            allowed_hosts: Arc::from([]),
        }
    }

    #[test]
    fn a_record_is_kept_per_project_without_its_alias() {
        let resolved = Resolved::new(true);
        let (project, other) = (ProjectId::new("p"), ProjectId::new("q"));
        let id = FunctionId::new();
        resolved.keep_function(resolved.generation(), &project, &runnable(id));
        let kept = resolved.function(&project, id).expect("kept");
        assert_eq!((kept.function_id, kept.alias), (id, None));
        assert!(resolved.function(&other, id).is_none(), "another project does not see it");
    }

    #[test]
    fn a_record_read_before_a_change_is_not_kept() {
        let resolved = Resolved::new(true);
        let project = ProjectId::new("p");
        let id = FunctionId::new();
        let before = resolved.generation();
        resolved.forget();
        resolved.keep_function(before, &project, &runnable(id));
        assert!(resolved.function(&project, id).is_none());
        resolved.keep_function(resolved.generation(), &project, &runnable(id));
        resolved.forget();
        assert!(resolved.function(&project, id).is_none(), "a change drops what was kept");
    }

    #[test]
    fn a_shared_database_keeps_nothing() {
        let resolved = Resolved::new(false);
        let project = ProjectId::new("p");
        let id = FunctionId::new();
        resolved.keep_function(resolved.generation(), &project, &runnable(id));
        assert!(resolved.function(&project, id).is_none());
    }
}
