//! Loading records into the graph. Every format goes through one upsert path ([`upsert`]), one
//! transaction per run: a bad record stops the run with `FILE:LINE: field: reason` and leaves
//! the database as it was.

mod bulk;
pub mod csv_links;
pub mod dcat;
pub mod edits;
pub mod native;
pub mod progress;
pub mod rejects;
pub mod run;
pub mod scholix;
pub mod upsert;
pub mod vectors;

use std::fmt;

/// A record that could not be loaded, located in its file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct RecordError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
}

/// What an import wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub producers: usize,
    pub publications: usize,
    pub datasets: usize,
    pub links: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} producers, {} publications, {} datasets, {} links",
            self.producers, self.publications, self.datasets, self.links
        )
    }
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, other: Self) {
        self.producers += other.producers;
        self.publications += other.publications;
        self.datasets += other.datasets;
        self.links += other.links;
    }
}

/// `text` without the UTF-8 byte-order mark some editors (and Excel) write at its start.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The record types of the native format, one of which each native line names in `"type"`.
const NATIVE_TYPES: [&str; 4] = ["producer", "publication", "dataset", "link"];

/// The format of a file from its first non-blank characters: a native file's first line is a
/// JSON object whose `"type"` is a native record type; a DCAT-US catalog is one JSON object with
/// a `dataset` array (or an array of datasets); Scholix links have `RelationshipType` and
/// `Source`; a CSV link sheet's header names `publication` and `dataset` columns.
pub fn guess_format(path: &std::path::Path) -> anyhow::Result<crate::config::ImportFormat> {
    use crate::config::ImportFormat;
    use anyhow::Context as _;
    use std::io::Read;
    let unreadable = || format!("cannot read {}", path.display());
    let first_line = first_line(path).with_context(unreadable)?;
    if is_native_record(&first_line) {
        return Ok(ImportFormat::Native);
    }
    let mut head = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path).with_context(unreadable)?;
    let read = file.read(&mut head).with_context(unreadable)?;
    let head = String::from_utf8_lossy(&head[..read]);
    let text = without_bom(&head).trim_start();
    // Scholix links (JSON Lines, an array or an API page) first: their
    // `"Type": {"Name": "dataset"}` would pass for a DCAT-US catalog.
    if text.contains("\"RelationshipType\"") && text.contains("\"Source\"") {
        return Ok(ImportFormat::Scholix);
    }
    if text.starts_with('[')
        || first_line.contains("\"conformsTo\"")
        || first_line.contains("\"dataset\"")
    {
        return Ok(ImportFormat::DcatUs);
    }
    if first_line.ends_with('}') && first_line.contains("\"type\"") {
        return Ok(ImportFormat::Native);
    }
    if text.starts_with('{') && !first_line.ends_with('}') {
        // A pretty-printed JSON document, not JSON Lines.
        return Ok(ImportFormat::DcatUs);
    }
    // A CSV link sheet: a header row naming the publication and dataset columns.
    let header = first_line.to_ascii_lowercase();
    if !text.starts_with(['{', '[']) && header.contains("publication") && header.contains("dataset")
    {
        return Ok(ImportFormat::Csv);
    }
    anyhow::bail!(
        "{}: cannot tell the format; pass --format native, dcat-us, scholix or csv",
        path.display()
    )
}

/// The first non-blank line of a file, whole however long, trimmed and without a byte-order
/// mark.
fn first_line(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(String::new());
        }
        let text = String::from_utf8_lossy(&line);
        let text = without_bom(&text).trim();
        if !text.is_empty() {
            return Ok(text.to_owned());
        }
    }
}

/// Whether `line` is a JSON object whose `"type"` is a native record type (other fields are
/// skipped unread).
fn is_native_record(line: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    line.starts_with('{')
        && serde_json::from_str::<Typed>(line).is_ok_and(|typed| {
            typed
                .kind
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .is_some_and(|kind| NATIVE_TYPES.contains(&kind))
        })
}

/// Commits the run's transaction (raising the graph's revision, [`crate::db::revision`]) when
/// `result` is a success, else rolls it back before returning, so a failed run releases
/// SQLite's write lock at once rather than whenever its pooled connection is next used.
pub async fn settle<T, E: From<sea_orm::DbErr>>(
    txn: sea_orm::DatabaseTransaction,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(value) => {
            crate::db::revision::commit_write(txn).await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(%rollback, "could not roll back a failed import");
            }
            Err(err)
        }
    }
}
