//! Parsed GraphQL documents by query text: clients send the same few queries again and again
//! (with other variables), and parsing one was the largest single cost of a small request
//! (about 7 % of a detail query's server CPU); a copy of a parsed document costs far less.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::ServerError;
use async_graphql::parser::{parse_query, types::ExecutableDocument};

/// How many distinct query texts are kept; when full, the cache starts over.
const CAPACITY: usize = 256;

/// Query texts longer than this are parsed every time (and not kept).
const MAX_QUERY_LEN: usize = 16 * 1024;

/// Documents by query text, shared by every request of a server.
#[derive(Clone, Default)]
pub struct Documents(Arc<Mutex<HashMap<String, ExecutableDocument>>>);

impl Documents {
    /// The parsed `query`: a copy of the kept one, or parsed now (and kept). A syntax error is
    /// not kept, and is the error async-graphql itself reports.
    pub fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        if query.len() > MAX_QUERY_LEN {
            return Ok(parse_query(query)?);
        }
        if let Some(document) = self.lock().get(query) {
            return Ok(document.clone());
        }
        let document = parse_query(query)?;
        let mut kept = self.lock();
        if kept.len() >= CAPACITY {
            kept.clear();
        }
        kept.insert(query.to_owned(), document.clone());
        Ok(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_parsed_once_and_copies_are_the_same_document() {
        let documents = Documents::default();
        let query = "query A($n: Int) { publications(first: $n) { totalCount } }";
        let first = documents.parse(query).unwrap();
        let again = documents.parse(query).unwrap();
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(documents.len(), 1);
        assert!(documents.parse("{ publications(first: ) }").is_err());
        assert_eq!(documents.len(), 1, "a syntax error is not kept");
    }

    #[test]
    fn the_cache_is_bounded() {
        let documents = Documents::default();
        for i in 0..CAPACITY + 10 {
            documents.parse(&format!("{{ a{i}: __typename }}")).unwrap();
        }
        assert!(documents.len() <= CAPACITY);
        let long = format!("{{ {} }}", "__typename ".repeat(MAX_QUERY_LEN / 10));
        documents.parse(&long).unwrap();
        assert!(documents.len() <= CAPACITY);
        assert!(documents.lock().keys().all(|k| k.len() <= MAX_QUERY_LEN));
    }
}
