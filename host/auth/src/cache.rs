//! Recently validated tokens and who they stand for, each until the cache period ends or the token
//! expires, whichever comes first. A token revoked in Keystone is believed until then: the period is
//! the price of not asking Keystone on every request, and it is short and the operator's to choose.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::Caller;

/// More tokens than this and the expired ones are swept; if all are live, the cache starts over.
const MAX_ENTRIES: usize = 10_000;

pub(crate) struct TokenCache {
    ttl: Duration,
    entries: DashMap<String, Entry>,
}

struct Entry {
    caller: Arc<Caller>,
    until: Instant,
}

impl TokenCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: DashMap::new() }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Caller>> {
        let entry = self.entries.get(token)?;
        if entry.until > Instant::now() {
            return Some(entry.caller.clone());
        }
        drop(entry);
        self.entries.remove_if(token, |_, entry| entry.until <= Instant::now());
        None
    }

    /// Keeps `caller` for `token`, which Keystone says expires in `expires_in`.
    pub(crate) fn insert(&self, token: &str, caller: Arc<Caller>, expires_in: Duration) {
        let keep = self.ttl.min(expires_in);
        if keep.is_zero() {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            self.entries.retain(|_, entry| entry.until > now);
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
        }
        self.entries.insert(token.to_owned(), Entry { caller, until: Instant::now() + keep });
    }
}

#[cfg(test)]
mod tests {
    use qinling_core::ProjectId;

    use super::*;

    fn caller(project: &str) -> Arc<Caller> {
        Arc::new(Caller { project: ProjectId::new(project), roles: vec![] })
    }

    #[test]
    fn tokens_are_kept_for_the_shorter_of_the_period_and_their_life() {
        let cache = TokenCache::new(Duration::from_millis(200));
        cache.insert("long", caller("a"), Duration::from_secs(3600));
        cache.insert("short", caller("b"), Duration::from_millis(20));
        cache.insert("expired", caller("c"), Duration::ZERO);
        assert_eq!(cache.get("long"), Some(caller("a")));
        assert_eq!(cache.get("short"), Some(caller("b")));
        assert_eq!(cache.get("expired"), None);
        assert_eq!(cache.get("unknown"), None);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get("short"), None, "past the token's own expiry");
        assert_eq!(cache.get("long"), Some(caller("a")));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(cache.get("long"), None, "past the cache period");
        assert!(cache.entries.is_empty(), "expired entries are removed when read");
    }

    #[test]
    fn a_zero_period_caches_nothing_and_a_full_cache_stays_bounded() {
        let off = TokenCache::new(Duration::ZERO);
        off.insert("t", caller("a"), Duration::from_secs(60));
        assert_eq!(off.get("t"), None);
        let cache = TokenCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            cache.insert(&format!("token-{i}"), caller("a"), Duration::from_secs(60));
        }
        assert!(cache.entries.len() <= MAX_ENTRIES);
        assert_eq!(cache.get(&format!("token-{}", MAX_ENTRIES + 9)), Some(caller("a")), "the newest is kept");
    }
}
