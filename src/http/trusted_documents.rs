//! Trusted documents: the manifest of GraphQL documents a frontend build emits, loaded and
//! checked at start-up (`serve --trusted-documents FILE`). Two shapes are read:
//!
//! - `{ "<sha256 hex>": "<document>", … }` — GraphQL Codegen's `persisted-documents.json`
//!   (client preset, `hashAlgorithm: 'sha256'`) and Relay's persisted queries file
//!   (`persistConfig.algorithm: "SHA256"`); keys may carry a `sha256:` prefix;
//! - Apollo's `{ "format": "apollo-persisted-query-manifest", "version": 1,
//!   "operations": [{ "id", "body", "name", "type" }] }`.
//!
//! Every key must be the SHA-256 (lowercase hex) of its document's exact text, and every
//! document must parse; otherwise start-up fails naming the file and the entry.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

/// Documents by hash, and hashes by document text (for raw queries that are in the manifest).
#[derive(Debug, Default)]
pub struct TrustedDocuments {
    by_hash: HashMap<String, String>,
    by_text: HashMap<String, String>,
}

/// The lowercase hex SHA-256 of a document's text: its id in a manifest.
pub fn hash_of(document: &str) -> String {
    format!("{:x}", Sha256::digest(document.as_bytes()))
}

impl TrustedDocuments {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the trusted documents {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Checks a manifest's text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> anyhow::Result<Self> {
        let value: serde_json::Value = serde_json::from_str(text)
            .with_context(|| format!("{source}: not a JSON trusted-documents manifest"))?;
        let entries = entries(&value).with_context(|| format!("{source}: unexpected manifest"))?;
        let mut documents = Self::default();
        for (entry, id, document) in entries {
            documents
                .add(id, document)
                .with_context(|| format!("{source}: {entry}"))?;
        }
        Ok(documents)
    }

    fn add(&mut self, id: &str, document: &str) -> anyhow::Result<()> {
        let id = id
            .strip_prefix("sha256:")
            .unwrap_or(id)
            .to_ascii_lowercase();
        let actual = hash_of(document);
        if id != actual {
            bail!(
                "the id is not the SHA-256 of the document's text (that is {actual}); \
                 have the build tool hash documents with SHA-256"
            );
        }
        async_graphql::parser::parse_query(document)
            .map_err(|err| anyhow::anyhow!("the document does not parse: {err}"))?;
        self.by_text.insert(document.to_owned(), id.clone());
        self.by_hash.insert(id, document.to_owned());
        Ok(())
    }

    /// The document with this SHA-256 (lowercase hex).
    pub fn get(&self, hash: &str) -> Option<&str> {
        self.by_hash.get(hash).map(String::as_str)
    }

    /// The hash of a document whose text is exactly `query`, if the manifest has it.
    pub fn hash_of_text(&self, query: &str) -> Option<&str> {
        self.by_text.get(query).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// `(entry name for errors, id, document)` for either manifest shape.
fn entries(value: &serde_json::Value) -> anyhow::Result<Vec<(String, &str, &str)>> {
    let Some(object) = value.as_object() else {
        bail!("expected a JSON object (hash → document, or Apollo's persisted-query manifest)");
    };
    if let Some(format) = object.get("format") {
        if format != "apollo-persisted-query-manifest" {
            bail!("\"format\" is {format}, expected \"apollo-persisted-query-manifest\"");
        }
        if object.get("version") != Some(&serde_json::json!(1)) {
            bail!("only version 1 of apollo-persisted-query-manifest is supported");
        }
        let Some(operations) = object.get("operations").and_then(|o| o.as_array()) else {
            bail!("\"operations\" must be an array");
        };
        return operations
            .iter()
            .enumerate()
            .map(|(i, operation)| {
                let name = operation["name"]
                    .as_str()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                let entry = format!("operations[{i}]{name}");
                match (operation["id"].as_str(), operation["body"].as_str()) {
                    (Some(id), Some(body)) => Ok((entry, id, body)),
                    _ => bail!("{entry}: needs string \"id\" and \"body\""),
                }
            })
            .collect();
    }
    object
        .iter()
        .map(|(key, document)| match document.as_str() {
            Some(document) => Ok((format!("entry \"{key}\""), key.as_str(), document)),
            None => bail!("entry \"{key}\": the document must be a string"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{ __typename }";

    #[test]
    fn both_shapes_load() {
        let hash = hash_of(DOC);
        let plain = serde_json::json!({ format!("sha256:{hash}"): DOC }).to_string();
        let documents = TrustedDocuments::parse(&plain, "plain.json").unwrap();
        assert_eq!(documents.get(&hash), Some(DOC));
        assert_eq!(documents.hash_of_text(DOC), Some(hash.as_str()));
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": hash, "body": DOC, "name": "T", "type": "query" }]
        })
        .to_string();
        assert_eq!(
            TrustedDocuments::parse(&apollo, "apollo.json")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_wrong_hash_names_the_file_and_the_entry() {
        let bad = serde_json::json!({ "abc": DOC }).to_string();
        let err = format!(
            "{:#}",
            TrustedDocuments::parse(&bad, "docs.json").unwrap_err()
        );
        assert!(
            err.contains("docs.json") && err.contains("\"abc\""),
            "{err}"
        );
        assert!(err.contains(&hash_of(DOC)), "{err}");
        let unparsable = serde_json::json!({ hash_of("{ x"): "{ x" }).to_string();
        let err = format!(
            "{:#}",
            TrustedDocuments::parse(&unparsable, "docs.json").unwrap_err()
        );
        assert!(err.contains("does not parse"), "{err}");
    }
}
