//! The native format: JSON Lines, one record per line (`"type"`: producer, publication,
//! dataset or link), records referring to each other by natural keys. Documented in
//! `docs/import-format.md`; the demo data uses it.

use std::path::PathBuf;

use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::Deserialize;

use super::progress::Progress;
use super::upsert::{self, CreditInput, KeyInput, UpsertError, invalid};
use super::{RecordError, Summary};
use crate::dates::PartialDateValue;
use crate::db::Db;
use crate::db::lookup::{normalize_doi, normalize_ncj, normalize_study_number};
use crate::db::revision;
use crate::graphql::types::common::{ProducerRole, RelationType};

/// One line, by its `type`.
enum Record {
    Producer(ProducerRecord),
    Publication(PublicationRecord),
    Dataset(DatasetRecord),
    Link(LinkRecord),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProducerRecord {
    name: String,
    abbreviation: Option<String>,
    aliases: Option<Vec<String>>,
    kind: Option<String>,
    location: Option<String>,
    url: Option<String>,
    parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditRecord {
    producer: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublicationRecord {
    ncj_number: Option<String>,
    doi: Option<String>,
    title: String,
    subtitle: Option<String>,
    publication_type: Option<String>,
    published_on: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    physical_description: Option<String>,
    place_of_production: Option<String>,
    language: Option<String>,
    url: Option<String>,
    authors: Option<Vec<String>>,
    subjects: Option<Vec<String>>,
    producers: Option<Vec<CreditRecord>>,
    synthetic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRangeRecord {
    start: Option<i32>,
    end: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DatasetRecord {
    study_number: Option<String>,
    doi: Option<String>,
    title: String,
    summary: Option<String>,
    time_period: Option<YearRangeRecord>,
    geographic_coverage: Option<Vec<String>>,
    released_on: Option<String>,
    version: Option<String>,
    series: Option<String>,
    data_types: Option<Vec<String>>,
    subjects: Option<Vec<String>>,
    url: Option<String>,
    producers: Option<Vec<CreditRecord>>,
    synthetic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublicationKey {
    ncj_number: Option<String>,
    doi: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DatasetKey {
    study_number: Option<String>,
    doi: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LinkRecord {
    publication: PublicationKey,
    dataset: DatasetKey,
    relation_type: String,
    source: Option<String>,
    linked_on: Option<String>,
}

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

/// A record left out of a `skip_invalid` run: where, why, and the line itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rejected {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
    pub record: String,
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
    /// The line itself, for runs that keep their rejects (empty otherwise).
    text: String,
    /// The parsed record, for bulk runs.
    parsed: Option<Result<Input, UpsertError>>,
}

/// Lines read ahead of the transaction: enough for two batches.
const READ_AHEAD: usize = 10_000;

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
            let reader = match std::fs::File::open(&file) {
                Ok(reader) => reader,
                Err(err) => {
                    let _ = sender.blocking_send(Err(
                        anyhow::Error::new(err).context(format!("cannot read {name}"))
                    ));
                    return;
                }
            };
            for (index, line) in std::io::BufReader::new(reader).lines().enumerate() {
                let line_no = index + 1;
                let item = match line {
                    Err(err) => Err(anyhow::Error::new(err)
                        .context(format!("{name}:{line_no}: cannot read the line"))),
                    Ok(line) if line.trim().is_empty() => continue,
                    Ok(line) if parse => Ok(Some(ReadLine {
                        name: name.clone(),
                        line_no,
                        text: String::new(),
                        parsed: Some(
                            parse_line(&line)
                                .map_err(|(field, reason)| UpsertError::Invalid { field, reason })
                                .and_then(to_input),
                        ),
                    })),
                    Ok(text) => Ok(Some(ReadLine {
                        name: name.clone(),
                        line_no,
                        text,
                        parsed: None,
                    })),
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
        let txn = db.conn.begin().await?;
        let mut run = Run::new(options, true);
        let mut batch = super::bulk::Batch::beside(&db.conn);
        batch.begin(&txn).await?;
        let mut lines = read_ahead(files, !options.skip_invalid);
        loop {
            let Some(line) = lines.recv().await else {
                anyhow::bail!(
                    "the import files' reader stopped before their end; nothing was written"
                );
            };
            let Some(line) = line? else {
                break;
            };
            match line.parsed {
                None => {
                    run.load_line(&txn, &line.name, line.line_no, &line.text)
                        .await?
                }
                Some(parsed) => {
                    run.load_bulk(&txn, &mut batch, &line.name, line.line_no, parsed)
                        .await?
                }
            }
        }
        batch.finish(&txn, &mut run.summary).await?;
        revision::commit_write(txn).await?;
        run.finish();
        Ok(Outcome {
            summary: run.summary,
            rejected: run.rejected,
        })
    })
    .await
}

/// Loads one document (named `name` in errors) in its own transaction.
pub async fn import_str(db: &Db, name: &str, text: &str) -> Result<Summary, ImportError> {
    upsert::with_path_cache(async {
        let txn = db.conn.begin().await?;
        let mut run = Run::new(ImportOptions::default(), false);
        let mut loaded = Ok(());
        for (index, line) in text.lines().enumerate() {
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
    options: ImportOptions,
    summary: Summary,
    rejected: Vec<Rejected>,
    progress: Progress,
}

impl Run {
    fn new(options: ImportOptions, interactive: bool) -> Self {
        Self {
            options,
            summary: Summary::default(),
            rejected: Vec::new(),
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
        let at = |field: String, reason: String| RecordError {
            file: name.to_owned(),
            line: line_no,
            field,
            reason,
        };
        let outcome = match parse_line(line) {
            Err((field, reason)) => Err(at(field, reason)),
            Ok(record) if self.options.skip_invalid => {
                // A savepoint per record: a bad record's partial writes go, the rest stays.
                let savepoint = txn.begin().await?;
                match apply(&savepoint, record, &mut self.summary).await {
                    Ok(()) => {
                        savepoint.commit().await?;
                        Ok(())
                    }
                    Err(err) => {
                        savepoint.rollback().await?;
                        Err(into_record_error(err, at)?)
                    }
                }
            }
            Ok(record) => match apply(txn, record, &mut self.summary).await {
                Ok(()) => Ok(()),
                Err(err) => Err(into_record_error(err, at)?),
            },
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(error) if self.options.skip_invalid => {
                self.rejected.push(Rejected {
                    file: error.file,
                    line: error.line,
                    field: error.field,
                    reason: error.reason,
                    record: line.to_owned(),
                });
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
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
        let at = |field: String, reason: String| RecordError {
            file: name.to_owned(),
            line: line_no,
            field,
            reason,
        };
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

/// A record's own problem becomes a located error; a database failure stops the run.
fn into_record_error(
    err: UpsertError,
    at: impl Fn(String, String) -> RecordError,
) -> Result<RecordError, ImportError> {
    match err {
        UpsertError::Invalid { field, reason } => Ok(at(field, reason)),
        UpsertError::Db(err) => Err(err.into()),
    }
}

/// Parses one line; the error is `(field path, reason)`.
fn parse_line(line: &str) -> Result<Record, (String, String)> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|err| ("record".to_owned(), without_position(&err)))?;
    let kind = match value.get("type") {
        Some(serde_json::Value::String(kind)) => kind.clone(),
        Some(_) => return Err(("type".into(), "must be a string".into())),
        None => {
            return Err((
                "type".into(),
                "missing: one of producer, publication, dataset, link".into(),
            ));
        }
    };
    let mut fields = value;
    if let Some(object) = fields.as_object_mut() {
        object.remove("type");
    }
    match kind.as_str() {
        "producer" => typed(fields).map(Record::Producer),
        "publication" => typed(fields).map(Record::Publication),
        "dataset" => typed(fields).map(Record::Dataset),
        "link" => typed(fields).map(Record::Link),
        other => Err((
            "type".into(),
            format!("unknown record type \"{other}\": one of producer, publication, dataset, link"),
        )),
    }
}

/// Deserializes one record's fields, naming the field that failed.
fn typed<T: serde::de::DeserializeOwned>(fields: serde_json::Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(fields).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let reason = without_position(err.inner());
        // Some errors (an unknown field at the top) come without a path: name the field.
        let unknown = reason
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.is_empty(), unknown) {
            (false, _) => path,
            (true, Some(name)) => name.to_owned(),
            (true, None) => "record".to_owned(),
        };
        (field, reason)
    })
}

/// serde_json appends " at line 1 column N", which only repeats the line we name.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
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
            if upsert::publication(txn, input).await?.1 {
                summary.publications += 1;
            }
        }
        Input::Dataset(input) => {
            if upsert::dataset(txn, input).await?.1 {
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

/// Checks and normalises one parsed record.
fn to_input(record: Record) -> Result<Input, UpsertError> {
    Ok(match record {
        Record::Producer(r) => {
            let name = required("name", r.name)?;
            let input = upsert::ProducerInput {
                name,
                abbreviation: clean(r.abbreviation),
                aliases: r.aliases.unwrap_or_default(),
                kind: clean(r.kind),
                location: clean(r.location),
                url: clean(r.url),
                parent: clean(r.parent),
            };
            Input::Producer(input)
        }
        Record::Publication(r) => {
            let input = upsert::PublicationInput {
                ncj_number: clean(r.ncj_number).map(|n| normalize_ncj(&n)),
                doi: clean(r.doi).map(|d| normalize_doi(&d)),
                title: required("title", r.title)?,
                subtitle: clean(r.subtitle),
                publication_type: clean(r.publication_type),
                published_on: partial_date("publishedOn", r.published_on)?,
                abstract_text: clean(r.abstract_text),
                physical_description: clean(r.physical_description),
                place_of_production: clean(r.place_of_production),
                language: clean(r.language),
                url: clean(r.url),
                authors: r.authors.unwrap_or_default(),
                subjects: r.subjects.unwrap_or_default(),
                producers: credits(r.producers)?,
                synthetic: r.synthetic.unwrap_or(false),
            };
            Input::Publication(input)
        }
        Record::Dataset(r) => {
            let period = r.time_period.map_or((None, None), |p| (p.start, p.end));
            let input = upsert::DatasetInput {
                study_number: clean(r.study_number).map(|n| normalize_study_number(&n)),
                doi: clean(r.doi).map(|d| normalize_doi(&d)),
                title: required("title", r.title)?,
                summary: clean(r.summary),
                time_period: period,
                geographic_coverage: r.geographic_coverage.unwrap_or_default(),
                released_on: partial_date("releasedOn", r.released_on)?,
                version: clean(r.version),
                series: clean(r.series),
                data_types: r.data_types.unwrap_or_default(),
                subjects: r.subjects.unwrap_or_default(),
                url: clean(r.url),
                producers: credits(r.producers)?,
                synthetic: r.synthetic.unwrap_or(false),
            };
            Input::Dataset(input)
        }
        Record::Link(r) => {
            let publication = match (clean(r.publication.ncj_number), clean(r.publication.doi)) {
                (Some(ncj), _) => KeyInput {
                    field: "ncjNumber",
                    column: "ncj_number",
                    value: normalize_ncj(&ncj),
                },
                (None, Some(doi)) => KeyInput {
                    field: "doi",
                    column: "doi",
                    value: normalize_doi(&doi),
                },
                (None, None) => return Err(invalid("publication", "needs ncjNumber or doi")),
            };
            let dataset = match (clean(r.dataset.study_number), clean(r.dataset.doi)) {
                (Some(n), _) => KeyInput {
                    field: "studyNumber",
                    column: "study_number",
                    value: normalize_study_number(&n),
                },
                (None, Some(doi)) => KeyInput {
                    field: "doi",
                    column: "doi",
                    value: normalize_doi(&doi),
                },
                (None, None) => return Err(invalid("dataset", "needs studyNumber or doi")),
            };
            let relation_type = RelationType::parse_name(&r.relation_type).ok_or_else(|| {
                invalid(
                    "relationType",
                    format!("unknown relation type \"{}\"", r.relation_type),
                )
            })?;
            let linked_on = match clean(r.linked_on) {
                Some(text) => Some(
                    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                        invalid("linkedOn", format!("\"{text}\" is not a YYYY-MM-DD date"))
                    })?,
                ),
                None => None,
            };
            let input = upsert::LinkInput {
                publication,
                dataset,
                relation_type: relation_type.as_db().to_owned(),
                source: clean(r.source),
                linked_on,
            };
            Input::Link(input)
        }
    })
}

/// Trims; empty becomes `None`.
fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn required(field: &str, value: String) -> Result<String, UpsertError> {
    clean(Some(value)).ok_or_else(|| invalid(field, "must not be empty"))
}

fn partial_date(
    field: &str,
    value: Option<String>,
) -> Result<Option<PartialDateValue>, UpsertError> {
    clean(value)
        .map(|text| PartialDateValue::parse(&text).map_err(|reason| invalid(field, reason)))
        .transpose()
}

fn credits(records: Option<Vec<CreditRecord>>) -> Result<Vec<CreditInput>, UpsertError> {
    records
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, credit)| {
            let role = ProducerRole::parse_name(&credit.role).ok_or_else(|| {
                invalid(
                    format!("producers[{i}].role"),
                    format!("unknown role \"{}\"", credit.role),
                )
            })?;
            Ok(CreditInput {
                producer: credit.producer,
                role: role.as_db().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any line is a record or a located error with a field and a reason — never a panic.
        #[test]
        fn arbitrary_lines_never_panic(line in ".{0,300}") {
            if let Err((field, reason)) = parse_line(&line) {
                prop_assert!(!field.is_empty() && !reason.is_empty());
            }
        }

        /// JSON objects of the right type with arbitrary fields are refused field by field.
        #[test]
        fn arbitrary_fields_are_named(kind in "(producer|publication|dataset|link)", key in "[a-zA-Z]{1,12}", value in any::<i64>()) {
            let line = serde_json::json!({ "type": kind, key.clone(): value }).to_string();
            if let Err((field, reason)) = parse_line(&line) {
                prop_assert!(!field.is_empty() && !reason.is_empty(), "{line}");
            }
        }
    }
}
