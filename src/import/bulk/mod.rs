//! The bulk write path of the native importer (runs that stop at the first bad record):
//! consecutive publications, datasets or links are gathered into batches and written with a few
//! multi-row statements per batch instead of several statements per record. Records that are
//! not plainly new (their natural key exists, repeats in the batch, or is missing) go through
//! the per-record [`upsert`](super::upsert) functions at their place in the batch, so ids, counts, errors and
//! the stored graph are exactly those of the per-record path.
//!
//! - `records`: batches of publications and datasets (rows, value lists, credits);
//! - `search_vectors`: their PostgreSQL search vectors, assembled or computed beside the
//!   transaction, and the row `INSERT` that stores them;
//! - `links`: batches of links;
//! - `statements`: the multi-row statements all of them write with;
//! - `deferred_indexes`: on SQLite, the secondary indexes a large run builds once at its end.

mod deferred_indexes;
mod links;
mod records;
mod search_vectors;
mod statements;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction};

use super::native::{ImportError, Input, apply_input};
use super::upsert::UpsertError;
use super::{RecordError, Summary};
use deferred_indexes::DeferredIndexes;
use search_vectors::SearchVectors;

pub(super) use statements::text_array;

/// Records per batch.
const BATCH: usize = 5_000;

/// How large PostgreSQL lets a search index's pending entries grow during a bulk run before it
/// merges them into the index (its default, 4 MB, merges every few hundred publications:
/// inserting 50,000 generated publications took 6.2 s with it, 4.4-4.7 s with 16 MB and the
/// final merge included; 64 MB or more was no faster).
const GIN_PENDING_LIST: &str = "16MB";

/// One gathered record and where it came from.
struct Entry {
    file: String,
    line: usize,
    input: Input,
}

impl Entry {
    fn error(&self, err: UpsertError) -> ImportError {
        located(&self.file, self.line, err)
    }
}

/// A record's own problem, located on its line; a database failure as is.
fn located(file: &str, line: usize, err: UpsertError) -> ImportError {
    match err {
        UpsertError::Invalid { field, reason } => RecordError {
            file: file.to_owned(),
            line,
            field,
            reason,
        }
        .into(),
        UpsertError::Db(err) => err.into(),
    }
}

/// Writes one record through the per-record path.
async fn one(
    txn: &DatabaseTransaction,
    entry: Entry,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let Entry { file, line, input } = entry;
    apply_input(txn, input, summary)
        .await
        .map_err(|err| located(&file, line, err))
}

/// Consecutive records of one type waiting to be written.
#[derive(Default)]
pub(super) struct Batch {
    entries: Vec<Entry>,
    vectors: SearchVectors,
    indexes: DeferredIndexes,
}

fn kind(input: &Input) -> u8 {
    match input {
        Input::Producer(_) => 0,
        Input::Publication(_) => 1,
        Input::Dataset(_) => 2,
        Input::Link(_) => 3,
    }
}

impl Batch {
    /// A batch whose search vectors may be computed on `pool` too (PostgreSQL only: on SQLite
    /// another connection would wait for the transaction's write lock).
    pub(super) fn beside(pool: &DatabaseConnection) -> Self {
        Self {
            entries: Vec::new(),
            vectors: SearchVectors::beside(pool),
            indexes: DeferredIndexes::default(),
        }
    }

    /// Prepares the run's transaction for bulk writes: on PostgreSQL new search index entries
    /// gather in a larger pending list before they are merged into the GIN indexes.
    pub(super) async fn begin(&self, txn: &DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(&format!(
                "SET LOCAL gin_pending_list_limit = '{GIN_PENDING_LIST}'"
            ))
            .await?;
        }
        Ok(())
    }

    /// Writes what is left, builds the indexes SQLite deferred, and on PostgreSQL merges the
    /// search indexes' pending entries (a search right after the import would otherwise read
    /// them one by one). Only the indexes' owner may merge them: an import by a role that
    /// merely writes leaves them to autovacuum.
    pub(super) async fn finish(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        self.flush(txn, summary).await?;
        self.indexes.rebuild(txn).await?;
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(
                "SELECT gin_clean_pending_list(CAST(c.oid AS regclass)) FROM pg_class c \
                 WHERE c.oid IN (to_regclass('publication_search_idx'), \
                   to_regclass('dataset_search_idx'), to_regclass('producer_search_idx')) \
                 AND pg_has_role(c.relowner, 'USAGE')",
            )
            .await?;
        }
        Ok(())
    }

    /// Adds a publication, dataset or link (a producer is written at once, after a flush).
    pub(super) async fn push(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
        file: &str,
        line: usize,
        input: Input,
    ) -> Result<(), ImportError> {
        if self
            .entries
            .first()
            .is_some_and(|first| kind(&first.input) != kind(&input))
        {
            self.flush(txn, summary).await?;
        }
        self.entries.push(Entry {
            file: file.to_owned(),
            line,
            input,
        });
        if self.entries.len() >= BATCH {
            self.flush(txn, summary).await?;
        }
        Ok(())
    }

    /// Writes what is gathered.
    pub(super) async fn flush(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        let entries = std::mem::take(&mut self.entries);
        let Some(first) = entries.first() else {
            return Ok(());
        };
        match first.input {
            Input::Publication(_) | Input::Dataset(_) => {
                records::write(txn, &mut self.vectors, &mut self.indexes, entries, summary).await
            }
            Input::Link(_) => links::write(txn, &mut self.indexes, entries, summary).await,
            Input::Producer(_) => {
                for entry in entries {
                    one(txn, entry, summary).await?;
                }
                Ok(())
            }
        }
    }
}
