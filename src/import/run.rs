//! The `import` command's run: files loaded in order, each in its own format (the one given,
//! else guessed file by file), all in one transaction. With `--skip-invalid` the rejected
//! records are written (or a rejects file an earlier run left is removed) before the commit, so
//! that a run whose reasons cannot be kept loads nothing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sea_orm::DatabaseTransaction;

use super::native::{ImportOptions, Outcome, Rejected};
use super::rejects::Records;
use super::{csv_links, dcat, native, scholix, upsert};
use crate::config::ImportFormat;
use crate::db::Db;

/// How the command line runs an import.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Every file's format; `None`: guessed file by file.
    pub format: Option<ImportFormat>,
    /// `--skip-invalid`: load the valid records, and write the rejected ones to this file.
    pub rejects: Option<PathBuf>,
}

/// Where `--skip-invalid` writes the rejected records unless told: beside the first file,
/// which must be a regular file (beside a pipe, `/dev/fd/63.rejected.jsonl` cannot be written
/// and `/dev/stdin.rejected.jsonl` lands in `/dev`).
pub fn default_rejects(files: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let first = files.first().cloned().unwrap_or_default();
    if std::fs::metadata(&first).is_ok_and(|m| !m.is_file()) {
        anyhow::bail!(
            "{} is not a regular file (a pipe?): pass --rejects FILE to say where --skip-invalid writes the rejected records",
            first.display()
        );
    }
    let mut name = first.into_os_string();
    name.push(".rejected.jsonl");
    Ok(name.into())
}

/// Loads `files` in order, each in its format, in one transaction.
pub async fn import(db: &Db, files: &[PathBuf], options: &RunOptions) -> anyhow::Result<Outcome> {
    if let Some(rejects) = &options.rejects {
        refuse_input_as_rejects(rejects, files)?;
        crate::db::refuse_to_overwrite(db, rejects).await?;
    }
    let plan = formats(files, options).inspect_err(|_| {
        // A run that stops before loading leaves no earlier run's rejects behind either.
        if let Some(rejects) = &options.rejects {
            let _ = keep_rejects(rejects, &[]);
        }
    })?;
    upsert::with_path_cache(async {
        let txn = begin_when_free(db).await?;
        one_import_at_a_time(&txn).await?;
        larger_page_cache(&txn).await?;
        let mut loaded = load(db, &txn, &plan, options.rejects.is_some()).await;
        let kept = match (&loaded, &options.rejects) {
            (Ok(outcome), Some(path)) => keep_rejects(path, &outcome.rejected),
            // A run that stopped loaded nothing and rejected nothing: a rejects file there
            // would be an earlier run's.
            (Err(_), Some(path)) => {
                let _ = keep_rejects(path, &[]);
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(err) = kept {
            loaded = Err(err);
        }
        super::settle(txn, loaded).await
    })
    .await
}

/// PostgreSQL: imports run one after another (a transaction-scoped advisory lock), as on
/// SQLite, whose one write lock they take. Two runs side by side raced for the same new keys
/// and the loser stopped with a raw unique-violation error; now it waits for the first.
/// The run's write transaction. On SQLite another writer (an import, a server's mutation)
/// holding the database's one write lock past the busy timeout stopped the run with "database
/// is locked"; a run waits for it as long as it takes, saying so once, as on PostgreSQL.
async fn begin_when_free(db: &Db) -> anyhow::Result<DatabaseTransaction> {
    let mut said = false;
    loop {
        match crate::db::begin_write(&db.conn).await {
            Err(err) if err.to_string().contains("database is locked") => {
                if !said {
                    tracing::info!(
                        "another import or write holds the database; waiting for it to finish"
                    );
                    said = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            begun => return Ok(begun?),
        }
    }
}

/// The key of the advisory lock import runs take turns with (PostgreSQL).
pub const IMPORT_LOCK: i64 = 0x5354_5544_5947_5250; // "STUDYGRP"

/// A run that finds another one running says so and waits for it as long as it takes (not
/// the statement timeout, which cancelled a run queued behind a long one after 10 s).
async fn one_import_at_a_time(txn: &DatabaseTransaction) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let ask = |sql: String| Statement::from_string(DatabaseBackend::Postgres, sql);
    let row = txn
        .query_one_raw(ask(format!(
            "SELECT pg_try_advisory_xact_lock({IMPORT_LOCK}) AS got, \
             current_setting('statement_timeout') AS timeout"
        )))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no answer to the import lock"))?;
    if row.try_get::<bool>("", "got")? {
        return Ok(());
    }
    let timeout: String = row.try_get("", "timeout")?;
    tracing::info!("another import is running on this database; waiting for it to finish");
    txn.execute_unprepared("SET LOCAL statement_timeout = 0")
        .await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({IMPORT_LOCK})"))
        .await?;
    txn.execute_raw(ask(format!(
        "SELECT set_config('statement_timeout', '{}', true)",
        timeout.replace('\'', "")
    )))
    .await?;
    Ok(())
}

/// SQLite's page cache for the import's connection: 256 MiB instead of 2 MiB, so the indexes
/// a large import updates stay in memory instead of being read back from the file (the
/// 160,500-record benchmark file: 6.7–7.0 s → 5.9–6.1 s, 0.8 s less system time; peak memory
/// ~180 → ~460 MB). The connection keeps it: the command's process ends with the import.
async fn larger_page_cache(txn: &DatabaseTransaction) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, DatabaseBackend};
    if txn.get_database_backend() == DatabaseBackend::Sqlite {
        txn.execute_unprepared("PRAGMA cache_size = -262144")
            .await?;
    }
    Ok(())
}

/// Each file with its format.
fn formats(
    files: &[PathBuf],
    options: &RunOptions,
) -> anyhow::Result<Vec<(PathBuf, ImportFormat)>> {
    files
        .iter()
        .map(|file| {
            let format = match options.format {
                Some(format) => format,
                None => {
                    refuse_to_guess_a_stream(file)?;
                    super::guess_format(file)?
                }
            };
            Ok((file.clone(), format))
        })
        .collect()
}

/// Guessing reads the start of a file and loading opens it again: a pipe (`<(zcat …)`,
/// `/dev/stdin`) would be loaded from where the guess stopped, silently without its first
/// records. Such input needs `--format`, which reads it once.
fn refuse_to_guess_a_stream(file: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(file) {
        Ok(metadata) if !metadata.is_file() && !metadata.is_dir() => anyhow::bail!(
            "{}: not a regular file (a pipe?), so its format cannot be guessed without losing its start; pass --format native, dcat-us, scholix or csv",
            file.display()
        ),
        _ => Ok(()),
    }
}

/// Loads the files in order, consecutive files of one format together.
async fn load(
    db: &Db,
    txn: &DatabaseTransaction,
    plan: &[(PathBuf, ImportFormat)],
    skip_invalid: bool,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    for group in plan.chunk_by(|a, b| a.1 == b.1) {
        let files: Vec<PathBuf> = group.iter().map(|(file, _)| file.clone()).collect();
        let mut records = Records::new(skip_invalid);
        let summary = match group[0].1 {
            ImportFormat::Native => {
                let options = ImportOptions { skip_invalid };
                let loaded = native::load_files(db, txn, &files, options).await?;
                outcome.rejected.extend(loaded.rejected);
                loaded.summary
            }
            ImportFormat::DcatUs => dcat::load_files(txn, &files, &mut records).await?,
            ImportFormat::Scholix => scholix::load_files(txn, &files, &mut records).await?,
            ImportFormat::Csv => csv_links::load_files(txn, &files, &mut records).await?,
        };
        outcome.rejected.extend(records.into_rejected());
        outcome.summary += summary;
    }
    Ok(outcome)
}

/// Refuses a rejects file that is one of the files to import: writing it would overwrite them.
fn refuse_input_as_rejects(rejects: &Path, files: &[PathBuf]) -> anyhow::Result<()> {
    let same = |file: &PathBuf| match (std::fs::canonicalize(file), std::fs::canonicalize(rejects))
    {
        (Ok(file), Ok(rejects)) => file == rejects,
        _ => file == rejects,
    };
    if files.iter().any(same) {
        anyhow::bail!(
            "--rejects {} is one of the files to import; writing the rejected records there would overwrite it",
            rejects.display()
        );
    }
    Ok(())
}

/// Writes the rejected records to `path`, one JSON object a line. When there are none, removes
/// the file an earlier run may have left there, so that a rejects file always belongs to the
/// last run that wrote to its path.
fn keep_rejects(path: &Path, rejected: &[Rejected]) -> anyhow::Result<()> {
    if rejected.is_empty() {
        return match std::fs::remove_file(path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err).with_context(|| {
                format!(
                    "cannot remove the earlier rejects file {}; nothing was loaded",
                    path.display()
                )
            }),
            _ => Ok(()),
        };
    }
    let mut text = String::new();
    for record in rejected {
        text.push_str(&serde_json::to_string(record)?);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| {
        format!(
            "cannot write the rejected records to {}; nothing was loaded",
            path.display()
        )
    })
}
