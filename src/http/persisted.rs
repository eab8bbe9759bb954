//! Automatic persisted queries (Apollo's protocol): a client sends a query's SHA-256 instead of
//! its text; an unknown hash answers `PersistedQueryNotFound` and the client resends the text
//! with the hash, which is then remembered. Resolved here, before anything reads the query, so
//! the GET-is-for-queries rule and every limit apply to persisted documents too.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Documents remembered; the oldest go first.
const CAPACITY: usize = 1_000;

#[derive(Clone, Default)]
pub struct PersistedQueries(Arc<Mutex<Store>>);

#[derive(Default)]
struct Store {
    documents: HashMap<String, String>,
    order: VecDeque<String>,
}

/// Why a persisted-query request cannot be run: `(code, message)`.
pub type Refusal = (&'static str, String);

impl PersistedQueries {
    /// Fills in the request's query from its `persistedQuery` extension, or remembers the query
    /// under its hash. Returns the hash when the request used one.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<Option<String>, Refusal> {
        let Some(extension) = request.extensions.remove("persistedQuery") else {
            return Ok(None);
        };
        let extension = extension.into_json().unwrap_or_default();
        if extension["version"] != 1 {
            return Err((
                "BAD_USER_INPUT",
                "persistedQuery: only version 1 is supported".into(),
            ));
        }
        let Some(hash) = extension["sha256Hash"].as_str().map(str::to_lowercase) else {
            return Err((
                "BAD_USER_INPUT",
                "persistedQuery: sha256Hash is missing".into(),
            ));
        };
        let mut store = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if request.query.is_empty() {
            return match store.documents.get(&hash) {
                Some(query) => {
                    request.query = query.clone();
                    Ok(Some(hash))
                }
                None => Err(("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound".into())),
            };
        }
        let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if actual != hash {
            return Err((
                "BAD_USER_INPUT",
                "persistedQuery: sha256Hash does not match the query".into(),
            ));
        }
        if !store.documents.contains_key(&hash) {
            if store.order.len() >= CAPACITY
                && let Some(oldest) = store.order.pop_front()
            {
                store.documents.remove(&oldest);
            }
            store.order.push_back(hash.clone());
            store.documents.insert(hash.clone(), request.query.clone());
        }
        Ok(Some(hash))
    }
}
