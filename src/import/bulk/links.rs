//! Batches of links: both ends found by their natural keys in two statements, new pairs
//! inserted at once, stored pairs updated in place.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::super::Summary;
use super::super::native::{ImportError, Input};
use super::super::upsert::{self, invalid};
use super::deferred_indexes::{DeferredIndexes, Group};
use super::statements::{by_key_or_doi, insert_columns, push_in};
use super::{Entry, one};
use crate::db::lookup::{doi_key, doi_key_sql};
use crate::db::sql::Sql;

/// A link's resolved works and values.
struct LinkRow {
    publication: i64,
    dataset: i64,
    relation_type: String,
    source: Option<String>,
    linked_on: Option<chrono::NaiveDate>,
}

/// Ids of the records of `table` named by `keys` (`(column, value)`, DOIs lowercased).
async fn ids_for(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    keys: &[(bool, String)],
) -> Result<HashMap<(bool, String), i64>, ImportError> {
    let mut found = HashMap::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(txn.get_database_backend());
    let doi = doi_key_sql(txn.get_database_backend(), "doi");
    let select = format!("SELECT id, {column} AS k, {doi} AS d FROM {table}");
    let firsts = keys.iter().filter(|k| k.0).map(|k| k.1.clone()).collect();
    let dois = keys.iter().filter(|k| !k.0).map(|k| k.1.clone()).collect();
    by_key_or_doi(&mut sql, &select, column, firsts, dois);
    for row in txn.query_all_raw(sql.build()).await? {
        let id: i64 = row.try_get("", "id")?;
        if let Some(k) = row.try_get::<Option<String>>("", "k")? {
            found.insert((true, k), id);
        }
        if let Some(d) = row.try_get::<Option<String>>("", "d")? {
            found.insert((false, d), id);
        }
    }
    Ok(found)
}

fn link_key(key: &upsert::KeyInput) -> (bool, String) {
    if key.column == "doi" {
        (false, doi_key(&key.value))
    } else {
        (true, key.value.clone())
    }
}

/// A batch of links.
pub(super) async fn write(
    txn: &DatabaseTransaction,
    indexes: &mut DeferredIndexes,
    entries: Vec<Entry>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let inputs: Vec<&upsert::LinkInput> = entries
        .iter()
        .map(|e| match &e.input {
            Input::Link(link) => link,
            _ => unreachable!("a batch holds one record type"),
        })
        .collect();
    // A link naming a record by URL (one without natural keys): record by record.
    if inputs
        .iter()
        .any(|l| l.publication.column == "url" || l.dataset.column == "url")
    {
        for entry in entries {
            one(txn, entry, summary).await?;
        }
        return Ok(());
    }
    let publication_keys: Vec<_> = inputs.iter().map(|l| link_key(&l.publication)).collect();
    let dataset_keys: Vec<_> = inputs.iter().map(|l| link_key(&l.dataset)).collect();
    let publications = ids_for(txn, "publication", "ncj_number", &publication_keys).await?;
    let datasets = ids_for(txn, "dataset", "study_number", &dataset_keys).await?;
    let mut rows = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let link = inputs[i];
        let publication = publications.get(&publication_keys[i]).ok_or_else(|| {
            entry.error(invalid(
                format!("publication.{}", link.publication.field),
                format!("no publication \"{}\"", link.publication.value),
            ))
        })?;
        let dataset = datasets.get(&dataset_keys[i]).ok_or_else(|| {
            entry.error(invalid(
                format!("dataset.{}", link.dataset.field),
                format!("no dataset \"{}\"", link.dataset.value),
            ))
        })?;
        rows.push(LinkRow {
            publication: *publication,
            dataset: *dataset,
            relation_type: link.relation_type.clone(),
            // Native links give every value (see `native::line`).
            source: link.source.clone().flatten(),
            linked_on: link.linked_on.flatten(),
        });
    }
    // The pairs already stored.
    let mut stored: HashSet<(i64, i64)> = HashSet::new();
    {
        // By publication only (a pair list would make SQLite probe every combination); the
        // few other links of these publications are dropped here.
        let pairs: HashSet<(i64, i64)> = rows.iter().map(|r| (r.publication, r.dataset)).collect();
        let publication_ids: HashSet<i64> = pairs.iter().map(|p| p.0).collect();
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT publication_id, dataset_id FROM publication_dataset WHERE ");
        push_in(&mut sql, "publication_id", "bigint", publication_ids);
        for row in txn.query_all_raw(sql.build()).await? {
            let pair = (
                row.try_get("", "publication_id")?,
                row.try_get("", "dataset_id")?,
            );
            if pairs.contains(&pair) {
                stored.insert(pair);
            }
        }
    }
    // New pairs in first-seen order, each with its last values (a repeat updates the first).
    let mut new: Vec<LinkRow> = Vec::new();
    let mut new_at: HashMap<(i64, i64), usize> = HashMap::new();
    for row in rows {
        let pair = (row.publication, row.dataset);
        if stored.contains(&pair) {
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push("UPDATE publication_dataset SET relation_type = ")
                .bind(row.relation_type)
                .push(", source = ")
                .bind(row.source)
                .push(", linked_on = ")
                .bind(row.linked_on)
                .push(" WHERE publication_id = ")
                .bind(row.publication)
                .push(" AND dataset_id = ")
                .bind(row.dataset);
            txn.execute_raw(sql.build()).await?;
        } else if let Some(&at) = new_at.get(&pair) {
            new[at] = row;
        } else {
            new_at.insert(pair, new.len());
            new.push(row);
        }
    }
    let values: Vec<[Value; 5]> = new
        .iter()
        .map(|row| {
            [
                Value::from(row.publication),
                Value::from(row.dataset),
                Value::from(row.relation_type.clone()),
                Value::from(row.source.clone()),
                Value::from(row.linked_on),
            ]
        })
        .collect();
    let columns = [
        ("publication_id", "bigint"),
        ("dataset_id", "bigint"),
        ("relation_type", "text"),
        ("source", "text"),
        ("linked_on", "date"),
    ];
    insert_columns(txn, "publication_dataset", &columns, &values).await?;
    // Links arrive in no order: every index but the pairs' own (unique) may wait.
    let group = Group {
        tables: &["publication_dataset"],
        kept: &[],
    };
    indexes.inserted(txn, &group, new.len()).await?;
    summary.links += new.len();
    Ok(())
}
