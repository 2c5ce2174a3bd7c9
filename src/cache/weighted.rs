//! A least-recently-used map whose entries weigh what they cost in memory,
//! kept under a budget in bytes, with the epoch that guards loads against
//! concurrent changes: every forget bumps the epoch, and a load stores its
//! result only if the epoch it started under is still current. Shared by
//! the access check's caches and the read caches.

use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use lru::LruCache;

/// An LRU under a budget in bytes, with its epoch (see the module).
pub struct Weighted<K: Hash + Eq, V> {
    pub(crate) entries: LruCache<K, (V, usize)>,
    pub(crate) weight: usize,
    budget: usize,
    pub(crate) epoch: u64,
}

impl<K: Hash + Eq + Copy, V: Clone> Weighted<K, V> {
    pub fn new(budget: usize) -> Self {
        Self {
            entries: LruCache::unbounded(),
            weight: 0,
            budget,
            epoch: 0,
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.entries.get(key).map(|(v, _)| v.clone())
    }

    /// Stores `value` unless a change came after `epoch`; evicts the least
    /// recently used entries until the budget holds. A value heavier than
    /// the whole budget is not kept.
    pub fn put(&mut self, key: K, value: V, weight: usize, epoch: u64) {
        if epoch != self.epoch || weight > self.budget {
            return;
        }
        if let Some((_, old)) = self.entries.put(key, (value, weight)) {
            self.weight -= old;
        }
        self.weight += weight;
        while self.weight > self.budget {
            match self.entries.pop_lru() {
                Some((_, (_, w))) => self.weight -= w,
                None => break,
            }
        }
    }

    pub fn forget(&mut self, key: &K) {
        self.epoch += 1;
        if let Some((_, w)) = self.entries.pop(key) {
            self.weight -= w;
        }
    }

    pub fn forget_where(&mut self, matches: impl Fn(&K) -> bool) {
        self.epoch += 1;
        let doomed: Vec<K> = self
            .entries
            .iter()
            .filter(|(k, _)| matches(k))
            .map(|(k, _)| *k)
            .collect();
        for key in doomed {
            if let Some((_, w)) = self.entries.pop(&key) {
                self.weight -= w;
            }
        }
    }

    pub fn clear(&mut self) {
        self.epoch += 1;
        self.entries.clear();
        self.weight = 0;
    }
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a cache lock leaves a cache, not data, behind: go on.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_evicts_least_recently_used_entries() {
        let mut cache: Weighted<u32, u32> = Weighted::new(100);
        cache.put(1, 10, 40, 0);
        cache.put(2, 20, 40, 0);
        assert_eq!(cache.get(&1), Some(10));
        cache.put(3, 30, 40, 0);
        assert_eq!(cache.get(&2), None, "2 was the least recently used");
        assert_eq!((cache.get(&1), cache.get(&3)), (Some(10), Some(30)));
        assert!(cache.weight <= 100);
        cache.put(4, 40, 101, 0);
        assert_eq!(cache.get(&4), None, "heavier than the whole budget");
    }

    #[test]
    fn a_load_older_than_a_change_is_not_kept() {
        let mut cache: Weighted<u32, u32> = Weighted::new(100);
        let epoch = cache.epoch;
        cache.forget(&7);
        cache.put(7, 1, 10, epoch);
        assert_eq!(cache.get(&7), None);
        let epoch = cache.epoch;
        cache.put(7, 2, 10, epoch);
        assert_eq!(cache.get(&7), Some(2));
        cache.forget_where(|k| *k == 7);
        assert_eq!((cache.get(&7), cache.weight), (None, 0));
    }
}
