//! [`TtlMap`]: the one bounded, expiring map behind every cache of the server (catalog reads,
//! credentials, browsing sessions, resources, `config.json`, DNS answers) and the rate
//! limiter's buckets, so they all follow the same rules:
//!
//! - **A hard cap.** Writing a new key into a full map first drops the expired entries (a
//!   sweep, at most once per [`SWEEP_EVERY`], so its cost is spread over many writes), then the
//!   entries written longest ago, one by one, off a queue: never a scan per write.
//! - **A time to live per entry**, the map's own or one given with each write.
//! - **Merged fetches.** Concurrent misses of one key share one fetch and all get its result,
//!   an error included; an error is never kept. If the caller running the fetch is cancelled,
//!   the next waiter runs its own, so nobody is left waiting on a fetch nobody runs.
//!
//! It imports nothing of ours, so `catalog` and `layers` can both use it. Keys of per-caller
//! caches are a hash of the caller's token (`catalog::CallerKey`), never the token, and
//! `Debug` prints sizes only, never keys or values (some values are credentials).
//!
//! A crate was weighed: `moka` does all of this but brings its own executor-agnostic
//! machinery (crossbeam, parking_lot, quanta…) for a few hundred lines of ours; `quick_cache`
//! merges fetches but has no expiry. One std `Mutex` around a `HashMap` is plenty here: every
//! critical section is a lookup or a write, never an await.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

/// A full map sweeps its expired entries at most this often; in between, it drops the oldest.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A fetch in flight: its result, with how long to keep the value, once someone has run it.
type Flight<V, E> = Arc<OnceCell<Result<(V, Duration), E>>>;

enum Slot<V, E> {
    Ready { value: V, expires: Instant },
    Pending(Flight<V, E>),
}

struct Entry<V, E> {
    slot: Slot<V, E>,
    /// Which write made this entry: the one of its records in `order` that still counts.
    stamp: u64,
}

impl<V, E> Entry<V, E> {
    /// Worth keeping: an unexpired value, or a fetch someone still waits for (a fetch all of
    /// whose callers were cancelled holds only the map's reference).
    fn alive(&self, now: Instant) -> bool {
        match &self.slot {
            Slot::Ready { expires, .. } => *expires > now,
            Slot::Pending(flight) => Arc::strong_count(flight) > 1,
        }
    }
}

struct Inner<K, V, E> {
    entries: HashMap<K, Entry<V, E>>,
    /// Keys in the order they were written, each with that write's stamp. A record whose stamp
    /// is no longer its entry's (rewritten or removed since) is stale and skipped.
    order: VecDeque<(K, u64)>,
    next_stamp: u64,
    next_sweep: Instant,
}

/// A map with a hard cap on entries, a time to live per entry and merged concurrent fetches.
/// `E` is the error a fetch may return (none for maps that are only read and written).
pub struct TtlMap<K, V, E = Infallible> {
    cap: usize,
    ttl: Duration,
    // A std Mutex: held only for a lookup or a write, never across an await.
    inner: Mutex<Inner<K, V, E>>,
}

impl<K, V, E> fmt::Debug for TtlMap<K, V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtlMap")
            .field("cap", &self.cap)
            .field("ttl", &self.ttl)
            .field("len", &self.lock().entries.len())
            .finish()
    }
}

impl<K, V, E> TtlMap<K, V, E> {
    fn lock(&self) -> MutexGuard<'_, Inner<K, V, E>> {
        // A panic elsewhere while holding the lock leaves a whole map behind; keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many entries are held, expired or in flight ones included.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Clone + Eq + Hash, V: Clone, E: Clone> TtlMap<K, V, E> {
    /// At most `cap` entries (at least one), kept `ttl` unless a write says otherwise.
    pub fn new(cap: usize, ttl: Duration) -> Self {
        TtlMap {
            cap: cap.max(1),
            ttl,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
                next_stamp: 0,
                next_sweep: Instant::now(),
            }),
        }
    }

    /// The unexpired value of `key`, if held (a fetch in flight is not waited for).
    pub fn get(&self, key: &K) -> Option<V> {
        match &self.lock().live(key, Instant::now())?.slot {
            Slot::Ready { value, .. } => Some(value.clone()),
            Slot::Pending(_) => None,
        }
    }

    /// Keeps `value` for the map's time to live.
    pub fn insert(&self, key: K, value: V) {
        self.insert_for(key, value, self.ttl);
    }

    /// Keeps `value` for `ttl`; a zero `ttl` only drops what `key` held.
    pub fn insert_for(&self, key: K, value: V, ttl: Duration) {
        let mut inner = self.lock();
        if ttl.is_zero() {
            inner.entries.remove(&key);
            return;
        }
        let now = Instant::now();
        let expires = now + ttl;
        inner.write(self.cap, key, Slot::Ready { value, expires }, now);
    }

    /// Drops `key`, kept or in flight (a fetch in flight then finishes without keeping its result).
    pub fn remove(&self, key: &K) {
        self.lock().entries.remove(key);
    }

    /// Drops every entry whose key matches: a full scan, for rare events such as a caller's write.
    pub fn remove_where(&self, mut matches: impl FnMut(&K) -> bool) {
        self.lock().entries.retain(|key, _| !matches(key));
    }

    /// Changes the value of `key` in place (`fresh()` when absent or expired) under the map's
    /// lock, so concurrent changes of one key never interleave. `change` returns its result and
    /// how long to keep the value from now; zero drops it.
    pub fn update<R>(
        &self,
        key: K,
        fresh: impl FnOnce() -> V,
        change: impl FnOnce(&mut V) -> (R, Duration),
    ) -> R {
        let mut inner = self.lock();
        let now = Instant::now();
        let mut value = match inner.entries.remove(&key) {
            Some(Entry {
                slot: Slot::Ready { value, expires },
                ..
            }) if expires > now => value,
            _ => fresh(),
        };
        let (result, ttl) = change(&mut value);
        if !ttl.is_zero() {
            let expires = now + ttl;
            inner.write(self.cap, key, Slot::Ready { value, expires }, now);
        }
        result
    }

    /// The value of `key`, held, or fetched and kept for the map's time to live.
    pub async fn get_or_fetch<F, Fut>(&self, key: K, fetch: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let ttl = self.ttl;
        let fetch = || async move { fetch().await.map(|value| (value, ttl)) };
        self.get_or_fetch_for(key, fetch).await
    }

    /// The value of `key`, held, or fetched: `fetch` also says how long to keep it (zero: not
    /// at all). Concurrent calls for one key share one fetch and its result, error or not;
    /// errors are not kept.
    pub async fn get_or_fetch_for<F, Fut>(&self, key: K, fetch: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(V, Duration), E>>,
    {
        let flight = {
            let mut inner = self.lock();
            let now = Instant::now();
            match inner.live(&key, now).map(|entry| &entry.slot) {
                Some(Slot::Ready { value, .. }) => return Ok(value.clone()),
                Some(Slot::Pending(flight)) => flight.clone(),
                None => {
                    let flight = Flight::default();
                    inner.write(self.cap, key.clone(), Slot::Pending(flight.clone()), now);
                    flight
                }
            }
        };
        // Only one caller at a time runs its `fetch`; if it is cancelled the cell stays empty
        // and the next waiter runs its own.
        let result = flight.get_or_init(fetch).await.clone();
        self.settle(&key, &flight, &result);
        result.map(|(value, _)| value)
    }

    /// Turns the in-flight entry of `key` into the kept value, or drops it after an error. Every
    /// waiter calls this; only the first finds its flight still in the map.
    fn settle(&self, key: &K, flight: &Flight<V, E>, result: &Result<(V, Duration), E>) {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(key) else {
            return;
        };
        if !matches!(&entry.slot, Slot::Pending(held) if Arc::ptr_eq(held, flight)) {
            return;
        }
        match result {
            Ok((value, ttl)) if !ttl.is_zero() => {
                let expires = Instant::now() + *ttl;
                entry.slot = Slot::Ready {
                    value: value.clone(),
                    expires,
                };
            }
            _ => {
                inner.entries.remove(key);
            }
        }
    }
}

impl<K: Clone + Eq + Hash, V, E> Inner<K, V, E> {
    /// The entry of `key` unless it is an expired value, which is dropped.
    fn live(&mut self, key: &K, now: Instant) -> Option<&Entry<V, E>> {
        let expired = self.entries.get(key).is_some_and(
            |entry| matches!(entry.slot, Slot::Ready { expires, .. } if expires <= now),
        );
        if expired {
            self.entries.remove(key);
        }
        self.entries.get(key)
    }

    /// Sets `key` to `slot` as its newest write, making room first if the key is new.
    fn write(&mut self, cap: usize, key: K, slot: Slot<V, E>, now: Instant) {
        if !self.entries.contains_key(&key) {
            self.make_room(cap, now);
        }
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.order.push_back((key.clone(), stamp));
        self.entries.insert(key, Entry { slot, stamp });
        // Rewrites leave stale records behind; dropping them once they outnumber the cap
        // costs one pass per `cap` writes.
        if self.order.len() > 2 * cap {
            self.compact();
        }
    }

    /// Below `cap` entries: expired ones first (at most one sweep per `SWEEP_EVERY`), then the
    /// ones written longest ago.
    fn make_room(&mut self, cap: usize, now: Instant) {
        if self.entries.len() < cap {
            return;
        }
        if now >= self.next_sweep {
            self.next_sweep = now + SWEEP_EVERY;
            self.entries.retain(|_, entry| entry.alive(now));
            self.compact();
        }
        while self.entries.len() >= cap {
            // Every entry has a record with its stamp, so the queue runs dry only once the map
            // is empty.
            let Some((key, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.stamp == stamp) {
                self.entries.remove(&key);
            }
        }
    }

    /// Drops the stale records of `order`.
    fn compact(&mut self) {
        let entries = &self.entries;
        self.order
            .retain(|(key, stamp)| entries.get(key).is_some_and(|e| e.stamp == *stamp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const MINUTE: Duration = Duration::from_secs(60);

    type Map = TtlMap<&'static str, u32, String>;

    #[tokio::test(start_paused = true)]
    async fn a_full_map_drops_expired_entries_first_then_the_oldest() {
        let map = Map::new(3, MINUTE);
        map.insert("old", 1);
        map.insert_for("short", 2, Duration::from_secs(1));
        map.insert("new", 3);
        tokio::time::advance(Duration::from_secs(2)).await;
        map.insert("fourth", 4);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(&"old"), Some(1), "the expired entry went first");
        // Within SWEEP_EVERY of that sweep, the next key pushes out the oldest write.
        map.insert("fifth", 5);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(&"old"), None);
        assert_eq!(map.get(&"fifth"), Some(5));
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_own_ttl() {
        let map = Map::new(10, MINUTE);
        map.insert("default", 1);
        map.insert_for("short", 2, Duration::from_secs(5));
        map.insert_for("zero", 3, Duration::ZERO);
        assert_eq!(map.get(&"zero"), None, "a zero ttl keeps nothing");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(map.get(&"short"), None);
        assert_eq!(map.get(&"default"), Some(1));
        tokio::time::advance(MINUTE).await;
        assert_eq!(map.get(&"default"), None);
        assert!(map.is_empty(), "expired entries are dropped when read");
    }

    #[tokio::test(start_paused = true)]
    async fn rewrites_never_grow_the_queue_past_twice_the_cap() {
        let map = TtlMap::<u32, u32>::new(4, MINUTE);
        for i in 0..1_000 {
            map.update(i % 2, || 0, |n| (*n += 1, MINUTE));
        }
        assert_eq!(map.get(&0), Some(500));
        assert!(map.lock().order.len() <= 8);
    }

    /// A fetch that counts its calls and answers after `delay`.
    async fn counted(
        calls: &AtomicUsize,
        delay: u64,
        answer: Result<u32, String>,
    ) -> Result<u32, String> {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        answer
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_share_one_fetch_and_keep_its_value() {
        let (map, calls) = (
            Arc::new(Map::new(10, MINUTE)),
            Arc::new(AtomicUsize::new(0)),
        );
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (map, calls) = (map.clone(), calls.clone());
                tokio::spawn(
                    async move { map.get_or_fetch("k", || counted(&calls, 100, Ok(7))).await },
                )
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(7));
        }
        let again = map.get_or_fetch("k", || counted(&calls, 0, Ok(8))).await;
        assert_eq!(again, Ok(7), "kept");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_share_an_error_which_is_not_kept() {
        let map = Map::new(10, MINUTE);
        let calls = AtomicUsize::new(0);
        let failing = || counted(&calls, 100, Err("refused".into()));
        let (a, b) = tokio::join!(
            map.get_or_fetch("k", failing),
            map.get_or_fetch("k", failing)
        );
        assert_eq!((a, b), (Err("refused".into()), Err("refused".into())));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(map.is_empty());
        let ok = map.get_or_fetch("k", || counted(&calls, 0, Ok(1))).await;
        assert_eq!(ok, Ok(1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_fetcher_does_not_wedge_the_others() {
        let (map, calls) = (
            Arc::new(Map::new(10, MINUTE)),
            Arc::new(AtomicUsize::new(0)),
        );
        let spawn = |answer: u32| {
            let (map, calls) = (map.clone(), calls.clone());
            tokio::spawn(async move {
                map.get_or_fetch("k", || counted(&calls, 1_000, Ok(answer)))
                    .await
            })
        };
        let first = spawn(1);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let second = spawn(2);
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort();
        assert_eq!(second.await.unwrap(), Ok(2), "the waiter ran its own fetch");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(map.get(&"k"), Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_fetch_is_swept_from_a_full_map() {
        let map = Arc::new(Map::new(2, MINUTE));
        let fetching = map.clone();
        let task = tokio::spawn(async move {
            fetching
                .get_or_fetch("abandoned", std::future::pending)
                .await
        });
        tokio::task::yield_now().await;
        task.abort();
        let _ = task.await;
        map.insert("a", 1);
        tokio::time::advance(SWEEP_EVERY).await;
        map.insert("b", 2);
        assert_eq!((map.get(&"a"), map.get(&"b")), (Some(1), Some(2)));
    }

    #[test]
    fn debug_shows_sizes_never_contents() {
        let map = TtlMap::<String, String>::new(5, MINUTE);
        map.insert("caller".into(), "secret".into());
        let shown = format!("{map:?}");
        assert!(shown.contains("len: 1") && !shown.contains("secret") && !shown.contains("caller"));
    }
}
