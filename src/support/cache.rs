//! A small bounded in-process cache with a time to live, for reads that may be a little stale
//! (the session record, a user's recent activity). Each use states its staleness where it is
//! configured. Freshness runs on the monotonic clock, never on the app's injectable clock.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// A cache of at most `capacity` entries, each good for `ttl`; a zero `ttl` disables it.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The value, if it was stored less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Full: drop what is stale; if everything is fresh, start over (bounded memory
            // matters more than the hit rate of a cache this short-lived).
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn remove(&self, key: &K) {
        if !self.enabled() {
            return;
        }
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_size_stays_bounded() {
        let cache = TtlCache::new(Duration::from_millis(40), 3);
        cache.insert(1, "a");
        assert_eq!(cache.get(&1), Some("a"));
        for k in 2..=10 {
            cache.insert(k, "b");
        }
        assert!(cache.len() <= 3, "{}", cache.len());
        cache.insert(11, "c");
        cache.remove(&11);
        assert_eq!(cache.get(&11), None);
        cache.insert(12, "d");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&12), None, "expired");
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        let cache = TtlCache::new(Duration::ZERO, 10);
        cache.insert(1, 1);
        assert_eq!(cache.get(&1), None);
        assert!(cache.is_empty());
    }
}
