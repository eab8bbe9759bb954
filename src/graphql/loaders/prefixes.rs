//! Loader of the lexemes searches' prefix words stand for on PostgreSQL (see
//! [`crate::db::search::lexemes_of_prefixes`]): every search of one level of a query (a list
//! per parent, each with the same `search:`) looks its words up in one statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::{LoadError, Store};
use crate::db::search;

/// A search word, matched as a prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PrefixOf(pub String);

impl Loader<PrefixOf> for Store {
    /// The lexemes it stands for; a word left out of the answer stays a prefix.
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[PrefixOf]) -> Result<HashMap<PrefixOf, Vec<String>>, LoadError> {
        self.stats.record("prefix", keys.len());
        let words: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let found = search::lexemes_of_prefixes(&self.db.conn, &words).await?;
        Ok(found
            .into_iter()
            .map(|(word, lexemes)| (PrefixOf(word), lexemes))
            .collect())
    }
}
