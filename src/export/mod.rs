//! Writing the whole graph out: the native JSON Lines format ([`native`], which `import` reads
//! back into the same graph) and Scholix v3 link packages ([`scholix`]).
//!
//! An export reads one consistent snapshot (a read-only REPEATABLE READ transaction on
//! PostgreSQL, one read transaction on SQLite) in keyset pages of
//! [`ExportOptions::page_size`] rows, with one batched statement per page for each list, credit
//! or ancestor read: memory grows with the page size, never with the database. Rows come in id
//! order, so the same database always gives the same bytes.

pub mod native;
pub mod scholix;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

pub use native::{write_native, write_native_with};
pub use scholix::{write_scholix, write_scholix_with};

use crate::config::ExportFormat;
use crate::db::Db;
use crate::db::entities::{Record, producer};
use crate::db::rows;
use crate::db::sql::Sql;

/// Rows read per statement unless told otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Rows per keyset page (at least 1).
    pub page_size: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// What an export wrote, and what it could not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub producers: usize,
    pub publications: usize,
    pub datasets: usize,
    /// Link lines written (native `link` records, or Scholix packages).
    pub links: usize,
    /// Links left out because their publication or dataset has no natural key to name it by.
    pub skipped_links: usize,
    /// Publications written without `ncjNumber` or `doi` (never linkable, never matched on a
    /// re-import).
    pub keyless_publications: usize,
    /// Datasets written without `studyNumber` or `doi`.
    pub keyless_datasets: usize,
    /// Producers left out because no path from a root reaches them (a cycle of parents), and
    /// the credits naming them.
    pub unreachable_producers: usize,
    pub skipped_credits: usize,
    /// Producers whose path would not resolve to them alone on import (a sibling shares one of
    /// their names, or a root's name is also another producer's name).
    pub ambiguous_producers: usize,
}

impl fmt::Display for ExportSummary {
    /// The counts written ("20 producers, 60 publications, 30 datasets, 122 links"; a Scholix
    /// export has only links), then what was skipped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            (self.producers, "producers"),
            (self.publications, "publications"),
            (self.datasets, "datasets"),
            (self.links, "links"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            f.write_str("nothing")?;
        } else {
            f.write_str(&parts.join(", "))?;
        }
        if self.skipped_links > 0 {
            write!(f, " ({} links skipped: no natural key)", self.skipped_links)?;
        }
        Ok(())
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("cannot write the export: {0}")]
    Io(#[from] io::Error),
}

/// Writes `format` to `out`, or to standard output; a file appears only once it is complete.
pub async fn export_to(
    db: &Db,
    format: ExportFormat,
    out: Option<&Path>,
) -> anyhow::Result<ExportSummary> {
    use anyhow::Context as _;
    let options = ExportOptions::default();
    let Some(path) = out else {
        let mut stdout = io::BufWriter::new(io::stdout());
        let summary = write(db, format, &options, &mut stdout).await?;
        stdout.flush()?;
        return Ok(summary);
    };
    crate::db::refuse_to_overwrite(db, path).await?;
    if path.is_dir() {
        anyhow::bail!("cannot write {}: it is a directory", path.display());
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let mut file = io::BufWriter::new(file);
    let written = async {
        let summary = write(db, format, &options, &mut file).await?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok::<_, ExportError>(summary)
    }
    .await;
    match written {
        Ok(summary) => {
            if let Err(err) = std::fs::rename(&partial, path) {
                let _ = std::fs::remove_file(&partial);
                return Err(err).with_context(|| format!("cannot write {}", path.display()));
            }
            Ok(summary)
        }
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            Err(err).with_context(|| format!("cannot export to {}", path.display()))
        }
    }
}

/// Writes `format` to `out`.
pub async fn write(
    db: &Db,
    format: ExportFormat,
    options: &ExportOptions,
    out: &mut impl Write,
) -> Result<ExportSummary, ExportError> {
    match format {
        ExportFormat::Native => write_native_with(db, options, out).await,
        ExportFormat::Scholix => write_scholix_with(db, options, out).await,
    }
}

/// One JSON object and a newline.
fn write_line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The next page of `R`'s rows after id `after`, in id order.
async fn page_after<R: Record>(
    conn: &impl ConnectionTrait,
    after: i64,
    limit: usize,
) -> Result<Vec<R>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT * FROM ")
        .push(R::TABLE.name())
        .push(" WHERE id > ")
        .bind(after)
        .push(" ORDER BY id LIMIT ")
        .bind(limit.max(1) as i64);
    conn.query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| R::from_query_result(row, ""))
        .collect()
}

/// A date at its stored precision: "2006", "2006-10" or "2006-10-15" (a day without a month
/// is dropped, as the API does).
fn partial_date(year: Option<i32>, month: Option<i32>, day: Option<i32>) -> Option<String> {
    let year = year?;
    Some(match (month, day) {
        (None, _) => format!("{year:04}"),
        (Some(month), None) => format!("{year:04}-{month:02}"),
        (Some(month), Some(day)) => format!("{year:04}-{month:02}-{day:02}"),
    })
}

/// Each producer's path from its root by names ("A > B > C"); producers that no root reaches
/// (a cycle of parents) are absent. One statement for the whole slice.
async fn producer_paths<'a>(
    conn: &impl ConnectionTrait,
    producers: impl IntoIterator<Item = &'a producer::Model>,
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    let mut own: Vec<&producer::Model> = producers.into_iter().collect();
    own.sort_by_key(|p| p.id);
    own.dedup_by_key(|p| p.id);
    let ids: Vec<i64> = own
        .iter()
        .filter(|p| p.parent_id.is_some())
        .map(|p| p.id)
        .collect();
    let mut ancestors = if ids.is_empty() {
        Default::default()
    } else {
        rows::ancestors(conn, &ids).await?
    };
    let mut out = std::collections::HashMap::with_capacity(own.len());
    for producer in own {
        let chain = ancestors.remove(&producer.id).unwrap_or_default();
        let reaches_root = match chain.first() {
            Some(root) => root.parent_id.is_none(),
            None => producer.parent_id.is_none(),
        };
        if reaches_root {
            let mut path: Vec<&str> = chain.iter().map(|p| p.name.as_str()).collect();
            path.push(&producer.name);
            out.insert(producer.id, path.join(" > "));
        }
    }
    Ok(out)
}

/// Producers on page `(after_depth, after_id)` of the hierarchy, parents before children:
/// ordered by depth from the root, then id. Producers no root reaches never appear.
async fn producers_by_depth(
    conn: &impl ConnectionTrait,
    after: (i32, i64),
    limit: usize,
) -> Result<Vec<(i32, producer::Model)>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push(
        "WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM producer WHERE parent_id IS NULL \
         UNION ALL SELECT p.id, t.depth + 1 FROM producer p JOIN tree t ON p.parent_id = t.id \
         WHERE t.depth < 64) \
         SELECT t.depth AS sg_depth, p.* FROM tree t JOIN producer p ON p.id = t.id WHERE t.depth > ",
    )
    .bind(after.0)
    .push(" OR (t.depth = ")
    .bind(after.0)
    .push(" AND p.id > ")
    .bind(after.1)
    .push(") ORDER BY t.depth, p.id LIMIT ")
    .bind(limit.max(1) as i64);
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "sg_depth")?,
                producer::Model::from_query_result(row, "")?,
            ))
        })
        .collect()
}

/// Counts producers that an import would not find by the path an export writes: siblings
/// sharing a name, alias or abbreviation (an import merges them). (A root whose name another
/// producer also has is still found: a one-segment path prefers the root.) Warns about them.
async fn count_ambiguous_producers(conn: &impl ConnectionTrait) -> Result<usize, DbErr> {
    let sql = "WITH names(id, parent_key, n) AS (\
               SELECT id, parent_key, lower(name) FROM producer \
               UNION SELECT id, parent_key, lower(abbreviation) FROM producer WHERE abbreviation IS NOT NULL \
               UNION SELECT p.id, p.parent_key, lower(a.value) FROM producer_alias a JOIN producer p ON p.id = a.producer_id), \
               clash(id) AS (\
               SELECT a.id FROM names a JOIN names b ON a.parent_key = b.parent_key AND a.n = b.n AND a.id <> b.id) \
               SELECT COUNT(*) AS n FROM clash";
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    if n > 0 {
        tracing::warn!(
            producers = n,
            "some producers share a name, alias or abbreviation with a sibling (or a root's name \
             with another producer): importing this export may merge them or stop at their paths"
        );
    }
    Ok(n as usize)
}

/// Logs what an export left out.
fn warn_about(summary: &ExportSummary) {
    if summary.skipped_links > 0 {
        tracing::warn!(
            skipped = summary.skipped_links,
            "links not exported: their publication has no ncjNumber, doi or URL of its own, or \
             their dataset no studyNumber, doi or URL of its own"
        );
    }
    if summary.keyless_publications + summary.keyless_datasets > 0 {
        tracing::warn!(
            publications = summary.keyless_publications,
            datasets = summary.keyless_datasets,
            "records without a natural key exported: an import finds them again by title, URL \
             and credits"
        );
    }
    if summary.unreachable_producers + summary.skipped_credits > 0 {
        tracing::warn!(
            producers = summary.unreachable_producers,
            credits = summary.skipped_credits,
            "producers in a cycle of parents (no path from a root) and their credits not exported"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(
            partial_date(Some(2006), None, None).as_deref(),
            Some("2006")
        );
        assert_eq!(
            partial_date(Some(2006), Some(10), None).as_deref(),
            Some("2006-10")
        );
        assert_eq!(
            partial_date(Some(2011), Some(6), Some(13)).as_deref(),
            Some("2011-06-13")
        );
        assert_eq!(
            partial_date(Some(1999), None, Some(3)).as_deref(),
            Some("1999")
        );
        assert_eq!(partial_date(None, Some(1), Some(1)), None);
    }
}
