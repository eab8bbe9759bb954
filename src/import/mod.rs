//! Loading records into the graph. Every format goes through one upsert path ([`upsert`]), one
//! transaction per run: a bad record stops the run with `FILE:LINE: field: reason` and leaves
//! the database as it was.

mod bulk;
pub mod csv_links;
pub mod dcat;
pub mod edits;
pub mod native;
pub mod progress;
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

/// The format of a file from its first non-blank characters: a DCAT-US catalog is one JSON
/// object with a `dataset` array (or an array of datasets); native files are one record per line;
/// Scholix links have `RelationshipType` and `Source`; a CSV link sheet's header names
/// `publication` and `dataset` columns.
pub fn guess_format(path: &std::path::Path) -> anyhow::Result<crate::config::ImportFormat> {
    use crate::config::ImportFormat;
    use std::io::Read;
    let mut head = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let read = file.read(&mut head)?;
    let head = String::from_utf8_lossy(&head[..read]);
    let text = head.trim_start_matches('\u{feff}').trim_start();
    let first_line = text.lines().next().unwrap_or("");
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
    if first_line.trim_end().ends_with('}') && first_line.contains("\"type\"") {
        return Ok(ImportFormat::Native);
    }
    if text.starts_with('{') && !first_line.trim_end().ends_with('}') {
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
