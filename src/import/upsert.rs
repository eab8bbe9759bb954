//! The one write path every importer uses: upsert producers, publications, datasets and links
//! by natural key inside the caller's transaction. Problems with a record are
//! [`UpsertError::Invalid`] naming the field; nothing here commits.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr};

use crate::dates::PartialDateValue;
use crate::db::entities::{
    CreditTable, ValueList, dataset, producer, publication, publication_dataset,
};
use crate::db::lookup::{self, ProducerLookupError};
use crate::db::pages::Table;
use crate::db::search;
use crate::db::sql::Sql;

#[derive(Debug)]
pub enum UpsertError {
    Invalid { field: String, reason: String },
    Db(DbErr),
}

impl From<DbErr> for UpsertError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> UpsertError {
    UpsertError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

type Result<T> = std::result::Result<T, UpsertError>;

/// The start of the reason given when a natural key (or a producer's name under its parent)
/// belongs to another record than the one being written; the API reports it as `TAKEN`.
pub const TAKEN: &str = "already belongs to another";

/// Which row a write goes to. Importers upsert by natural key; the API creates new records and
/// edits records by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The record a natural key names, else this fallback row, else a new one.
    ByKey(Option<i64>),
    /// A new record: a natural key another record has is an error.
    New,
    /// This existing record: a natural key another record has is an error. Its producer
    /// credits are left as they are (the API edits them one by one).
    Row(i64),
}

impl Target {
    /// The row to write, given the record the input's natural keys name (and by which field).
    fn row(self, named: Option<(i64, &str)>, what: &str) -> Result<Option<i64>> {
        match (self, named) {
            (Self::ByKey(fallback), named) => Ok(named.map(|(id, _)| id).or(fallback)),
            (Self::New, None) => Ok(None),
            (Self::Row(id), None) => Ok(Some(id)),
            (Self::Row(id), Some((other, _))) if other == id => Ok(Some(id)),
            (_, Some((_, field))) => Err(invalid(field, format!("{TAKEN} {what}"))),
        }
    }
}

pub struct ProducerInput {
    pub name: String,
    pub abbreviation: Option<String>,
    pub aliases: Vec<String>,
    pub kind: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    /// Path of the parent from the root ("A > B"), `None` for a root.
    pub parent: Option<String>,
}

/// A producer credit: a producer path and a stored role name.
pub struct CreditInput {
    pub producer: String,
    pub role: String,
}

pub struct PublicationInput {
    pub ncj_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    pub subtitle: Option<String>,
    pub publication_type: Option<String>,
    pub published_on: Option<PartialDateValue>,
    pub abstract_text: Option<String>,
    pub physical_description: Option<String>,
    pub place_of_production: Option<String>,
    pub language: Option<String>,
    pub url: Option<String>,
    pub authors: Vec<String>,
    pub subjects: Vec<String>,
    pub producers: Vec<CreditInput>,
    pub synthetic: bool,
}

pub struct DatasetInput {
    pub study_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub time_period: (Option<i32>, Option<i32>),
    pub geographic_coverage: Vec<String>,
    pub released_on: Option<PartialDateValue>,
    pub version: Option<String>,
    pub series: Option<String>,
    pub data_types: Vec<String>,
    pub subjects: Vec<String>,
    pub url: Option<String>,
    pub producers: Vec<CreditInput>,
    pub synthetic: bool,
}

/// A natural key: which column (`ncj_number`, `study_number`, `doi`) and its value.
pub struct KeyInput {
    pub field: &'static str,
    pub column: &'static str,
    pub value: String,
}

pub struct LinkInput {
    pub publication: KeyInput,
    pub dataset: KeyInput,
    pub relation_type: String,
    pub source: Option<String>,
    pub linked_on: Option<chrono::NaiveDate>,
}

/// Finds the producer at `path`, naming `field` when it does not resolve.
pub async fn resolve_producer(
    txn: &DatabaseTransaction,
    field: &str,
    path: &str,
) -> Result<producer::Model> {
    if let Some(found) = cached_path(path) {
        return Ok(found);
    }
    let found = lookup::producer_by_path(txn, path)
        .await
        .map_err(|err| match err {
            ProducerLookupError::NotFound(prefix) => invalid(
                field,
                format!("no producer \"{prefix}\" (define it on an earlier line)"),
            ),
            ProducerLookupError::Ambiguous { name, candidates } => invalid(
                field,
                format!("\"{name}\" names {candidates} producers; give the path from the root"),
            ),
            ProducerLookupError::Db(err) => UpsertError::Db(err),
        })?;
    let _ =
        PRODUCER_PATHS.try_with(|cache| cache.borrow_mut().insert(path.to_owned(), found.clone()));
    Ok(found)
}

tokio::task_local! {
    /// Producer paths already resolved in this import run (the same few paths recur on most
    /// records). Set by an importer around its run; cleared whenever a producer is written.
    static PRODUCER_PATHS: std::cell::RefCell<std::collections::HashMap<String, producer::Model>>;
}

/// Runs `work` (one import run) with a cache of resolved producer paths.
pub async fn with_path_cache<F: std::future::Future>(work: F) -> F::Output {
    PRODUCER_PATHS.scope(Default::default(), work).await
}

fn cached_path(path: &str) -> Option<producer::Model> {
    PRODUCER_PATHS
        .try_with(|cache| cache.borrow().get(path).cloned())
        .ok()
        .flatten()
}

fn forget_paths() {
    let _ = PRODUCER_PATHS.try_with(|cache| cache.borrow_mut().clear());
}

/// Inserts or updates the producer `name` under its parent. Returns its id and whether it is new.
pub async fn producer(txn: &DatabaseTransaction, input: ProducerInput) -> Result<(i64, bool)> {
    let parent = match &input.parent {
        Some(path) => Some(resolve_producer(txn, "parent", path).await?.id),
        None => None,
    };
    producer_under(txn, input, parent, Target::ByKey(None)).await
}

/// [`producer`] under the parent with id `parent` (`input.parent` is not read), written to
/// `target`.
pub async fn producer_under(
    txn: &DatabaseTransaction,
    input: ProducerInput,
    parent: Option<i64>,
    target: Target,
) -> Result<(i64, bool)> {
    let named = same_producer(txn, &input, parent).await?;
    let existing = target.row(named.map(|p| (p.id, "name")), "producer under this parent")?;
    let model = producer::ActiveModel {
        id: existing.map_or(NotSet, Set),
        parent_id: Set(parent),
        parent_key: Set(parent.unwrap_or(0)),
        name_key: Set(input.name.to_lowercase()),
        name: Set(input.name),
        abbreviation: Set(input.abbreviation),
        kind: Set(input.kind),
        location: Set(input.location),
        url: Set(input.url),
    };
    let (id, created) = match existing {
        Some(_) => (model.update(txn).await?.id, false),
        None => (model.insert(txn).await?.id, true),
    };
    let fresh = created;
    forget_paths();
    replace_list(txn, fresh, ValueList::ProducerAliases, id, &input.aliases).await?;
    search::refresh(txn, Table::Producer, id).await?;
    Ok((id, created))
}

/// The existing producer under `parent` that the record names: by its name, or — since catalogs
/// name one body differently — by any of its aliases or its abbreviation. Naming two different
/// producers is an error.
async fn same_producer(
    txn: &DatabaseTransaction,
    input: &ProducerInput,
    parent: Option<i64>,
) -> Result<Option<producer::Model>> {
    let exact = lookup::producers_named(txn, &input.name, Some(parent)).await?;
    if let Some(found) = exact
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&input.name))
    {
        return Ok(Some(found.clone()));
    }
    let mut found: Vec<producer::Model> = exact;
    for other in input.aliases.iter().chain(input.abbreviation.iter()) {
        found.extend(lookup::producers_named(txn, other, Some(parent)).await?);
    }
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    match found.len() {
        0 | 1 => Ok(found.pop()),
        n => Err(invalid(
            "name",
            format!(
                "\"{}\" and its aliases name {n} different producers; merge them or drop an alias",
                input.name
            ),
        )),
    }
}

/// Inserts or updates a publication found by NCJ number, else by DOI.
pub async fn publication(
    txn: &DatabaseTransaction,
    input: PublicationInput,
) -> Result<(i64, bool)> {
    publication_to(txn, input, Target::ByKey(None)).await
}

/// [`publication`] written to `target`.
pub async fn publication_to(
    txn: &DatabaseTransaction,
    input: PublicationInput,
    target: Target,
) -> Result<(i64, bool)> {
    if input.ncj_number.is_none() && input.doi.is_none() && input.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    let existing = find_existing::<publication::Model>(
        txn,
        &[
            ("ncjNumber", "ncj_number", input.ncj_number.as_deref()),
            ("doi", "doi", input.doi.as_deref()),
        ],
    )
    .await?;
    let existing = target.row(existing, "publication")?;
    let credits = resolve_credits(txn, &input.producers).await?;
    let date = input.published_on;
    let model = publication::ActiveModel {
        id: existing.map_or(NotSet, Set),
        ncj_number: Set(input.ncj_number),
        doi: Set(input.doi),
        title_key: Set(input.title.to_lowercase()),
        title: Set(input.title),
        subtitle: Set(input.subtitle),
        publication_type: Set(input.publication_type),
        published_year: Set(date.map(|d| d.year)),
        published_month: Set(date.and_then(|d| d.month)),
        published_day: Set(date.and_then(|d| d.day)),
        published_key: Set(date.map(|d| d.key())),
        abstract_text: Set(input.abstract_text),
        physical_description: Set(input.physical_description),
        place_of_production: Set(input.place_of_production),
        language: Set(input.language),
        url: Set(input.url),
        synthetic: Set(input.synthetic),
    };
    let fresh = existing.is_none();
    let id = match existing {
        Some(_) => model.update(txn).await?.id,
        None => model.insert(txn).await?.id,
    };
    replace_list(
        txn,
        fresh,
        ValueList::PublicationAuthors,
        id,
        &input.authors,
    )
    .await?;
    replace_list(
        txn,
        fresh,
        ValueList::PublicationSubjects,
        id,
        &input.subjects,
    )
    .await?;
    if !matches!(target, Target::Row(_)) {
        replace_credits(txn, fresh, CreditTable::Publication, id, &credits).await?;
    }
    search::refresh(txn, Table::Publication, id).await?;
    Ok((id, existing.is_none()))
}

/// Inserts or updates a dataset found by study number, else by DOI.
pub async fn dataset(txn: &DatabaseTransaction, input: DatasetInput) -> Result<(i64, bool)> {
    dataset_or(txn, input, None).await
}

/// [`dataset`] for importers with their own rule for records that have no natural key (see
/// `dcat`): when neither key matches, the dataset `fallback` (found by that rule) is updated
/// instead of a new one inserted.
pub async fn dataset_or(
    txn: &DatabaseTransaction,
    input: DatasetInput,
    fallback: Option<i64>,
) -> Result<(i64, bool)> {
    dataset_to(txn, input, Target::ByKey(fallback)).await
}

/// [`dataset`] written to `target`.
pub async fn dataset_to(
    txn: &DatabaseTransaction,
    input: DatasetInput,
    target: Target,
) -> Result<(i64, bool)> {
    let existing = find_existing::<dataset::Model>(
        txn,
        &[
            ("studyNumber", "study_number", input.study_number.as_deref()),
            ("doi", "doi", input.doi.as_deref()),
        ],
    )
    .await?;
    let existing = target.row(existing, "dataset")?;
    if let (Some(start), Some(end)) = input.time_period
        && start > end
    {
        return Err(invalid(
            "timePeriod",
            format!("start {start} is after end {end}"),
        ));
    }
    let credits = resolve_credits(txn, &input.producers).await?;
    let date = input.released_on;
    let model = dataset::ActiveModel {
        id: existing.map_or(NotSet, Set),
        study_number: Set(input.study_number),
        doi: Set(input.doi),
        title_key: Set(input.title.to_lowercase()),
        title: Set(input.title),
        summary: Set(input.summary),
        time_period_start: Set(input.time_period.0),
        time_period_end: Set(input.time_period.1),
        released_year: Set(date.map(|d| d.year)),
        released_month: Set(date.and_then(|d| d.month)),
        released_day: Set(date.and_then(|d| d.day)),
        released_key: Set(date.map(|d| d.key())),
        version: Set(input.version),
        series: Set(input.series),
        url: Set(input.url),
        synthetic: Set(input.synthetic),
    };
    let fresh = existing.is_none();
    let id = match existing {
        Some(_) => model.update(txn).await?.id,
        None => model.insert(txn).await?.id,
    };
    replace_list(txn, fresh, ValueList::DatasetSubjects, id, &input.subjects).await?;
    replace_list(
        txn,
        fresh,
        ValueList::DatasetCoverage,
        id,
        &input.geographic_coverage,
    )
    .await?;
    replace_list(
        txn,
        fresh,
        ValueList::DatasetDataTypes,
        id,
        &input.data_types,
    )
    .await?;
    if !matches!(target, Target::Row(_)) {
        replace_credits(txn, fresh, CreditTable::Dataset, id, &credits).await?;
    }
    search::refresh(txn, Table::Dataset, id).await?;
    Ok((id, existing.is_none()))
}

/// Inserts or updates the link between an existing publication and dataset.
pub async fn link(txn: &DatabaseTransaction, input: LinkInput) -> Result<bool> {
    let publication = lookup::by_key::<publication::Model>(
        txn,
        input.publication.column,
        &input.publication.value,
    )
    .await?
    .ok_or_else(|| {
        invalid(
            format!("publication.{}", input.publication.field),
            format!("no publication \"{}\"", input.publication.value),
        )
    })?;
    let dataset = lookup::by_key::<dataset::Model>(txn, input.dataset.column, &input.dataset.value)
        .await?
        .ok_or_else(|| {
            invalid(
                format!("dataset.{}", input.dataset.field),
                format!("no dataset \"{}\"", input.dataset.value),
            )
        })?;
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT COUNT(*) AS n FROM publication_dataset WHERE publication_id = ")
        .bind(publication.id)
        .push(" AND dataset_id = ")
        .bind(dataset.id);
    let exists = match txn.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get::<i64>("", "n")? > 0,
        None => false,
    };
    let model = publication_dataset::ActiveModel {
        publication_id: Set(publication.id),
        dataset_id: Set(dataset.id),
        relation_type: Set(input.relation_type),
        source: Set(input.source),
        linked_on: Set(input.linked_on),
    };
    if exists {
        model.update(txn).await?;
    } else {
        model.insert(txn).await?;
    }
    Ok(!exists)
}

/// The id of the record matching the first given key, and that key's field; a record matching
/// one key while another key names a different record is a conflict.
async fn find_existing<R: crate::db::entities::Record>(
    txn: &DatabaseTransaction,
    keys: &[(&'static str, &'static str, Option<&str>)],
) -> Result<Option<(i64, &'static str)>> {
    let mut found: Option<(i64, &str)> = None;
    for (field, column, value) in keys {
        let Some(value) = value else { continue };
        if let Some(row) = lookup::by_key::<R>(txn, column, value).await? {
            match found {
                Some((id, first)) if id != row.id() => {
                    return Err(invalid(
                        *field,
                        format!("\"{value}\" belongs to another record than its {first}"),
                    ));
                }
                Some(_) => {}
                None => found = Some((row.id(), field)),
            }
        }
    }
    Ok(found)
}

async fn resolve_credits(
    txn: &DatabaseTransaction,
    credits: &[CreditInput],
) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::with_capacity(credits.len());
    for (i, credit) in credits.iter().enumerate() {
        let producer =
            resolve_producer(txn, &format!("producers[{i}].producer"), &credit.producer).await?;
        if !out
            .iter()
            .any(|(id, role)| *id == producer.id && *role == credit.role)
        {
            out.push((producer.id, credit.role.clone()));
        }
    }
    Ok(out)
}

async fn replace_credits(
    txn: &DatabaseTransaction,
    fresh: bool,
    table: CreditTable,
    owner: i64,
    credits: &[(i64, String)],
) -> Result<()> {
    let (name, owner_column, _) = table.table();
    // A row inserted in this run has nothing to replace.
    if !fresh {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("DELETE FROM ")
            .push(name)
            .push(" WHERE ")
            .push(owner_column)
            .push(" = ")
            .bind(owner);
        txn.execute_raw(sql.build()).await?;
    }
    if credits.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO ")
        .push(name)
        .push(" (")
        .push(owner_column)
        .push(", producer_id, role) VALUES ");
    for (i, (producer, role)) in credits.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(owner)
            .push(", ")
            .bind(*producer)
            .push(", ")
            .bind(role.clone())
            .push(")");
    }
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Replaces an owner's list (empty strings dropped, duplicates kept once, order kept).
async fn replace_list(
    txn: &DatabaseTransaction,
    fresh: bool,
    list: ValueList,
    owner: i64,
    values: &[String],
) -> Result<()> {
    let (table, owner_column) = list.table();
    // A row inserted in this run has nothing to replace.
    if !fresh {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("DELETE FROM ")
            .push(table)
            .push(" WHERE ")
            .push(owner_column)
            .push(" = ")
            .bind(owner);
        txn.execute_raw(sql.build()).await?;
    }
    let mut kept: Vec<&str> = Vec::with_capacity(values.len());
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    if kept.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO ")
        .push(table)
        .push(" (")
        .push(owner_column)
        .push(", position, value) VALUES ");
    for (position, value) in kept.iter().enumerate() {
        sql.push(if position == 0 { "(" } else { ", (" })
            .bind(owner)
            .push(", ")
            .bind(position as i32)
            .push(", ")
            .bind(value.to_string())
            .push(")");
    }
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Finds the publication `input` names, by DOI, then NCJ number, then URL (among publications
/// without a DOI when `input` has one), and returns it unchanged; creates it from `input` when
/// nothing matches. For link importers (Scholix) that describe the linked works only briefly: an
/// existing record is linked, never overwritten. Returns the id and whether it is new.
pub async fn find_or_create_publication(
    txn: &DatabaseTransaction,
    input: PublicationInput,
) -> Result<(i64, bool)> {
    let found = first_match::<publication::Model>(
        txn,
        &[
            ("doi", input.doi.as_deref()),
            ("ncj_number", input.ncj_number.as_deref()),
        ],
        input.url.as_deref(),
    )
    .await?;
    match found {
        Some(id) => Ok((id, false)),
        None => publication(txn, input).await,
    }
}

/// [`find_or_create_publication`] for datasets: by DOI, then study number, then URL.
pub async fn find_or_create_dataset(
    txn: &DatabaseTransaction,
    input: DatasetInput,
) -> Result<(i64, bool)> {
    let found = first_match::<dataset::Model>(
        txn,
        &[
            ("doi", input.doi.as_deref()),
            ("study_number", input.study_number.as_deref()),
        ],
        input.url.as_deref(),
    )
    .await?;
    match found {
        Some(id) => Ok((id, false)),
        None => dataset(txn, input).await,
    }
}

/// The id of the first record matching one of `keys` (in order), else the oldest record with
/// exactly this `url` (only among records without a DOI when a DOI key was given, so that a URL
/// never lands on a work with another DOI).
async fn first_match<R: crate::db::entities::Record>(
    txn: &DatabaseTransaction,
    keys: &[(&'static str, Option<&str>)],
    url: Option<&str>,
) -> Result<Option<i64>> {
    for (column, value) in keys {
        let Some(value) = value else { continue };
        if let Some(row) = lookup::by_key::<R>(txn, column, value).await? {
            return Ok(Some(row.id()));
        }
    }
    let Some(url) = url else { return Ok(None) };
    let has_doi = keys
        .iter()
        .any(|(column, value)| *column == "doi" && value.is_some());
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT id FROM ")
        .push(R::TABLE.name())
        .push(" WHERE url = ")
        .bind(url.to_owned());
    if has_doi {
        sql.push(" AND doi IS NULL");
    }
    sql.push(" ORDER BY id LIMIT 1");
    match txn.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(row.try_get::<i64>("", "id")?)),
        None => Ok(None),
    }
}

/// [`link`] between records already found by id: inserts the link, or updates its relation
/// type, source and date. Returns whether it is new.
pub async fn link_ids(
    txn: &DatabaseTransaction,
    publication_id: i64,
    dataset_id: i64,
    relation_type: String,
    source: Option<String>,
    linked_on: Option<chrono::NaiveDate>,
) -> Result<bool> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT COUNT(*) AS n FROM publication_dataset WHERE publication_id = ")
        .bind(publication_id)
        .push(" AND dataset_id = ")
        .bind(dataset_id);
    let exists = match txn.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get::<i64>("", "n")? > 0,
        None => false,
    };
    let model = publication_dataset::ActiveModel {
        publication_id: Set(publication_id),
        dataset_id: Set(dataset_id),
        relation_type: Set(relation_type),
        source: Set(source),
        linked_on: Set(linked_on),
    };
    if exists {
        model.update(txn).await?;
    } else {
        model.insert(txn).await?;
    }
    Ok(!exists)
}
