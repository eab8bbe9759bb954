//! Request-scoped batching: one [`Store`] per request implements a DataLoader for every kind of
//! read, so N parents at one level of a query cost one statement per relationship.
//!
//! - `records`: rows by id or natural key, their value lists, credits, parents and ancestors,
//!   and text columns a page leaves out;
//! - `lists`: pages of lists and their counts;
//! - `counts`: facets and column counts, from value indexes where they are current;
//! - `prefixes`: the lexemes searches' prefix words stand for (PostgreSQL).

mod counts;
mod lists;
mod prefixes;
mod records;

pub use counts::{FacetOf, JointOf};
pub use lists::{CountOf, PageOf};
pub use prefixes::PrefixOf;
pub use records::{AncestorsOf, ById, ByKey, CreditsOf, DeferredText, ListOf, ParentOf};

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use sea_orm::DbErr;

use super::batch_loader::BatchLoader;
use super::batch_stats::BatchStats;
use super::batching::Gate;
use crate::db::Db;
use crate::db::carried::CarriedCredits;
use crate::db::entities::{CreditTable, producer};
use crate::db::pages::CarriedByRow;
pub use crate::db::pages::PageReads;
use crate::db::value_index::Matches;

/// A database error shared by every key of a failed batch (`Loader::Error` must be `Clone`).
#[derive(Clone, Debug)]
pub struct LoadError(pub Arc<DbErr>);

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> Self {
        Self(Arc::new(err))
    }
}

/// The per-request loader every resolver uses.
pub type Loaders = BatchLoader<Store>;

/// Creates the loaders of one request; batches run when `gate` says the request is parked,
/// and their sizes are counted in `stats`.
pub fn for_request(db: &Db, gate: &Gate, stats: &BatchStats) -> Loaders {
    let gate = gate.clone();
    let store = Store {
        db: db.clone(),
        stats: stats.clone(),
        parents: Default::default(),
        carried: Default::default(),
        matches: Default::default(),
    };
    BatchLoader::new(store, gate)
}

pub struct Store {
    db: Db,
    stats: BatchStats,
    /// Producers' parents read along with credits in this request, by id.
    parents: std::sync::Mutex<HashMap<i64, producer::Model>>,
    /// Credits that pages and lookups of this request brought with their rows (see
    /// [`crate::db::carried`]), by table and owner.
    carried: std::sync::Mutex<HashMap<(CreditTable, i64), Carried>>,
    /// The matching ids of whole-table lists this request counts from value indexes.
    matches: Matches,
}

/// One record's credits: role and producer, by role, then name.
pub type Credits = Vec<(String, producer::Model)>;

/// One record's carried credits, whether the parents came too, and how many rows brought
/// them (each row's `producers` field reads them once: the last read takes them, no copy).
struct Carried {
    parents: bool,
    reads: usize,
    credits: Credits,
}

impl Store {
    /// Keeps the credits `rows` carried (every row, also those with none), and the parents
    /// read with them, for [`Store::carried_credits`] and [`ParentOf`].
    pub fn keep_carried(&self, carried: CarriedCredits, rows: CarriedByRow) {
        let mut kept = self.carried.lock().unwrap_or_else(|p| p.into_inner());
        let mut parents = self.parents.lock().unwrap_or_else(|p| p.into_inner());
        for (owner, credits) in rows {
            let credits = credits
                .into_iter()
                .map(|(role, producer, parent)| {
                    if let Some(parent) = parent {
                        parents.insert(parent.id, parent);
                    }
                    (role, producer)
                })
                .collect();
            let entry = kept.entry((carried.table, owner)).or_insert(Carried {
                parents: carried.parents,
                reads: 0,
                credits: Vec::new(),
            });
            entry.reads += 1;
            if entry.reads == 1 || (carried.parents && !entry.parents) {
                entry.parents |= carried.parents;
                entry.credits = credits;
            }
        }
    }

    /// The credits `key` asks for, if a page or lookup of this request brought them (with the
    /// parents, when the key asks for those).
    pub fn carried_credits(&self, key: CreditsOf) -> Option<Credits> {
        let mut kept = self.carried.lock().unwrap_or_else(|p| p.into_inner());
        let entry = kept.get_mut(&(key.0, key.1))?;
        if key.2 && !entry.parents {
            return None;
        }
        entry.reads -= 1;
        if entry.reads == 0 {
            kept.remove(&(key.0, key.1)).map(|carried| carried.credits)
        } else {
            Some(entry.credits.clone())
        }
    }
}

/// Loads keys that need different statements side by side: `split` gives each key's
/// statement part and owner, `run` reads one part's owners, `key` rebuilds an owner's key (an
/// owner the statement found nothing for gets the default value).
async fn side_by_side<K, G, V, Fut>(
    keys: &[K],
    split: impl Fn(&K) -> (G, i64),
    key: impl Fn(&G, i64) -> K,
    run: impl Fn(G, Vec<i64>) -> Fut,
) -> Result<HashMap<K, V>, LoadError>
where
    K: Eq + Hash,
    G: Eq + Hash + Clone,
    V: Default,
    Fut: std::future::Future<Output = Result<HashMap<i64, V>, DbErr>>,
{
    let groups: Vec<(G, Vec<i64>)> = group(keys, split).into_iter().collect();
    let found = futures::future::try_join_all(
        groups
            .iter()
            .map(|(part, owners)| run(part.clone(), owners.clone())),
    )
    .await?;
    let mut out = HashMap::new();
    for ((part, owners), mut values) in groups.into_iter().zip(found) {
        for owner in owners {
            out.insert(key(&part, owner), values.remove(&owner).unwrap_or_default());
        }
    }
    Ok(out)
}

/// Groups keys that can share one statement: `split` gives (statement part, owner id).
fn group<K, G: Eq + Hash>(keys: &[K], split: impl Fn(&K) -> (G, i64)) -> HashMap<G, Vec<i64>> {
    let mut groups: HashMap<G, Vec<i64>> = HashMap::new();
    for key in keys {
        let (group, owner) = split(key);
        groups.entry(group).or_default().push(owner);
    }
    groups
}
