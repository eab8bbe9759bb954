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
    lookup::producer_by_path(txn, path)
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
        })
}

/// Inserts or updates the producer `name` under its parent. Returns its id and whether it is new.
pub async fn producer(txn: &DatabaseTransaction, input: ProducerInput) -> Result<(i64, bool)> {
    let parent = match &input.parent {
        Some(path) => Some(resolve_producer(txn, "parent", path).await?.id),
        None => None,
    };
    let existing = same_producer(txn, &input, parent).await?;
    let model = producer::ActiveModel {
        id: existing.as_ref().map_or(NotSet, |p| Set(p.id)),
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
    replace_list(txn, ValueList::ProducerAliases, id, &input.aliases).await?;
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
    let id = match existing {
        Some(_) => model.update(txn).await?.id,
        None => model.insert(txn).await?.id,
    };
    replace_list(txn, ValueList::PublicationAuthors, id, &input.authors).await?;
    replace_list(txn, ValueList::PublicationSubjects, id, &input.subjects).await?;
    replace_credits(txn, CreditTable::Publication, id, &credits).await?;
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
    let existing = find_existing::<dataset::Model>(
        txn,
        &[
            ("studyNumber", "study_number", input.study_number.as_deref()),
            ("doi", "doi", input.doi.as_deref()),
        ],
    )
    .await?
    .or(fallback);
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
    let id = match existing {
        Some(_) => model.update(txn).await?.id,
        None => model.insert(txn).await?.id,
    };
    replace_list(txn, ValueList::DatasetSubjects, id, &input.subjects).await?;
    replace_list(
        txn,
        ValueList::DatasetCoverage,
        id,
        &input.geographic_coverage,
    )
    .await?;
    replace_list(txn, ValueList::DatasetDataTypes, id, &input.data_types).await?;
    replace_credits(txn, CreditTable::Dataset, id, &credits).await?;
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

/// The id of the record matching the first given key; a record matching one key while another
/// key names a different record is a conflict.
async fn find_existing<R: crate::db::entities::Record>(
    txn: &DatabaseTransaction,
    keys: &[(&'static str, &'static str, Option<&str>)],
) -> Result<Option<i64>> {
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
    Ok(found.map(|(id, _)| id))
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
    table: CreditTable,
    owner: i64,
    credits: &[(i64, String)],
) -> Result<()> {
    let (name, owner_column, _) = table.table();
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("DELETE FROM ")
        .push(name)
        .push(" WHERE ")
        .push(owner_column)
        .push(" = ")
        .bind(owner);
    txn.execute_raw(sql.build()).await?;
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
    list: ValueList,
    owner: i64,
    values: &[String],
) -> Result<()> {
    let (table, owner_column) = list.table();
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("DELETE FROM ")
        .push(table)
        .push(" WHERE ")
        .push(owner_column)
        .push(" = ")
        .bind(owner);
    txn.execute_raw(sql.build()).await?;
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
