//! How many keys each DataLoader batch carries, per loader, for `/metrics`: the figure that
//! shows batching at work in production (a loader whose batches all hold one key is an N+1).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Upper bounds of the batch-size histogram buckets (keys per batch).
pub const BUCKETS: [u64; 9] = [1, 2, 5, 10, 25, 50, 100, 500, 1000];

/// Batch sizes by loader name, shared by every request of a server.
#[derive(Clone, Default)]
pub struct BatchStats(Arc<Mutex<BTreeMap<&'static str, Histogram>>>);

/// One loader's batches: how many, how many keys in all, and the cumulative buckets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    pub batches: u64,
    pub keys: u64,
    pub buckets: [u64; BUCKETS.len()],
}

impl BatchStats {
    /// Counts one batch of `keys` keys for `loader`.
    pub fn record(&self, loader: &'static str, keys: usize) {
        let keys = keys as u64;
        let mut stats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = stats.entry(loader).or_default();
        histogram.batches += 1;
        histogram.keys += keys;
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets.iter_mut()) {
            if keys <= *bound {
                *count += 1;
            }
        }
    }

    /// Every loader's histogram so far, by name.
    pub fn snapshot(&self) -> Vec<(&'static str, Histogram)> {
        let stats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        stats.iter().map(|(name, h)| (*name, h.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let stats = BatchStats::default();
        stats.record("page", 1);
        stats.record("page", 50);
        stats.record("page", 2_000);
        let snapshot = stats.snapshot();
        let (name, page) = &snapshot[0];
        assert_eq!(*name, "page");
        assert_eq!((page.batches, page.keys), (3, 2_051));
        assert_eq!(page.buckets, [1, 1, 1, 1, 1, 2, 2, 2, 2]);
    }
}
