//! The native format: JSON Lines, one record per line (`"type"`: producer, publication,
//! dataset or link), records referring to each other by natural keys. Documented in
//! `docs/import-format.md`; the demo data uses it.

mod line;

use std::path::PathBuf;

use sea_orm::DatabaseTransaction;

use super::progress::Progress;
pub use super::rejects::Rejected;
use super::rejects::{Records, into_record_error};
use super::upsert::{self, UpsertError};
use super::{RecordError, Summary};
use crate::db::Db;
use line::{Record, parse_line, to_input};

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// How a run treats records it cannot load.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Load the other records and report the bad ones, instead of stopping at the first.
    pub skip_invalid: bool,
}

/// What a run wrote and what it left out.
#[derive(Debug, Default)]
pub struct Outcome {
    pub summary: Summary,
    pub rejected: Vec<Rejected>,
}

/// One non-blank line of an import file, read (and for bulk runs parsed) on the reading thread.
struct ReadLine {
    /// The file's name as given.
    name: std::sync::Arc<str>,
    line_no: usize,
    content: Content,
}

/// What the reading thread hands over for a line. Not boxed: in bulk runs nearly every line is
/// `Parsed`, and a box would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
enum Content {
    /// The line's text, for runs that keep their rejects (parsed record by record).
    Text(String),
    /// The parsed record, for bulk runs.
    Parsed(Result<Input, UpsertError>),
    /// A line that is not UTF-8 in a run that keeps its rejects, shown with replacement
    /// characters.
    NotUtf8(String),
}

/// Lines read ahead of the transaction: enough for two batches.
const READ_AHEAD: usize = 10_000;

/// Why a line that is not UTF-8 is refused.
fn not_utf8() -> UpsertError {
    upsert::invalid("record", "not valid UTF-8 text")
}

/// A read line's text without its line break (and, on a file's first line, without a
/// byte-order mark, which starts the file rather than its first record).
fn decode(mut bytes: Vec<u8>, first: bool) -> Result<String, Vec<u8>> {
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    match String::from_utf8(bytes) {
        Ok(text) if first => Ok(super::without_bom(&text).to_owned()),
        Ok(text) => Ok(text),
        Err(err) => Err(err.into_bytes()),
    }
}

/// What the reading thread hands over for one line's bytes.
fn content(bytes: Vec<u8>, first: bool, parse: bool) -> Option<Content> {
    let content = match (decode(bytes, first), parse) {
        (Ok(text), _) if text.trim().is_empty() => return None,
        (Ok(text), true) => Content::Parsed(
            parse_line(&text)
                .map_err(|(field, reason)| UpsertError::Invalid { field, reason })
                .and_then(to_input),
        ),
        (Ok(text), false) => Content::Text(text),
        (Err(_), true) => Content::Parsed(Err(not_utf8())),
        (Err(bytes), false) => Content::NotUtf8(String::from_utf8_lossy(&bytes).into_owned()),
    };
    Some(content)
}

/// Reads `files` in order on a thread of its own, so that reading and parsing the next records
/// overlaps the database writing the last ones; `parse` says whether to parse each line there
/// (bulk runs) or to hand over its text. Sends `None` once every file is read; stops at the
/// first unreadable file or line, or when the receiver is gone. A channel that closes without
/// that `None` means the thread died: the run must not commit.
fn read_ahead(
    files: &[PathBuf],
    parse: bool,
) -> tokio::sync::mpsc::Receiver<anyhow::Result<Option<ReadLine>>> {
    use std::io::BufRead;
    let (sender, receiver) = tokio::sync::mpsc::channel(READ_AHEAD);
    let files = files.to_vec();
    std::thread::spawn(move || {
        for file in files {
            let name: std::sync::Arc<str> = file.display().to_string().into();
            let mut reader = match std::fs::File::open(&file) {
                Ok(reader) => std::io::BufReader::new(reader),
                Err(err) => {
                    let _ = sender.blocking_send(Err(
                        anyhow::Error::new(err).context(format!("cannot read {name}"))
                    ));
                    return;
                }
            };
            for line_no in 1.. {
                let mut bytes = Vec::new();
                let item = match reader.read_until(b'\n', &mut bytes) {
                    Ok(0) => break,
                    Ok(_) => match content(bytes, line_no == 1, parse) {
                        None => continue,
                        Some(content) => Ok(Some(ReadLine {
                            name: name.clone(),
                            line_no,
                            content,
                        })),
                    },
                    Err(err) => Err(anyhow::Error::new(err)
                        .context(format!("{name}:{line_no}: cannot read the line"))),
                };
                let stop = item.is_err();
                if sender.blocking_send(item).is_err() || stop {
                    return;
                }
            }
        }
        let _ = sender.blocking_send(Ok(None));
    });
    receiver
}

/// Loads files in order, all in one transaction, streaming them line by line (read and parsed
/// on a thread beside the writes).
pub async fn import_files(
    db: &Db,
    files: &[PathBuf],
    options: ImportOptions,
) -> anyhow::Result<Outcome> {
    upsert::with_path_cache(async {
        let txn = crate::db::begin_write(&db.conn).await?;
        let outcome = load_files(db, &txn, files, options).await;
        super::settle(txn, outcome).await
    })
    .await
}

/// [`import_files`] inside the caller's transaction (the command line's run, which may load
/// files of other formats in the same transaction).
pub async fn load_files(
    db: &Db,
    txn: &DatabaseTransaction,
    files: &[PathBuf],
    options: ImportOptions,
) -> anyhow::Result<Outcome> {
    let mut run = Run::new(options, true);
    let mut batch = super::bulk::Batch::beside(&db.conn);
    batch.begin(txn).await?;
    let mut lines = read_ahead(files, !options.skip_invalid);
    loop {
        let Some(line) = lines.recv().await else {
            anyhow::bail!("the import files' reader stopped before their end; nothing was written");
        };
        let Some(ReadLine {
            name,
            line_no,
            content,
        }) = line?
        else {
            break;
        };
        match content {
            Content::Text(text) => run.load_line(txn, &name, line_no, &text).await?,
            Content::Parsed(parsed) => {
                run.load_bulk(txn, &mut batch, &name, line_no, parsed)
                    .await?
            }
            Content::NotUtf8(text) => {
                let error = into_record_error(not_utf8(), locator(&name, line_no))?;
                run.records.refuse(error, text)?
            }
        }
    }
    batch.finish(txn, &mut run.summary).await?;
    run.finish();
    Ok(Outcome {
        summary: run.summary,
        rejected: run.records.into_rejected(),
    })
}

/// Loads one document (named `name` in errors) in its own transaction.
pub async fn import_str(db: &Db, name: &str, text: &str) -> Result<Summary, ImportError> {
    upsert::with_path_cache(async {
        let txn = crate::db::begin_write(&db.conn).await?;
        let mut run = Run::new(ImportOptions::default(), false);
        let mut loaded = Ok(());
        for (index, line) in super::without_bom(text).lines().enumerate() {
            loaded = run.load_line(&txn, name, index + 1, line).await;
            if loaded.is_err() {
                break;
            }
        }
        super::settle(txn, loaded.map(|()| run.summary)).await
    })
    .await
}

/// One import run: its counts, its rejects, and its progress.
struct Run {
    summary: Summary,
    records: Records,
    progress: Progress,
}

impl Run {
    fn new(options: ImportOptions, interactive: bool) -> Self {
        Self {
            summary: Summary::default(),
            records: Records::new(options.skip_invalid),
            progress: Progress::new(interactive),
        }
    }

    async fn load_line(
        &mut self,
        txn: &DatabaseTransaction,
        name: &str,
        line_no: usize,
        line: &str,
    ) -> Result<(), ImportError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        self.progress.tick();
        let at = locator(name, line_no);
        let text = || line.to_owned();
        let record = match parse_line(line) {
            Ok(record) => record,
            Err((field, reason)) => return self.records.refuse(at(field, reason), text()),
        };
        // The line's own counts, added when it loads; the run's records without keys are
        // lent to it (a record notes itself there only once it is written).
        let mut summary = Summary {
            keyless: std::mem::take(&mut self.summary.keyless),
            ..Summary::default()
        };
        let written = self
            .records
            .write(txn, at, text, async |txn| {
                apply(txn, record, &mut summary).await
            })
            .await?;
        self.summary.keyless = std::mem::take(&mut summary.keyless);
        if written.is_some() {
            self.summary += summary;
        }
        Ok(())
    }

    /// [`Self::load_line`] for runs that stop at the first bad record, given the line's parsed
    /// record: publications, datasets and links are gathered into batches written thousands
    /// at a time (see `bulk`).
    async fn load_bulk(
        &mut self,
        txn: &DatabaseTransaction,
        batch: &mut super::bulk::Batch,
        name: &str,
        line_no: usize,
        parsed: Result<Input, UpsertError>,
    ) -> Result<(), ImportError> {
        self.progress.tick();
        let at = locator(name, line_no);
        let input = match parsed {
            Ok(input) => Ok(input),
            Err(err) => Err(into_record_error(err, at)?),
        };
        match input {
            // Earlier lines first: a bad record in the batch is the one to report.
            Err(error) => {
                batch.flush(txn, &mut self.summary).await?;
                Err(error.into())
            }
            Ok(Input::Producer(producer)) => {
                batch.flush(txn, &mut self.summary).await?;
                match apply_input(txn, Input::Producer(producer), &mut self.summary).await {
                    Ok(()) => Ok(()),
                    Err(err) => Err(into_record_error(err, at)?.into()),
                }
            }
            Ok(input) => {
                batch
                    .push(txn, &mut self.summary, name, line_no, input)
                    .await
            }
        }
    }

    fn finish(&self) {
        self.progress.finish();
    }
}

/// Names a record's problem by its place: line `line_no` of file `name`.
fn locator(name: &str, line_no: usize) -> impl Fn(String, String) -> RecordError + Copy + '_ {
    move |field, reason| RecordError {
        file: name.to_owned(),
        line: line_no,
        field,
        reason,
    }
}

async fn apply(
    txn: &DatabaseTransaction,
    record: Record,
    summary: &mut Summary,
) -> Result<(), UpsertError> {
    apply_input(txn, to_input(record)?, summary).await
}

/// A record checked and normalised, ready to write.
pub(super) enum Input {
    Producer(upsert::ProducerInput),
    Publication(upsert::PublicationInput),
    Dataset(upsert::DatasetInput),
    Link(upsert::LinkInput),
}

/// Writes one checked record through the per-record upsert path, counting what is new.
pub(super) async fn apply_input(
    txn: &DatabaseTransaction,
    input: Input,
    summary: &mut Summary,
) -> Result<(), UpsertError> {
    match input {
        Input::Producer(input) => {
            if upsert::producer(txn, input).await?.1 {
                summary.producers += 1;
            }
        }
        Input::Publication(input) => {
            if upsert::publication(txn, input, &mut summary.keyless)
                .await?
                .1
            {
                summary.publications += 1;
            }
        }
        Input::Dataset(input) => {
            if upsert::dataset(txn, input, &mut summary.keyless).await?.1 {
                summary.datasets += 1;
            }
        }
        Input::Link(input) => {
            if upsert::link(txn, input).await? {
                summary.links += 1;
            }
        }
    }
    Ok(())
}
