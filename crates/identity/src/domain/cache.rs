//! Bounded caches whose entries hold only for the generation they were computed in.
//!
//! Every write that can change what a token, a name or a catalog means bumps the
//! identity generation; an entry from an older generation is a miss, so no write has to
//! know which cached entries it touches.

use std::borrow::Borrow;
use std::hash::Hash;
use std::num::NonZeroUsize;

use parking_lot::Mutex;

/// A least-recently-used map of values tagged with the generation that computed them.
pub(crate) struct GenerationCache<K: Hash + Eq, V> {
    entries: Mutex<lru::LruCache<K, (u64, V)>>,
}

impl<K: Hash + Eq, V: Clone> GenerationCache<K, V> {
    /// A cache holding at most `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        GenerationCache { entries: Mutex::new(lru::LruCache::new(capacity)) }
    }

    /// The value for `key` if it was computed in `generation`.
    pub(crate) fn get<Q>(&self, key: &Q, generation: u64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.lock().get(key).filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key` for the rest of `generation`.
    pub(crate) fn put(&self, key: K, generation: u64, value: V) {
        self.entries.lock().put(key, (generation, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_for_its_generation_only() {
        let cache = GenerationCache::new(2);
        cache.put("a".to_owned(), 1, 10);
        assert_eq!(cache.get("a", 1), Some(10));
        assert_eq!(cache.get("a", 2), None, "a later generation misses");
        assert_eq!(cache.get("b", 1), None);
    }

    #[test]
    fn the_least_recently_used_entry_leaves_first() {
        let cache = GenerationCache::new(2);
        cache.put(1, 0, "one");
        cache.put(2, 0, "two");
        assert_eq!(cache.get(&1, 0), Some("one"));
        cache.put(3, 0, "three");
        assert_eq!(cache.get(&2, 0), None);
        assert_eq!(cache.get(&1, 0), Some("one"));
        assert_eq!(cache.get(&3, 0), Some("three"));
    }
}
