//! Records a run cannot load, the same way for every format. A run stops at the first bad
//! record; with `--skip-invalid` it writes each record inside a savepoint instead, keeps a bad
//! one (its place, its reason and its text) after undoing whatever the record had written, and
//! loads the rest. A database failure stops every run.

use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::RecordError;
use super::native::ImportError;
use super::upsert::UpsertError;

/// A record left out of a `--skip-invalid` run: where, why, and the record itself (the line of
/// a native file, the row of a sheet, the JSON of a Scholix link or a catalog's dataset).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rejected {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
    pub record: String,
}

/// How a run treats its records, and the ones it left out.
#[derive(Debug, Default)]
pub struct Records {
    skip_invalid: bool,
    rejected: Vec<Rejected>,
}

impl Records {
    /// A run that stops at its first bad record, or (`skip_invalid`) keeps and skips them.
    pub fn new(skip_invalid: bool) -> Self {
        Self {
            skip_invalid,
            rejected: Vec::new(),
        }
    }

    pub fn skips_invalid(&self) -> bool {
        self.skip_invalid
    }

    /// The records left out so far, in the order they were read.
    pub fn into_rejected(self) -> Vec<Rejected> {
        self.rejected
    }

    /// Writes one record with `write`. Its answer comes back when the record loaded; `None`
    /// when the record was bad and the run skips bad records (its writes undone, the record
    /// kept with `text`). A bad record of a run that does not skip them stops the run, named by
    /// `at(field, reason)`; so does any database failure.
    pub async fn write<T>(
        &mut self,
        txn: &DatabaseTransaction,
        at: impl Fn(String, String) -> RecordError,
        text: impl FnOnce() -> String,
        write: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, UpsertError>,
    ) -> Result<Option<T>, ImportError> {
        if !self.skip_invalid {
            return match write(txn).await {
                Ok(answer) => Ok(Some(answer)),
                Err(err) => Err(into_record_error(err, at)?.into()),
            };
        }
        let savepoint = txn.begin().await?;
        match write(&savepoint).await {
            Ok(answer) => {
                savepoint.commit().await?;
                Ok(Some(answer))
            }
            Err(err) => {
                savepoint.rollback().await?;
                // Producers the record wrote are gone: so must be any path resolved to them.
                super::upsert::forget_paths();
                let error = into_record_error(err, at)?;
                self.refuse(error, text())?;
                Ok(None)
            }
        }
    }

    /// A record refused before anything of it was written: kept with its `text` in runs that
    /// skip bad records, else the error that stops the run.
    pub fn refuse(&mut self, error: RecordError, text: String) -> Result<(), ImportError> {
        if !self.skip_invalid {
            return Err(error.into());
        }
        self.rejected.push(Rejected {
            file: error.file,
            line: error.line,
            field: error.field,
            reason: error.reason,
            record: text,
        });
        Ok(())
    }
}

/// A record's own problem becomes a located error; a database failure stops the run.
pub(super) fn into_record_error(
    err: UpsertError,
    at: impl Fn(String, String) -> RecordError,
) -> Result<RecordError, ImportError> {
    match err {
        UpsertError::Invalid { field, reason } => Ok(at(field, reason)),
        UpsertError::Db(err) => Err(err.into()),
    }
}
