//! A small bounded in-process cache with a time to live, for reads that may be a little stale
//! (the session record, a user's recent activity). Each use states its staleness where it is
//! configured. Freshness runs on the monotonic clock, never on the app's injectable clock.
//!
//! Stale-while-revalidate ([`TtlCache::get_or_refresh`]): an entry older than half the time to
//! live is still answered, and the first reader to see it so starts one background refresh;
//! only an entry older than the time to live (or none) makes a reader wait for the store. Under
//! steady traffic a cached view therefore never waits on the store, and what it shows is never
//! older than the time to live — the bound each use states.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// Numbers each stored value, so that a refresh only replaces the value it refreshes.
    generation: AtomicU64,
}

struct Entry<V> {
    at: Instant,
    value: V,
    generation: u64,
    /// When the running background refresh of this entry was handed out (its read started
    /// no earlier: the refreshed value is as old as that).
    refreshing: Option<Instant>,
}

/// What [`TtlCache::lookup`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Younger than half the time to live.
    Fresh(V),
    /// Older than half the time to live: answer it; refresh it when `refresh` carries the
    /// generation to hand to [`TtlCache::refreshed`] (one reader per entry is given it).
    Stale { value: V, refresh: Option<u64> },
    /// Absent, or older than the time to live.
    Miss,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// A cache of at most `capacity` entries, each good for `ttl`; a zero `ttl` disables it.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
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
            .filter(|e| e.at.elapsed() < self.ttl)
            .map(|e| e.value.clone())
    }

    /// The entry for `key` by age (see [`Lookup`]); marks it as refreshing when it hands out
    /// the refresh.
    pub fn lookup(&self, key: &K) -> Lookup<V> {
        if !self.enabled() {
            return Lookup::Miss;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let age = entry.at.elapsed();
        if age >= self.ttl {
            Lookup::Miss
        } else if age < self.ttl / 2 {
            Lookup::Fresh(entry.value.clone())
        } else {
            let refresh = entry.refreshing.is_none().then_some(entry.generation);
            if refresh.is_some() {
                entry.refreshing = Some(Instant::now());
            }
            Lookup::Stale {
                value: entry.value.clone(),
                refresh,
            }
        }
    }

    /// A refresh of the value of `generation` ended: with a new value, stored when that value
    /// is still the one held (not replaced or removed meanwhile: a write or a delete on this
    /// instance wins over a read that started before it); with none (the read failed), the
    /// entry may be refreshed again.
    pub fn refreshed(&self, key: K, generation: u64, value: Option<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = entries.get_mut(&key) else {
            return;
        };
        if entry.generation != generation {
            return;
        }
        match (value, entry.refreshing) {
            (Some(value), Some(started)) => {
                *entry = Entry {
                    // As old as the read: a slow read does not make its value look newer.
                    at: started,
                    value,
                    generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
                    refreshing: None,
                }
            }
            _ => entry.refreshing = None,
        }
    }

    /// The value for `key`, stale-while-revalidate: fresh or stale from the cache (a stale
    /// one refreshed in the background by `load`, once at a time), else loaded now and kept.
    /// `load` must not depend on the caller's task (it may outlive the request).
    pub async fn get_or_refresh<F, Fut, E>(self: &Arc<Self>, key: K, load: F) -> Result<V, E>
    where
        K: Send + Sync + 'static,
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        match self.lookup(&key) {
            Lookup::Fresh(value) => Ok(value),
            Lookup::Stale { value, refresh } => {
                if let Some(generation) = refresh {
                    let (cache, read) = (self.clone(), load());
                    tokio::spawn(async move {
                        let value = match read.await {
                            Ok(v) => Some(v),
                            Err(e) => {
                                tracing::warn!(error = %e, "background refresh failed; the cached value is kept");
                                None
                            }
                        };
                        cache.refreshed(key, generation, value);
                    });
                }
                Ok(value)
            }
            Lookup::Miss => {
                let started = Instant::now();
                let value = load().await?;
                self.insert_read(key, value.clone(), started);
                Ok(value)
            }
        }
    }

    /// Keeps `value` as of now (a value this instance just wrote).
    pub fn insert(&self, key: K, value: V) {
        self.insert_read(key, value, Instant::now());
    }

    /// Keeps `value` as of `started`, when the read that returned it began (so that what is
    /// served is never older than the time to live, however slow the read).
    pub fn insert_read(&self, key: K, value: V, started: Instant) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Full: drop what is stale; if everything is fresh, start over (bounded memory
            // matters more than the hit rate of a cache this short-lived).
            entries.retain(|_, e| e.at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        entries.insert(
            key,
            Entry {
                at: started,
                value,
                generation,
                refreshing: None,
            },
        );
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

    /// Wide margins on both sides of half the time to live (a busy machine wakes late).
    const TTL: Duration = Duration::from_millis(800);
    const PAST_HALF: Duration = Duration::from_millis(450);

    /// The refresh a stale entry hands out (the test fails with `why` otherwise).
    fn refresh_of<V: Clone>(cache: &TtlCache<i32, V>, key: &i32, why: &str) -> u64 {
        match cache.lookup(key) {
            Lookup::Stale {
                refresh: Some(generation),
                ..
            } => generation,
            _ => panic!("{why}"),
        }
    }

    #[test]
    fn a_stale_entry_is_answered_while_one_refresh_runs() {
        let cache = TtlCache::new(TTL, 10);
        cache.insert(1, "old");
        assert_eq!(cache.lookup(&1), Lookup::Fresh("old"));
        std::thread::sleep(PAST_HALF);
        // Past half its life: answered, and only the first reader refreshes it.
        let Lookup::Stale {
            value: "old",
            refresh: Some(generation),
        } = cache.lookup(&1)
        else {
            panic!("the first stale read is given the refresh");
        };
        assert_eq!(
            cache.lookup(&1),
            Lookup::Stale {
                value: "old",
                refresh: None
            }
        );
        // A failed refresh lets the next reader try again.
        cache.refreshed(1, generation, None);
        let generation = refresh_of(&cache, &1, "refreshable again after a failure");
        cache.refreshed(1, generation, Some("new"));
        assert_eq!(cache.lookup(&1), Lookup::Fresh("new"));
        // A refresh that started before a write or a removal does not undo it.
        std::thread::sleep(PAST_HALF);
        let generation = refresh_of(&cache, &1, "stale again");
        cache.insert(1, "written");
        cache.refreshed(1, generation, Some("read before the write"));
        assert_eq!(cache.get(&1), Some("written"));
        std::thread::sleep(PAST_HALF);
        let generation = refresh_of(&cache, &1, "stale again");
        cache.remove(&1);
        cache.refreshed(1, generation, Some("read before the delete"));
        assert_eq!(cache.lookup(&1), Lookup::Miss);
        // Past its whole life: a miss (the reader waits for the store).
        cache.insert(2, "x");
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert_eq!(cache.lookup(&2), Lookup::Miss);
    }

    #[tokio::test]
    async fn get_or_refresh_answers_stale_values_without_waiting_for_the_load() {
        let cache = Arc::new(TtlCache::new(TTL, 10));
        let load = |v: &'static str| move || async move { Ok::<_, String>(v) };
        assert_eq!(cache.get_or_refresh(1, load("first")).await, Ok("first"));
        tokio::time::sleep(PAST_HALF).await;
        // The refresh never ends: the stale value is still answered at once.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stuck = move || async move {
            let _ = rx.await;
            Ok::<_, String>("late")
        };
        // (Bounded: a hang would be the bug this test is about.)
        let within = Duration::from_secs(2);
        let answer = tokio::time::timeout(within, cache.get_or_refresh(1, stuck)).await;
        assert_eq!(answer, Ok(Ok("first")));
        let answer = tokio::time::timeout(within, cache.get_or_refresh(1, load("unused"))).await;
        assert_eq!(answer, Ok(Ok("first")));
        drop(tx);
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        let cache = TtlCache::new(Duration::ZERO, 10);
        cache.insert(1, 1);
        assert_eq!(cache.get(&1), None);
        assert!(cache.is_empty());
    }
}
