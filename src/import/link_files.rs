//! What CSV link sheets and Scholix link files share: a file is read whole (lines that are not
//! UTF-8 noted), cut into located records, and each record written through [`Records`], so that
//! a run stops at a bad one or skips and keeps it. Each format says how to cut and how to write.

use std::path::PathBuf;

use sea_orm::DatabaseTransaction;

use super::native::ImportError;
use super::rejects::Records;
use super::{FileText, RecordError, Summary};
use crate::db::Db;

/// A format of link files.
pub(super) trait LinkFormat {
    /// One located record of a file.
    type Record;

    /// The records of `text` (named `name` in errors): records on a line in `not_utf8` are
    /// marked to be refused; `skip_unreadable` lets a record that cannot be read be refused
    /// alone where the format can tell where the next one starts.
    fn parse(
        name: &str,
        text: &str,
        skip_unreadable: bool,
        not_utf8: &[usize],
    ) -> Result<Vec<Self::Record>, RecordError>;

    /// Writes `records` in order, counting what is new in `summary`.
    async fn load(
        txn: &DatabaseTransaction,
        name: &str,
        records: Vec<Self::Record>,
        summary: &mut Summary,
        kept: &mut Records,
    ) -> Result<(), ImportError>;
}

/// Loads one document (named `name` in errors) in its own transaction, stopping at a bad record.
pub(super) async fn import_str<F: LinkFormat>(
    db: &Db,
    name: &str,
    text: &str,
) -> Result<Summary, ImportError> {
    let records = F::parse(name, text, false, &[])?;
    let txn = crate::db::begin_write(&db.conn).await?;
    let mut summary = Summary::default();
    let loaded = F::load(&txn, name, records, &mut summary, &mut Records::new(false)).await;
    super::settle(txn, loaded).await?;
    Ok(summary)
}

/// Loads files in order inside the caller's transaction (the command line's run), leaving out
/// and keeping bad records when `kept` skips them.
pub(super) async fn load_files<F: LinkFormat>(
    txn: &DatabaseTransaction,
    files: &[PathBuf],
    kept: &mut Records,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for file in files {
        let read = FileText::read(file)?;
        let name = file.display().to_string();
        let records = F::parse(&name, &read.text, kept.skips_invalid(), &read.not_utf8)?;
        F::load(txn, &name, records, &mut summary, kept).await?;
    }
    Ok(summary)
}
