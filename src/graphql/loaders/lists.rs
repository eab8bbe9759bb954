//! Loaders of lists: one page per parent (every parent's page in one statement) and counts.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;

use super::{LoadError, Store, group, side_by_side};
use crate::db::entities::Record;
use crate::db::pages::{self, ListSpec, PageReads, PageRows, Window};

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
