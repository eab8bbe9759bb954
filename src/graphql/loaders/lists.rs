//! Loaders of lists: one page per parent (every parent's page in one statement) and counts.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;

use super::{LoadError, Store, group, side_by_side};
use crate::db::entities::Record;
use crate::db::pages::{self, ListSpec, PageReads, PageRows, Window};
use crate::db::ranked;

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
            if let Some(page) = self
                .page_from_matches(&spec, &window, &parents, &reads)
                .await?
            {
                let key = PageOf::new(spec.clone(), window.clone(), parents[0], reads);
                out.insert(key, page);
                continue;
            }
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

impl Store {
    /// Notes, before the request's loaders run, that this page of a searched list is chosen
    /// from its ranked matches where it can be ([`ranked::pages_from_matches`]) and where the
    /// request reads those matches anyway (`counts`: for the list's facets or its count), so
    /// that the one read of its matches brings their ranks, whether the page or its facets read
    /// them first. A page alone is one statement that returns only its rows: reading every
    /// match's id and rank instead made it faster on an idle server but cost more per request
    /// (4 clients: ~22 → ~15.5 requests/s).
    pub fn will_load_page(&self, spec: &ListSpec, window: &Window, parent: i64, counts: bool) {
        let backend = self.db.conn.get_database_backend();
        if counts && ranked::pages_from_matches(spec, window, &[parent], backend) {
            self.matches.rank(spec);
        }
    }

    /// The page of a searched list chosen from its ranked matches, where they were read so
    /// ([`Store::will_load_page`]): the read of the matches its facets count serves its page
    /// too. `None`: read the page in SQL.
    async fn page_from_matches<R: Record>(
        &self,
        spec: &ListSpec,
        window: &Window,
        parents: &[i64],
        reads: &PageReads,
    ) -> Result<Option<PageRows<R>>, LoadError> {
        let conn = &self.db.conn;
        if !ranked::pages_from_matches(spec, window, parents, conn.get_database_backend())
            || !self.matches.ranks(spec)
        {
            return Ok(None);
        }
        let Some((ids, ranks)) = self.matches.ranked(conn, spec).await? else {
            return Ok(None);
        };
        Ok(ranked::page::<R>(conn, window, &ids, &ranks, reads).await?)
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
