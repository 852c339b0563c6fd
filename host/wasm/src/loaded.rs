//! Linked code kept in memory, within a budget: each entry counts the size of its compiled image, and
//! when the total passes the budget the least recently used entries are dropped until a quarter of the
//! budget is free again. A dropped entry is loaded again from the disk cache when next used (a cold
//! start of a millisecond or so instead of microseconds); an execution that holds one keeps it alive
//! until it ends.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use qinling_core::{CodeRef, PackageDigest};

struct Entry<T> {
    linked: T,
    size: u64,
    last_used: AtomicU64,
}

/// Kept code of type `T` (linked code; anything cheap to clone in the tests).
pub(crate) struct Loaded<T> {
    entries: DashMap<CodeRef, Entry<T>>,
    /// The sum of the entries' sizes.
    total: AtomicU64,
    budget: u64,
    /// Advances at every use: the order of last uses.
    clock: AtomicU64,
}

impl<T: Clone> Loaded<T> {
    pub(crate) fn new(budget: u64) -> Self {
        Self { entries: DashMap::new(), total: AtomicU64::new(0), budget, clock: AtomicU64::new(0) }
    }

    /// The linked code, marked as just used.
    pub(crate) fn get(&self, code: &CodeRef) -> Option<T> {
        let entry = self.entries.get(code)?;
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        Some(entry.linked.clone())
    }

    /// Keeps linked code of `size` bytes (unless another caller kept it first: then that one is
    /// returned), dropping the least recently used when the budget is passed.
    pub(crate) fn insert(&self, code: &CodeRef, linked: T, size: u64) -> T {
        let kept = {
            let entry = self.entries.entry(code.clone()).or_insert_with(|| {
                self.total.fetch_add(size, Ordering::Relaxed);
                Entry { linked, size, last_used: AtomicU64::new(0) }
            });
            entry.last_used.store(self.tick(), Ordering::Relaxed);
            entry.linked.clone()
        };
        if self.total.load(Ordering::Relaxed) > self.budget {
            self.evict(code);
        }
        kept
    }

    /// Drops everything linked from `package`.
    pub(crate) fn remove_package(&self, package: &PackageDigest) {
        self.entries.retain(|code, entry| {
            let keep = &code.package != package;
            if !keep {
                self.total.fetch_sub(entry.size, Ordering::Relaxed);
            }
            keep
        });
    }

    /// How many entries are kept and their total size.
    pub(crate) fn usage(&self) -> (usize, u64) {
        (self.entries.len(), self.total.load(Ordering::Relaxed))
    }

    /// Drops the least recently used entries, never `just_kept`, until a quarter of the budget is free.
    fn evict(&self, just_kept: &CodeRef) {
        let target = self.budget - self.budget / 4;
        let mut by_age: Vec<(u64, CodeRef)> = self
            .entries
            .iter()
            .filter(|entry| entry.key() != just_kept)
            .map(|entry| (entry.last_used.load(Ordering::Relaxed), entry.key().clone()))
            .collect();
        by_age.sort_unstable_by_key(|(last_used, _)| *last_used);
        let mut dropped = 0;
        for (_, code) in by_age {
            if self.total.load(Ordering::Relaxed) <= target {
                break;
            }
            if let Some((_, entry)) = self.entries.remove(&code) {
                self.total.fetch_sub(entry.size, Ordering::Relaxed);
                dropped += 1;
            }
        }
        let (kept, bytes) = self.usage();
        tracing::debug!(dropped, kept, bytes, budget = self.budget, "dropped least recently used code");
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(name: &str) -> CodeRef {
        CodeRef { package: PackageDigest::of(name.as_bytes()), entry: None }
    }

    #[test]
    fn the_least_recently_used_go_first_when_the_budget_is_passed() {
        let loaded = Loaded::new(100);
        for name in ["a", "b", "c"] {
            loaded.insert(&code(name), name, 30);
        }
        assert_eq!(loaded.get(&code("a")), Some("a"), "a is used again: b is now the oldest");
        loaded.insert(&code("d"), "d", 30);
        assert_eq!(loaded.get(&code("b")), None);
        assert_eq!(loaded.get(&code("c")), None, "dropped until a quarter of the budget is free");
        assert_eq!((loaded.get(&code("a")), loaded.get(&code("d"))), (Some("a"), Some("d")));
        assert_eq!(loaded.usage(), (2, 60));
    }

    #[test]
    fn code_larger_than_the_budget_is_still_kept_alone() {
        let loaded = Loaded::new(10);
        loaded.insert(&code("small"), "small", 5);
        assert_eq!(loaded.insert(&code("big"), "big", 50), "big");
        assert_eq!(loaded.usage(), (1, 50));
        assert_eq!(loaded.get(&code("big")), Some("big"));
    }

    #[test]
    fn the_first_insert_wins_and_packages_are_removed_with_their_sizes() {
        let loaded = Loaded::new(100);
        assert_eq!(loaded.insert(&code("a"), "first", 10), "first");
        assert_eq!(loaded.insert(&code("a"), "second", 10), "first");
        let entry = CodeRef { entry: Some("main.wasm".into()), ..code("a") };
        loaded.insert(&entry, "entry", 20);
        loaded.insert(&code("b"), "b", 5);
        loaded.remove_package(&code("a").package);
        assert_eq!(loaded.usage(), (1, 5));
    }
}
