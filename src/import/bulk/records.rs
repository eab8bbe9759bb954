//! Batches of publications and datasets: which records are plainly new, their rows, value
//! lists and credits written with a few multi-row statements, the rest through the per-record
//! path at their place.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Value};

use super::super::Summary;
use super::super::native::{ImportError, Input};
use super::super::upsert::{self, UpsertError, invalid};
use super::deferred_indexes::{DeferredIndexes, Group};
use super::search_vectors::SearchVectors;
use super::statements::{by_key_or_doi, insert_triples};
use super::{Entry, one};
use crate::db::lookup::{doi_key, doi_key_sql};
use crate::db::pages::Table;
use crate::db::search;
use crate::db::sql::{Sql, insert_rows};

/// How one record type is stored.
pub(super) struct Shape {
    pub(super) table: Table,
    /// The first natural key's column (`ncj_number`, `study_number`); the second is `doi`.
    key: &'static str,
    pub(super) columns: &'static [&'static str],
    /// The PostgreSQL type of each column (for the `unnest` of a batch).
    pub(super) types: &'static [&'static str],
    lists: &'static [(&'static str, &'static str)],
    credits: (&'static str, &'static str),
}

const PUBLICATION: Shape = Shape {
    table: Table::Publication,
    key: "ncj_number",
    columns: &[
        "ncj_number",
        "doi",
        "title_key",
        "title",
        "subtitle",
        "publication_type",
        "published_year",
        "published_month",
        "published_day",
        "published_key",
        "abstract",
        "physical_description",
        "place_of_production",
        "language",
        "url",
        "synthetic",
    ],
    types: &[
        "text", "text", "text", "text", "text", "text", "integer", "integer", "integer", "bigint",
        "text", "text", "text", "text", "text", "boolean",
    ],
    lists: &[
        ("publication_author", "publication_id"),
        ("publication_subject", "publication_id"),
    ],
    credits: ("publication_producer", "publication_id"),
};

const DATASET: Shape = Shape {
    table: Table::Dataset,
    key: "study_number",
    columns: &[
        "study_number",
        "doi",
        "title_key",
        "title",
        "summary",
        "time_period_start",
        "time_period_end",
        "released_year",
        "released_month",
        "released_day",
        "released_key",
        "version",
        "series",
        "url",
        "synthetic",
    ],
    types: &[
        "text", "text", "text", "text", "text", "integer", "integer", "integer", "integer",
        "integer", "bigint", "text", "text", "text", "boolean",
    ],
    lists: &[
        ("dataset_subject", "dataset_id"),
        ("dataset_coverage", "dataset_id"),
        ("dataset_data_type", "dataset_id"),
    ],
    credits: ("dataset_producer", "dataset_id"),
};

/// A brand-new record ready for the multi-row statements.
pub(super) struct NewRow {
    /// `(column, value)` the row is found by after the insert: the first key, else the DOI
    /// (lowercased).
    found_by: (bool, String),
    pub(super) values: Vec<Value>,
    lists: Vec<Vec<String>>,
    credits: Vec<(i64, String)>,
}

/// The natural keys of a publication or dataset entry: (first key, lowercased DOI).
fn keys(input: &Input) -> (Option<String>, Option<String>) {
    match input {
        Input::Publication(p) => (p.ncj_number.clone(), p.doi.as_deref().map(doi_key)),
        Input::Dataset(d) => (d.study_number.clone(), d.doi.as_deref().map(doi_key)),
        _ => (None, None),
    }
}

/// Which of `firsts` (in `column`) and `dois` (lowercased) exist in `table`.
async fn existing_keys(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    firsts: &[String],
    dois: &[String],
) -> Result<(HashSet<String>, HashSet<String>), ImportError> {
    let mut found = (HashSet::new(), HashSet::new());
    if firsts.is_empty() && dois.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(txn.get_database_backend());
    let doi = doi_key_sql(txn.get_database_backend(), "doi");
    let select = format!("SELECT {column} AS k, {doi} AS d FROM {table}");
    by_key_or_doi(&mut sql, &select, column, firsts.to_vec(), dois.to_vec());
    for row in txn.query_all_raw(sql.build()).await? {
        if let Some(k) = row.try_get::<Option<String>>("", "k")? {
            found.0.insert(k);
        }
        if let Some(d) = row.try_get::<Option<String>>("", "d")? {
            found.1.insert(d);
        }
    }
    Ok(found)
}

/// A batch of publications or datasets.
pub(super) async fn write(
    txn: &DatabaseTransaction,
    vectors: &mut SearchVectors,
    indexes: &mut DeferredIndexes,
    entries: Vec<Entry>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let shape = match entries[0].input {
        Input::Publication(_) => &PUBLICATION,
        _ => &DATASET,
    };
    let keys: Vec<_> = entries.iter().map(|e| keys(&e.input)).collect();
    let mut seen: HashMap<(bool, &str), usize> = HashMap::new();
    for (first, doi) in &keys {
        if let Some(k) = first {
            *seen.entry((true, k)).or_default() += 1;
        }
        if let Some(d) = doi {
            *seen.entry((false, d)).or_default() += 1;
        }
    }
    let firsts: Vec<String> = keys.iter().filter_map(|k| k.0.clone()).collect();
    let dois: Vec<String> = keys.iter().filter_map(|k| k.1.clone()).collect();
    let (known_firsts, known_dois) =
        existing_keys(txn, shape.table.name(), shape.key, &firsts, &dois).await?;
    let mut pending: Vec<NewRow> = Vec::new();
    for (entry, (first, doi)) in entries.into_iter().zip(keys.iter()) {
        let new = (first.is_some() || doi.is_some())
            && first
                .as_ref()
                .is_none_or(|k| seen[&(true, k.as_str())] == 1 && !known_firsts.contains(k))
            && doi
                .as_ref()
                .is_none_or(|d| seen[&(false, d.as_str())] == 1 && !known_dois.contains(d));
        if !new {
            write_new(
                txn,
                vectors,
                indexes,
                shape,
                std::mem::take(&mut pending),
                summary,
            )
            .await?;
            one(txn, entry, summary).await?;
            continue;
        }
        let found_by = match (first, doi) {
            (Some(k), _) => (true, k.clone()),
            (None, Some(d)) => (false, d.clone()),
            (None, None) => unreachable!("checked above"),
        };
        let row = new_row(txn, &entry, found_by)
            .await
            .map_err(|err| entry.error(err))?;
        pending.push(row);
    }
    write_new(txn, vectors, indexes, shape, pending, summary).await
}

/// Checks a new record as the per-record path would, and lays out its values.
async fn new_row(
    txn: &DatabaseTransaction,
    entry: &Entry,
    found_by: (bool, String),
) -> Result<NewRow, UpsertError> {
    match &entry.input {
        Input::Publication(p) => p.check_lengths()?,
        Input::Dataset(d) => d.check_lengths()?,
        _ => {}
    }
    let (values, lists, producers): (Vec<Value>, Vec<Vec<String>>, _) = match &entry.input {
        Input::Publication(p) => {
            let date = p.published_on;
            (
                vec![
                    p.ncj_number.clone().into(),
                    p.doi.clone().into(),
                    p.title.to_lowercase().into(),
                    p.title.clone().into(),
                    p.subtitle.clone().into(),
                    p.publication_type.clone().into(),
                    date.map(|d| d.year).into(),
                    date.and_then(|d| d.month).into(),
                    date.and_then(|d| d.day).into(),
                    date.map(|d| d.key()).into(),
                    p.abstract_text.clone().into(),
                    p.physical_description.clone().into(),
                    p.place_of_production.clone().into(),
                    p.language.clone().into(),
                    p.url.clone().into(),
                    p.synthetic.into(),
                ],
                vec![
                    upsert::stored_list(&p.authors),
                    upsert::stored_list(&p.subjects),
                ],
                &p.producers,
            )
        }
        Input::Dataset(d) => {
            if let (Some(start), Some(end)) = d.time_period
                && start > end
            {
                return Err(invalid(
                    "timePeriod",
                    format!("start {start} is after end {end}"),
                ));
            }
            let date = d.released_on;
            (
                vec![
                    d.study_number.clone().into(),
                    d.doi.clone().into(),
                    d.title.to_lowercase().into(),
                    d.title.clone().into(),
                    d.summary.clone().into(),
                    d.time_period.0.into(),
                    d.time_period.1.into(),
                    date.map(|d| d.year).into(),
                    date.and_then(|d| d.month).into(),
                    date.and_then(|d| d.day).into(),
                    date.map(|d| d.key()).into(),
                    d.version.clone().into(),
                    d.series.clone().into(),
                    d.url.clone().into(),
                    d.synthetic.into(),
                ],
                vec![
                    upsert::stored_list(&d.subjects),
                    upsert::stored_list(&d.geographic_coverage),
                    upsert::stored_list(&d.data_types),
                ],
                &d.producers,
            )
        }
        _ => unreachable!("publications and datasets only"),
    };
    let mut credits: Vec<(i64, String)> = Vec::with_capacity(producers.len());
    for (i, credit) in producers.iter().enumerate() {
        let producer =
            upsert::resolve_producer(txn, &format!("producers[{i}].producer"), &credit.producer)
                .await?;
        if !credits
            .iter()
            .any(|(id, role)| *id == producer.id && *role == credit.role)
        {
            credits.push((producer.id, credit.role.clone()));
        }
    }
    Ok(NewRow {
        found_by,
        values,
        lists,
        credits,
    })
}

/// The title and body the search index holds for a new row (what `search::refresh` reads back).
fn search_text(shape: &Shape, row: &NewRow) -> (String, String) {
    search::indexed_strings(shape.table, |source| {
        if let Some(at) = shape.columns.iter().position(|c| *c == source) {
            return search::Text::Column(match &row.values[at] {
                Value::String(Some(text)) => Some(text.as_str()),
                Value::String(None) => None,
                other => unreachable!("indexed column {source} holds {other:?}"),
            });
        }
        let at = shape
            .lists
            .iter()
            .position(|(list, _)| *list == source)
            .unwrap_or_else(|| unreachable!("indexed list {source} is not stored"));
        search::Text::List(&row.lists[at])
    })
}

/// Inserts brand-new rows, their lists, credits and search entries.
async fn write_new(
    txn: &DatabaseTransaction,
    vectors: &mut SearchVectors,
    indexes: &mut DeferredIndexes,
    shape: &Shape,
    rows: Vec<NewRow>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let table = shape.table.name();
    let texts: Vec<(String, String)> = rows.iter().map(|row| search_text(shape, row)).collect();
    // The rows, each with its search vector on PostgreSQL; the new ids come back by the key
    // each row was inserted with.
    let returning = format!(
        " RETURNING id, {} AS k, {} AS d",
        shape.key,
        doi_key_sql(backend, "doi")
    );
    let results = if postgres {
        vectors
            .insert(txn, shape, &rows, &texts, &returning)
            .await?
    } else {
        let mut results = Vec::new();
        let values = rows.iter().map(|row| row.values.iter().cloned());
        for mut statement in insert_rows(backend, table, shape.columns, values) {
            statement.sql.push_str(&returning);
            results.push(txn.query_all_raw(statement).await?);
        }
        results
    };
    let mut ids_by_key: HashMap<(bool, String), i64> = HashMap::with_capacity(rows.len());
    for result in results {
        for row in result {
            let id: i64 = row.try_get("", "id")?;
            if let Some(k) = row.try_get::<Option<String>>("", "k")? {
                ids_by_key.insert((true, k), id);
            }
            if let Some(d) = row.try_get::<Option<String>>("", "d")? {
                ids_by_key.insert((false, d), id);
            }
        }
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = ids_by_key.get(&row.found_by).copied().ok_or_else(|| {
            sea_orm::DbErr::Custom(format!("inserted {table} \"{}\" not found", row.found_by.1))
        })?;
        ids.push(id);
    }
    for (list, (list_table, owner)) in shape.lists.iter().enumerate() {
        let values = rows.iter().zip(&ids).flat_map(|(row, id)| {
            row.lists[list]
                .iter()
                .enumerate()
                .map(move |(position, value)| {
                    (
                        Value::from(*id),
                        Value::from(position as i32),
                        Value::from(value.clone()),
                    )
                })
        });
        insert_triples(
            txn,
            list_table,
            &[
                (owner, "bigint"),
                ("position", "integer"),
                ("value", "text"),
            ],
            values,
        )
        .await?;
    }
    let (credit_table, owner) = shape.credits;
    let credits = rows.iter().zip(&ids).flat_map(|(row, id)| {
        row.credits.iter().map(move |(producer, role)| {
            (
                Value::from(*id),
                Value::from(*producer),
                Value::from(role.clone()),
            )
        })
    });
    insert_triples(
        txn,
        credit_table,
        &[
            (owner, "bigint"),
            ("producer_id", "bigint"),
            ("role", "text"),
        ],
        credits,
    )
    .await?;
    if !postgres {
        let entries: Vec<(i64, String, String)> = ids
            .iter()
            .zip(texts)
            .map(|(id, (title, body))| (*id, title, body))
            .collect();
        search::insert_many(txn, shape.table, &entries).await?;
    }
    // The record's table, its lists and credits: their rows arrive in the order of new ids,
    // and a record without natural keys is found again by its title.
    let mut tables = vec![table];
    tables.extend(shape.lists.iter().map(|(list_table, _)| *list_table));
    tables.push(credit_table);
    let group = Group {
        tables: &tables,
        kept: &["id", owner, "title_key"],
    };
    indexes.inserted(txn, &group, rows.len()).await?;
    match shape.table {
        Table::Publication => summary.publications += rows.len(),
        _ => summary.datasets += rows.len(),
    }
    Ok(())
}
