//! The request's batch loader: the keys every resolver of one level asks for are gathered and
//! loaded by one call of async-graphql's [`Loader`] per key type (one SQL statement).
//!
//! It replaces async-graphql's `DataLoader` front (our `Loader` implementations are unchanged)
//! because that one starts every batch with a `futures_timer::Delay`, even a zero one: each
//! batch then wakes futures-timer's global thread, which wakes the batch task back, two
//! cross-thread wake-ups per statement (about a tenth of the server's CPU on a detail query).
//! Batching windows come from the [`super::batching::Gate`] instead (batches start in
//! generations, once the request is parked), so no timer is needed. The loader keeps no values
//! across batches (the only rows a request reuses are the credits and parents that other
//! statements read along, kept by the loaders' store and reached through [`BatchLoader::inner`]).

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::dataloader::Loader;
use futures::channel::oneshot;

use super::batching::Gate;

/// What a [`Loader`] key must be.
pub trait Key: Send + Sync + Hash + Eq + Clone + 'static {}
impl<K: Send + Sync + Hash + Eq + Clone + 'static> Key for K {}

type Answer<K, T> = Result<HashMap<K, <T as Loader<K>>::Value>, <T as Loader<K>>::Error>;

/// Who asked for which keys, and where their answer goes.
type Asker<K, T> = (Vec<K>, oneshot::Sender<Answer<K, T>>);

/// Batches the loads of `T` (one [`Loader`] implementation per key type) for one request.
pub struct BatchLoader<T> {
    loader: Arc<T>,
    gate: Gate,
    /// Each key type's open batch (`Open<K, T>` behind `Any`): the one new keys join.
    open: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

/// A batch that still takes keys, and its task's ticket at the [`Gate`].
struct Open<K: Key, T: Loader<K>> {
    ticket: u64,
    batch: Arc<Mutex<Batch<K, T>>>,
}

/// One batch: every key asked for, and who asked for which.
struct Batch<K: Key, T: Loader<K>> {
    keys: HashSet<K>,
    askers: Vec<Asker<K, T>>,
}

impl<T: Send + Sync + 'static> BatchLoader<T> {
    /// A loader whose batch tasks start when `gate` admits them (see [`Gate`]).
    pub fn new(loader: T, gate: Gate) -> Self {
        Self {
            loader: Arc::new(loader),
            gate,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The loader itself, for what it keeps beyond batches.
    pub fn inner(&self) -> &T {
        &self.loader
    }

    /// The value of one key (`None` when the loader found nothing for it).
    pub async fn load_one<K>(&self, key: K) -> Result<Option<T::Value>, T::Error>
    where
        K: Key,
        T: Loader<K>,
    {
        let mut found = self.load_many(std::iter::once(key.clone())).await?;
        Ok(found.remove(&key))
    }

    /// The values of `keys` that the loader found, by key.
    pub async fn load_many<K>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<HashMap<K, T::Value>, T::Error>
    where
        K: Key,
        T: Loader<K>,
    {
        let keys: Vec<K> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (sender, answer) = oneshot::channel();
        {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let current = open
                .get(&TypeId::of::<K>())
                .and_then(|open| open.downcast_ref::<Open<K, T>>())
                .filter(|open| !self.gate.admitted(open.ticket));
            let batch = match current {
                Some(current) => current.batch.clone(),
                None => {
                    // The open batch (if any) has been admitted and takes no more keys.
                    let batch = Arc::new(Mutex::new(Batch::<K, T> {
                        keys: HashSet::new(),
                        askers: Vec::new(),
                    }));
                    let task = run(self.loader.clone(), batch.clone());
                    let (ticket, task) = self.gate.defer(task);
                    tokio::spawn(task);
                    open.insert(
                        TypeId::of::<K>(),
                        Box::new(Open {
                            ticket,
                            batch: batch.clone(),
                        }),
                    );
                    batch
                }
            };
            let mut batch = batch.lock().unwrap_or_else(|p| p.into_inner());
            batch.keys.extend(keys.iter().cloned());
            batch.askers.push((keys, sender));
        }
        answer
            .await
            .expect("a batch answers every asker before it ends")
    }
}

/// Loads `batch` (admitted: it takes no more keys) and answers each asker its keys.
async fn run<K, T>(loader: Arc<T>, batch: Arc<Mutex<Batch<K, T>>>)
where
    K: Key,
    T: Loader<K>,
{
    let (keys, askers) = {
        let mut batch = batch.lock().unwrap_or_else(|p| p.into_inner());
        (
            std::mem::take(&mut batch.keys),
            std::mem::take(&mut batch.askers),
        )
    };
    if askers.is_empty() {
        return;
    }
    let keys: Vec<K> = keys.into_iter().collect();
    match loader.load(&keys).await {
        Ok(mut values) => {
            let last = askers.len() - 1;
            for (i, (asked, sender)) in askers.into_iter().enumerate() {
                let answer = if i == last {
                    // The last asker takes what is left instead of copies.
                    values.retain(|key, _| asked.contains(key));
                    std::mem::take(&mut values)
                } else {
                    asked
                        .into_iter()
                        .filter_map(|key| values.get(&key).cloned().map(|value| (key, value)))
                        .collect()
                };
                let _ = sender.send(Ok(answer));
            }
        }
        Err(err) => {
            for (_, sender) in askers {
                let _ = sender.send(Err(err.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records every batch it is asked for; squares numbers; fails on a negative one.
    #[derive(Default)]
    struct Squares(Mutex<Vec<Vec<i64>>>);

    impl Loader<i64> for Squares {
        type Value = i64;
        type Error = String;

        async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, String> {
            let mut batch = keys.to_vec();
            batch.sort();
            self.0.lock().unwrap().push(batch);
            if keys.iter().any(|k| *k < 0) {
                return Err("negative".into());
            }
            Ok(keys
                .iter()
                .filter(|k| **k != 0)
                .map(|k| (*k, k * k))
                .collect())
        }
    }

    impl Loader<String> for Squares {
        type Value = usize;
        type Error = String;

        async fn load(&self, keys: &[String]) -> Result<HashMap<String, usize>, String> {
            Ok(keys.iter().map(|k| (k.clone(), k.len())).collect())
        }
    }

    fn loader() -> (Gate, BatchLoader<Squares>) {
        let gate = Gate::default();
        (gate.clone(), BatchLoader::new(Squares::default(), gate))
    }

    fn batches(loader: &BatchLoader<Squares>) -> Vec<Vec<i64>> {
        loader.loader.0.lock().unwrap().clone()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn loads_asked_together_are_one_batch_and_each_asker_gets_its_keys() {
        let (gate, loader) = loader();
        let (a, b, c, d) = gate
            .run(async {
                tokio::join!(
                    loader.load_one(3_i64),
                    loader.load_many([1_i64, 2, 3]),
                    loader.load_one(0_i64),
                    loader.load_one("four".to_owned()),
                )
            })
            .await;
        assert_eq!(a.unwrap(), Some(9));
        assert_eq!(b.unwrap(), HashMap::from([(1, 1), (2, 4), (3, 9)]));
        assert_eq!(c.unwrap(), None, "a key the loader did not find");
        assert_eq!(d.unwrap(), Some(4), "another key type, its own batch");
        assert_eq!(batches(&loader), vec![vec![0, 1, 2, 3]]);
        // A later level is a new batch.
        let five = gate.run(loader.load_one(5_i64)).await;
        assert_eq!(five.unwrap(), Some(25));
        assert_eq!(batches(&loader), vec![vec![0, 1, 2, 3], vec![5]]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_batch_fails_every_asker() {
        let (gate, loader) = loader();
        let (a, b) = gate
            .run(async { tokio::join!(loader.load_one(-1_i64), loader.load_one(2_i64)) })
            .await;
        assert_eq!(a.unwrap_err(), "negative");
        assert_eq!(b.unwrap_err(), "negative");
        let none = gate.run(loader.load_many(Vec::<i64>::new())).await;
        assert_eq!(none.unwrap().len(), 0);
        assert_eq!(batches(&loader).len(), 1, "no batch for no keys");
    }
}
