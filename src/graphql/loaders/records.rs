//! Loaders of single records and what hangs off each: rows by id or natural key, value lists,
//! credits (or those a page carried), producers' parents and ancestors, deferred text columns.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;

use super::{Credits, LoadError, Store, group};
use crate::db::entities::{CreditTable, Record, ValueList, producer};
use crate::db::pages::Table;
use crate::db::{lookup, rows};

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
            lookup::doi_key(&self.1)
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
