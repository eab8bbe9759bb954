//! Persisted documents: a request may name its document instead of sending it, by Apollo's
//! `extensions.persistedQuery.sha256Hash` or by `documentId` (GraphQL-over-HTTP's persisted
//! documents, `sha256:<hex>` or the bare hex). Names resolve against the trusted documents
//! (see [`super::trusted_documents`]) and, unless the server runs `--persisted-only`, against
//! the documents clients registered with automatic persisted queries (an unknown hash answers
//! `PersistedQueryNotFound`; the client resends the text with the hash, which is remembered).
//!
//! With `--persisted-only` only the trusted documents run: a query whose text is exactly one of
//! them is accepted, any other text is `PERSISTED_QUERY_NOT_ALLOWED`, an unknown id
//! `PERSISTED_QUERY_NOT_FOUND`. Resolved here, before anything reads the query, so the
//! GET-is-for-queries rule and every limit apply to persisted documents too.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::trusted_documents::{TrustedDocuments, hash_of};

/// Documents remembered from clients (automatic persisted queries); the oldest go first.
const CAPACITY: usize = 1_000;
/// Largest document remembered: a larger one runs, but its hash alone is not found again (the
/// client then sends the text with it, as after a restart). Anonymous clients filled the
/// store with 1,000 documents of 1 MiB.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Most bytes of documents remembered in all; the oldest go first.
const MAX_STORE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Default)]
pub struct PersistedQueries {
    trusted: Arc<TrustedDocuments>,
    persisted_only: bool,
    learned: Arc<Mutex<Store>>,
}

#[derive(Default)]
struct Store {
    documents: HashMap<String, String>,
    order: VecDeque<String>,
    /// The documents' bytes, together.
    bytes: usize,
}

/// Why a request cannot be run.
#[derive(Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    /// A request error (400 for `application/graphql-response+json`); false only for Apollo's
    /// `PersistedQueryNotFound` round trip, which clients expect with 200.
    pub request_error: bool,
}

fn refusal(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        request_error: true,
    }
}

impl PersistedQueries {
    pub fn new(trusted: Arc<TrustedDocuments>, persisted_only: bool) -> Self {
        Self {
            trusted,
            persisted_only,
            learned: Arc::default(),
        }
    }

    /// Fills in the request's query from the document it names (`document_id`, or its
    /// `persistedQuery` extension), or checks and remembers a query sent with its hash.
    /// Returns the document's hash when the request named one.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Result<Option<String>, Refusal> {
        let extension = request.extensions.remove("persistedQuery");
        if let Some(id) = document_id {
            if !request.query.is_empty() || extension.is_some() {
                return Err(refusal(
                    "BAD_USER_INPUT",
                    "send either documentId, or query (with extensions.persistedQuery), not both",
                ));
            }
            let hash = id
                .strip_prefix("sha256:")
                .unwrap_or(id)
                .to_ascii_lowercase();
            return match self.lookup(&hash) {
                Some(document) => {
                    request.query = document;
                    Ok(Some(hash))
                }
                None => Err(refusal(
                    "PERSISTED_QUERY_NOT_FOUND",
                    format!("no document with id \"{id}\" on this server"),
                )),
            };
        }
        let Some(extension) = extension else {
            if self.persisted_only && self.trusted.hash_of_text(&request.query).is_none() {
                return Err(refusal(
                    "PERSISTED_QUERY_NOT_ALLOWED",
                    "this server runs trusted documents only: send the documentId (or \
                     extensions.persistedQuery.sha256Hash) of a document in its manifest",
                ));
            }
            return Ok(None);
        };
        let extension = extension.into_json().unwrap_or_default();
        if extension["version"] != 1 {
            return Err(refusal(
                "BAD_USER_INPUT",
                "persistedQuery: only version 1 is supported",
            ));
        }
        let Some(hash) = extension["sha256Hash"].as_str().map(str::to_lowercase) else {
            return Err(refusal(
                "BAD_USER_INPUT",
                "persistedQuery: sha256Hash is missing",
            ));
        };
        if request.query.is_empty() {
            return match self.lookup(&hash) {
                Some(query) => {
                    request.query = query;
                    Ok(Some(hash))
                }
                None => Err(Refusal {
                    // Apollo clients then resend the text: a normal round trip, unless only
                    // trusted documents may run.
                    request_error: self.persisted_only,
                    ..refusal("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
                }),
            };
        }
        if hash_of(&request.query) != hash {
            return Err(refusal(
                "BAD_USER_INPUT",
                "persistedQuery: sha256Hash does not match the query",
            ));
        }
        if self.trusted.get(&hash).is_some() {
            return Ok(Some(hash));
        }
        if self.persisted_only {
            return Err(refusal(
                "PERSISTED_QUERY_NOT_ALLOWED",
                "this server runs trusted documents only, and this one is not in its manifest",
            ));
        }
        self.remember(hash.clone(), request.query.clone());
        Ok(Some(hash))
    }

    /// The document for `hash`: trusted first, then (unless persisted-only) learned.
    fn lookup(&self, hash: &str) -> Option<String> {
        if let Some(document) = self.trusted.get(hash) {
            return Some(document.to_owned());
        }
        if self.persisted_only {
            return None;
        }
        let store = self.learned.lock().unwrap_or_else(|p| p.into_inner());
        store.documents.get(hash).cloned()
    }

    fn remember(&self, hash: String, query: String) {
        if query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let mut store = self.learned.lock().unwrap_or_else(|p| p.into_inner());
        if store.documents.contains_key(&hash) {
            return;
        }
        while store.order.len() >= CAPACITY || store.bytes + query.len() > MAX_STORE_BYTES {
            let Some(oldest) = store.order.pop_front() else {
                break;
            };
            if let Some(document) = store.documents.remove(&oldest) {
                store.bytes -= document.len();
            }
        }
        store.bytes += query.len();
        store.order.push_back(hash.clone());
        store.documents.insert(hash, query);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(queries: &PersistedQueries, text: String) -> Option<String> {
        let hash = hash_of(&text);
        let mut request = async_graphql::Request::new(text);
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": hash }),
            )
            .unwrap(),
        );
        queries.resolve(&mut request, None).ok()?;
        Some(hash)
    }

    /// Documents from clients are kept within a size per document and in all: 1,000 of 1 MiB
    /// each were kept (about 1 GB).
    #[test]
    fn learned_documents_stay_within_their_bytes() {
        let queries = PersistedQueries::default();
        let large = format!("{{ __typename }}\n#{}", "x".repeat(MAX_DOCUMENT_BYTES));
        let hash = register(&queries, large).unwrap();
        assert_eq!(queries.lookup(&hash), None, "too large to keep, but it ran");

        let each = MAX_DOCUMENT_BYTES - 100;
        let hashes: Vec<String> = (0..MAX_STORE_BYTES / each + 10)
            .map(|i| {
                register(
                    &queries,
                    format!("{{ __typename }}\n#{i}{}", "x".repeat(each - 30)),
                )
                .unwrap()
            })
            .collect();
        let store = queries.learned.lock().unwrap();
        assert!(store.bytes <= MAX_STORE_BYTES, "{}", store.bytes);
        assert_eq!(
            store.bytes,
            store.documents.values().map(String::len).sum::<usize>()
        );
        drop(store);
        assert_eq!(queries.lookup(&hashes[0]), None, "the oldest went first");
        assert!(queries.lookup(hashes.last().unwrap()).is_some());
    }
}
