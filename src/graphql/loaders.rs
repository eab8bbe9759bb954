//! Request-scoped batching: one [`Store`] per request implements a DataLoader for every kind of
//! read, so N parents at one level of a query cost one statement per relationship.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::DbErr;

use super::batch_loader::BatchLoader;
use super::batch_stats::BatchStats;
use super::batching::Gate;
use crate::db::Db;
use crate::db::carried::CarriedCredits;
use crate::db::entities::{CreditTable, Record, ValueList, producer};
use crate::db::facets::{self, Dimension, Group, JointCounts};
pub use crate::db::pages::PageReads;
use crate::db::pages::{self, CarriedByRow, Link, ListSpec, PageRows, Table, Window};
use crate::db::value_index::{Indexed, Matches};
use crate::db::{lookup, rows};

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

/// A row of `R`'s table by id.
pub struct ById<R>(pub i64, PhantomData<fn() -> R>);

impl<R> ById<R> {
    pub fn new(id: i64) -> Self {
        Self(id, PhantomData)
    }
}

impl<R> Clone for ById<R> {
    fn clone(&self) -> Self {
        Self::new(self.0)
    }
}
impl<R> PartialEq for ById<R> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<R> Eq for ById<R> {}
impl<R> Hash for ById<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl<R: Record> Loader<ById<R>> for Store {
    type Value = R;
    type Error = LoadError;

    async fn load(&self, keys: &[ById<R>]) -> Result<HashMap<ById<R>, R>, LoadError> {
        self.stats.record("by_id", keys.len());
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let found = rows::by_ids::<R>(&self.db.conn, &ids).await?;
        Ok(found
            .into_iter()
            .map(|(id, row)| (ById::new(id), row))
            .collect())
    }
}

/// A row of `R`'s table by a natural key: `(column, value)` with the value normalized as
/// [`crate::db::lookup`] does (`ncj_number`, `study_number`; `doi` ignores case).
pub struct ByKey<R>(pub &'static str, pub String, PhantomData<fn() -> R>);

impl<R> ByKey<R> {
    pub fn new(column: &'static str, value: String) -> Self {
        Self(column, value, PhantomData)
    }

    /// The value as the batch's map is keyed (DOIs lowercased).
    fn lookup_value(&self) -> String {
        if self.0 == "doi" {
            self.1.to_lowercase()
        } else {
            self.1.clone()
        }
    }
}

impl<R> Clone for ByKey<R> {
    fn clone(&self) -> Self {
        Self::new(self.0, self.1.clone())
    }
}
impl<R> PartialEq for ByKey<R> {
    fn eq(&self, other: &Self) -> bool {
        (self.0, &self.1) == (other.0, &other.1)
    }
}
impl<R> Eq for ByKey<R> {}
impl<R> Hash for ByKey<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0, &self.1).hash(state)
    }
}

impl<R: Record> Loader<ByKey<R>> for Store {
    type Value = R;
    type Error = LoadError;

    async fn load(&self, keys: &[ByKey<R>]) -> Result<HashMap<ByKey<R>, R>, LoadError> {
        self.stats.record("by_key", keys.len());
        let mut columns: HashMap<&'static str, Vec<&ByKey<R>>> = HashMap::new();
        for key in keys {
            columns.entry(key.0).or_default().push(key);
        }
        let mut out = HashMap::new();
        for (column, keys) in columns {
            let values: Vec<String> = keys.iter().map(|k| k.lookup_value()).collect();
            let found = lookup::by_keys::<R>(&self.db.conn, column, &values).await?;
            for key in keys {
                if let Some(row) = found.get(&key.lookup_value()) {
                    out.insert((*key).clone(), row.clone());
                }
            }
        }
        Ok(out)
    }
}

/// One owner's ordered list of strings (subjects, authors, aliases, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListOf(pub ValueList, pub i64);

impl Loader<ListOf> for Store {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[ListOf]) -> Result<HashMap<ListOf, Vec<String>>, LoadError> {
        self.stats.record("value_list", keys.len());
        let mut out = HashMap::new();
        for (list, owners) in group(keys, |k| (k.0, k.1)) {
            for (owner, values) in rows::value_lists(&self.db.conn, list, &owners).await? {
                out.insert(ListOf(list, owner), values);
            }
        }
        Ok(out)
    }
}

/// The producers credited for one record, with roles; with `true`, their parents are read by
/// the same statement and kept for [`ParentOf`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CreditsOf(pub CreditTable, pub i64, pub bool);

impl Loader<CreditsOf> for Store {
    type Value = Credits;
    type Error = LoadError;

    async fn load(&self, keys: &[CreditsOf]) -> Result<HashMap<CreditsOf, Self::Value>, LoadError> {
        self.stats.record("credits", keys.len());
        let mut out = HashMap::new();
        for ((table, parents), owners) in group(keys, |k| ((k.0, k.2), k.1)) {
            let (credits, parent_rows) =
                rows::credits_and_parents(&self.db.conn, table, &owners, parents).await?;
            self.parents
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(parent_rows.into_iter().map(|row| (row.id, row)));
            for (owner, credits) in credits {
                out.insert(CreditsOf(table, owner, parents), credits);
            }
        }
        Ok(out)
    }
}

/// A producer's parent (by the parent's id): the row its credits read along (see
/// [`CreditsOf`]) when there is one, else read by id like [`ById`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParentOf(pub i64);

impl Loader<ParentOf> for Store {
    type Value = producer::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ParentOf],
    ) -> Result<HashMap<ParentOf, producer::Model>, LoadError> {
        let mut out = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        {
            let parents = self.parents.lock().unwrap_or_else(|p| p.into_inner());
            for key in keys {
                match parents.get(&key.0) {
                    Some(row) => {
                        out.insert(*key, row.clone());
                    }
                    None => missing.push(key.0),
                }
            }
        }
        if !missing.is_empty() {
            self.stats.record("by_id", missing.len());
            let found = rows::by_ids::<producer::Model>(&self.db.conn, &missing).await?;
            out.extend(found.into_iter().map(|(id, row)| (ParentOf(id), row)));
        }
        Ok(out)
    }
}

/// A producer's ancestors, root first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AncestorsOf(pub i64);

impl Loader<AncestorsOf> for Store {
    type Value = Vec<producer::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AncestorsOf],
    ) -> Result<HashMap<AncestorsOf, Self::Value>, LoadError> {
        self.stats.record("ancestors", keys.len());
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let found = rows::ancestors(&self.db.conn, &ids).await?;
        Ok(found
            .into_iter()
            .map(|(id, list)| (AncestorsOf(id), list))
            .collect())
    }
}

/// One page of a parent's children in a list.
pub struct PageOf<R> {
    pub spec: ListSpec,
    pub window: Window,
    pub parent: i64,
    pub reads: PageReads,
    _row: PhantomData<fn() -> R>,
}

impl<R> PageOf<R> {
    pub fn new(spec: ListSpec, window: Window, parent: i64, reads: PageReads) -> Self {
        Self {
            spec,
            window,
            parent,
            reads,
            _row: PhantomData,
        }
    }
}

impl<R> Clone for PageOf<R> {
    fn clone(&self) -> Self {
        Self::new(
            self.spec.clone(),
            self.window.clone(),
            self.parent,
            self.reads,
        )
    }
}
impl<R> PartialEq for PageOf<R> {
    fn eq(&self, other: &Self) -> bool {
        (&self.spec, &self.window, self.parent, self.reads)
            == (&other.spec, &other.window, other.parent, other.reads)
    }
}
impl<R> Eq for PageOf<R> {}
impl<R> Hash for PageOf<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.spec, &self.window, self.parent, self.reads).hash(state)
    }
}

impl<R: Record> Loader<PageOf<R>> for Store {
    type Value = PageRows<R>;
    type Error = LoadError;

    async fn load(&self, keys: &[PageOf<R>]) -> Result<HashMap<PageOf<R>, PageRows<R>>, LoadError> {
        self.stats.record("page", keys.len());
        let mut out = HashMap::new();
        for ((spec, window, reads), parents) in group(keys, |k| {
            ((k.spec.clone(), k.window.clone(), k.reads), k.parent)
        }) {
            let (mut found, carried) =
                pages::load_pages::<R>(&self.db.conn, &spec, &window, &parents, &reads).await?;
            if let Some(credits) = reads.credits {
                self.keep_carried(credits, carried);
            }
            for parent in parents {
                let page = found.remove(&parent).unwrap_or_default();
                out.insert(
                    PageOf::new(spec.clone(), window.clone(), parent, reads),
                    page,
                );
            }
        }
        Ok(out)
    }
}

/// A deferred long text of one row (see [`Record::DEFERRED`]): `(table, column, id)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeferredText(pub Table, pub &'static str, pub i64);

impl Loader<DeferredText> for Store {
    type Value = String;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[DeferredText],
    ) -> Result<HashMap<DeferredText, String>, LoadError> {
        self.stats.record("deferred_text", keys.len());
        let mut out = HashMap::new();
        for ((table, column), ids) in group(keys, |k| ((k.0, k.1), k.2)) {
            for (id, text) in rows::texts(&self.db.conn, table, column, &ids).await? {
                out.insert(DeferredText(table, column, id), text);
            }
        }
        Ok(out)
    }
}

/// How many children a parent has in a list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountOf(pub ListSpec, pub i64);

impl Loader<CountOf> for Store {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[CountOf]) -> Result<HashMap<CountOf, i64>, LoadError> {
        self.stats.record("count", keys.len());
        let conn = &self.db.conn;
        side_by_side(
            keys,
            |k| (k.0.clone(), k.1),
            |spec, parent| CountOf(spec.clone(), parent),
            |spec, parents| async move { pages::count_children(conn, &spec, &parents).await },
        )
        .await
    }
}

/// Counts of one parent's list by dimensions (facets and stats).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FacetOf {
    pub spec: ListSpec,
    pub dimensions: Vec<Dimension>,
    pub limit: Option<usize>,
    pub parent: i64,
}

impl Loader<FacetOf> for Store {
    type Value = Vec<Group>;
    type Error = LoadError;

    async fn load(&self, keys: &[FacetOf]) -> Result<HashMap<FacetOf, Vec<Group>>, LoadError> {
        self.stats.record("facet", keys.len());
        let conn = &self.db.conn;
        // Whole-table lists by one multi-valued dimension: from the value indexes.
        let (mut out, rest) = self
            .count_indexed(keys, |key| {
                match (&key.spec.link, key.dimensions.as_slice()) {
                    (Link::All(_), [dimension]) if dimension.is_multi_valued() => {
                        Some((&key.spec, Indexed::Values(*dimension)))
                    }
                    _ => None,
                }
            })
            .await?;
        for (key, groups) in out.iter_mut() {
            facets::rank(groups, key.limit);
        }
        out.extend(
            side_by_side(
                &rest,
                |k| ((k.spec.clone(), k.dimensions.clone(), k.limit), k.parent),
                |(spec, dimensions, limit), parent| FacetOf {
                    spec: spec.clone(),
                    dimensions: dimensions.clone(),
                    limit: *limit,
                    parent,
                },
                |(spec, dimensions, limit), parents| async move {
                    facets::group_counts(conn, &spec, &parents, &dimensions, limit).await
                },
            )
            .await?,
        );
        Ok(out)
    }
}

/// One parent's list counted by several single-valued columns at once (its column facets and
/// its length from one statement).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JointOf {
    pub spec: ListSpec,
    pub columns: Vec<&'static str>,
    pub parent: i64,
}

impl Loader<JointOf> for Store {
    type Value = Arc<JointCounts>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[JointOf],
    ) -> Result<HashMap<JointOf, Arc<JointCounts>>, LoadError> {
        self.stats.record("joint", keys.len());
        let conn = &self.db.conn;
        // Searched whole-table lists: from the value index of the columns' tuples (with the
        // matches the list's other facets use). A filtered list without a search is counted
        // in SQL through the covering indexes of its filters, which PostgreSQL plans better
        // than a read of its ids (22,049 of 200,000 publications: 46 against 62 ms).
        let (indexed, rest) = self
            .count_indexed(keys, |key| {
                let searched_table =
                    matches!(key.spec.link, Link::All(_)) && key.spec.search.is_some();
                searched_table.then(|| (&key.spec, Indexed::Columns(key.columns.clone())))
            })
            .await?;
        let mut found: HashMap<JointOf, JointCounts> = indexed
            .into_iter()
            .map(|(key, groups)| {
                let counts = JointCounts::new(key.columns.clone(), groups);
                (key, counts)
            })
            .collect();
        found.extend(
            side_by_side(
                &rest,
                |k| ((k.spec.clone(), k.columns.clone()), k.parent),
                |(spec, columns), parent| JointOf {
                    spec: spec.clone(),
                    columns: columns.clone(),
                    parent,
                },
                |(spec, columns), parents| async move {
                    facets::joint_counts(conn, &spec, &parents, &columns).await
                },
            )
            .await?,
        );
        Ok(found.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

impl Store {
    /// Counts the keys a value index can count (`target` names the whole-table list and what
    /// to count it by), every key of one list from one read of its matches; answers their
    /// groups (unordered) and the keys left to count in SQL.
    async fn count_indexed<K: Clone + Eq + Hash>(
        &self,
        keys: &[K],
        target: impl Fn(&K) -> Option<(&ListSpec, Indexed)>,
    ) -> Result<(HashMap<K, Vec<Group>>, Vec<K>), DbErr> {
        let mut by_list: HashMap<&ListSpec, Vec<Indexed>> = HashMap::new();
        for key in keys {
            if let Some((spec, indexed)) = target(key) {
                by_list.entry(spec).or_default().push(indexed);
            }
        }
        let conn = &self.db.conn;
        let indexes = self.db.value_indexes();
        let matches = &self.matches;
        let counted =
            futures::future::try_join_all(by_list.into_iter().map(|(spec, wanted)| async move {
                let counts = indexes.counts(conn, matches, spec, &wanted).await?;
                Ok::<_, DbErr>((spec, counts))
            }))
            .await?;
        let mut found = HashMap::new();
        let mut rest = Vec::new();
        for key in keys {
            let groups = target(key).and_then(|(spec, indexed)| {
                let (_, counts) = counted.iter().find(|(list, _)| *list == spec)?;
                counts.get(&indexed).cloned()
            });
            match groups {
                Some(groups) => {
                    found.insert(key.clone(), groups);
                }
                None => rest.push(key.clone()),
            }
        }
        Ok((found, rest))
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
