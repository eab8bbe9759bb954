//! Links between publications and datasets, and finding (else briefly creating) the linked
//! works for link importers that describe them only in passing.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr};

use super::{
    DatasetInput, KeyInput, KeylessSeen, LinkInput, LinkValue, PublicationInput, Result, dataset,
    invalid, publication,
};
use crate::db::entities::{dataset, publication, publication_dataset};
use crate::db::lookup;
use crate::db::pages::Table;
use crate::db::sql::Sql;
use crate::graphql::types::common::RelationType;

/// Inserts or updates the link between an existing publication and dataset.
pub async fn link(txn: &DatabaseTransaction, input: LinkInput) -> Result<bool> {
    let publication = keyed::<publication::Model>(txn, &input.publication, "publication").await?;
    let dataset = keyed::<dataset::Model>(txn, &input.dataset, "dataset").await?;
    link_ids(
        txn,
        publication,
        dataset,
        Some(input.relation_type),
        input.source,
        input.linked_on,
    )
    .await
}

/// The id of the record `key` names (`what`: "publication" or "dataset"): by a natural key,
/// or by URL among the records without one, where it must name one record.
async fn keyed<R: crate::db::entities::Record>(
    txn: &DatabaseTransaction,
    key: &KeyInput,
    what: &str,
) -> Result<i64> {
    let field = format!("{what}.{}", key.field);
    if key.column != "url" {
        return match lookup::by_key::<R>(txn, key.column, &key.value).await? {
            Some(row) => Ok(row.id()),
            None => Err(invalid(field, format!("no {what} \"{}\"", key.value))),
        };
    }
    let first_key = match R::TABLE {
        Table::Publication => "ncj_number",
        _ => "study_number",
    };
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push(&format!(
        "SELECT id FROM {} WHERE {first_key} IS NULL AND doi IS NULL AND url = ",
        R::TABLE.name()
    ))
    .bind(key.value.clone())
    .push(" ORDER BY id LIMIT 2");
    let ids = txn
        .query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(invalid(
            field,
            format!(
                "no {what} without a natural key has the URL \"{}\"",
                key.value
            ),
        )),
        _ => Err(invalid(
            field,
            format!(
                "several {what}s without a natural key have the URL \"{}\"; link them by another key",
                key.value
            ),
        )),
    }
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
        // A reference, not a record of its own: found again as any other reference is.
        None => publication(txn, input, &mut KeylessSeen::default()).await,
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
        None => dataset(txn, input, &mut KeylessSeen::default()).await,
    }
}

/// The id of the first record matching one of `keys` (in order), else the record with exactly
/// this `url` (only among records without a DOI when a DOI key was given, so that a URL never
/// lands on a work with another DOI), records without natural keys first: an export names
/// those by their URL, and its re-import linked a keyed work sharing that URL instead. Several
/// records of the first kind sharing the URL are an error (as for a native link by URL): the
/// oldest was taken, a link to another work silently.
async fn first_match<R: crate::db::entities::Record>(
    txn: &DatabaseTransaction,
    keys: &[(&'static str, Option<&str>)],
    url: Option<&str>,
) -> Result<Option<i64>> {
    for (column, value) in keys {
        let Some(value) = value else { continue };
        if let Some(row) = lookup::by_key::<R>(txn, column, value).await? {
            // A DOI naming a work with another number than the side gives is an error, as
            // in a native record: the link was made to the DOI's work silently.
            if *column == "doi" {
                let number = keys
                    .iter()
                    .find(|(column, _)| *column != "doi")
                    .and_then(|(_, number)| *number);
                super::records::refuse_another_number(
                    txn,
                    R::TABLE,
                    Some((row.id(), "doi")),
                    number,
                )
                .await?;
            }
            return Ok(Some(row.id()));
        }
    }
    let Some(url) = url else { return Ok(None) };
    let has_doi = keys
        .iter()
        .any(|(column, value)| *column == "doi" && value.is_some());
    let number = match R::TABLE {
        Table::Publication => "ncj_number",
        _ => "study_number",
    };
    // 0 for a record without natural keys, 1 for one with keys.
    let keyed = format!("CASE WHEN doi IS NULL AND {number} IS NULL THEN 0 ELSE 1 END");
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push(&format!("SELECT id, {keyed} AS keyed FROM "))
        .push(R::TABLE.name())
        .push(" WHERE url = ")
        .bind(url.to_owned());
    if has_doi {
        sql.push(" AND doi IS NULL");
    }
    sql.push(&format!(" ORDER BY {keyed}, id LIMIT 2"));
    let sql = sql.build();
    let rows = txn.query_all_raw(sql).await?;
    let found = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64>("", "id")?,
                row.try_get::<i32>("", "keyed")?,
            ))
        })
        .collect::<std::result::Result<Vec<_>, DbErr>>()?;
    match found.as_slice() {
        [] => Ok(None),
        [(_, first), (_, second)] if first == second => {
            let what = match R::TABLE {
                Table::Publication => "publications",
                _ => "datasets",
            };
            let which = if *first == 0 {
                "without a natural key"
            } else {
                "with other keys"
            };
            Err(invalid(
                "url",
                format!(
                    "several {what} {which} have the URL \"{url}\"; name the work by a DOI or number"
                ),
            ))
        }
        [(id, _), ..] => Ok(Some(*id)),
    }
}

/// [`link`] between records already found by id: inserts the link, or updates its relation
/// type, source and date where given (a new link without a relation type is
/// `IS_RELATED_TO`). Returns whether it is new.
pub async fn link_ids(
    txn: &DatabaseTransaction,
    publication_id: i64,
    dataset_id: i64,
    relation_type: Option<String>,
    source: LinkValue<String>,
    linked_on: LinkValue<chrono::NaiveDate>,
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
        relation_type: match relation_type {
            Some(relation_type) => Set(relation_type),
            None if exists => NotSet,
            None => Set(RelationType::IsRelatedTo.as_db().to_owned()),
        },
        source: source.map_or(NotSet, Set),
        linked_on: linked_on.map_or(NotSet, Set),
    };
    if exists {
        model.update(txn).await?;
    } else {
        model.insert(txn).await?;
    }
    Ok(!exists)
}
