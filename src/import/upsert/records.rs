//! Publications and datasets: inserting or updating a record found by its natural keys (or
//! written to the row a [`Target`] names), with its lists and producer credits.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction};

use super::lists::{replace_credits, replace_list, resolve_credits};
use super::{CreditInput, DatasetInput, PublicationInput, Result, Target, invalid};
use crate::db::entities::{CreditTable, ValueList, dataset, publication};
use crate::db::lookup;
use crate::db::pages::Table;
use crate::db::search;
use crate::db::sql::Sql;

/// Inserts or updates a publication found by NCJ number, else by DOI; one with neither key is
/// found as [`keyless_match`] says, past the records `seen` says its run already wrote.
pub async fn publication(
    txn: &DatabaseTransaction,
    input: PublicationInput,
    seen: &mut KeylessSeen,
) -> Result<(i64, bool)> {
    let keyed = input.ncj_number.is_some() || input.doi.is_some();
    let (title, url, credits) = (&input.title, input.url.as_deref(), &input.producers);
    let again = found_again(txn, Table::Publication, keyed, title, url, credits, seen).await?;
    let (id, created) = publication_to(txn, input, Target::ByKey(again.found)).await?;
    seen.wrote(again.identity, id);
    Ok((id, created))
}

/// [`publication()`] written to `target`.
pub async fn publication_to(
    txn: &DatabaseTransaction,
    input: PublicationInput,
    target: Target,
) -> Result<(i64, bool)> {
    if input.ncj_number.is_none() && input.doi.is_none() && input.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    input.check_lengths()?;
    let existing = find_existing::<publication::Model>(
        txn,
        &[
            ("ncjNumber", "ncj_number", input.ncj_number.as_deref()),
            ("doi", "doi", input.doi.as_deref()),
        ],
    )
    .await?;
    if matches!(target, Target::ByKey(_)) {
        refuse_another_number(
            txn,
            Table::Publication,
            existing,
            input.ncj_number.as_deref(),
        )
        .await?;
    }
    let existing = target.row(existing, "publication")?;
    let keep = keeps_omitted_keys(target, existing);
    let credits = resolve_credits(txn, &input.producers).await?;
    let date = input.published_on;
    let model = publication::ActiveModel {
        id: existing.map_or(NotSet, Set),
        ncj_number: key_value(input.ncj_number, keep),
        doi: key_value(input.doi, keep),
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

/// Inserts or updates a dataset found by study number, else by DOI; one with neither key is
/// found as [`keyless_match`] says, past the records `seen` says its run already wrote.
pub async fn dataset(
    txn: &DatabaseTransaction,
    input: DatasetInput,
    seen: &mut KeylessSeen,
) -> Result<(i64, bool)> {
    let keyed = input.study_number.is_some() || input.doi.is_some();
    let (title, url, credits) = (&input.title, input.url.as_deref(), &input.producers);
    let again = found_again(txn, Table::Dataset, keyed, title, url, credits, seen).await?;
    let (id, created) = dataset_or(txn, input, again.found).await?;
    seen.wrote(again.identity, id);
    Ok((id, created))
}

/// Whether an import's record updating a stored one keeps the natural keys it leaves out.
/// Keys are what later records and links find a work by: a record found by its DOI that omits
/// the NCJ number another source gave (a Scholix dump, an NCJRS file) cleared it, and the next
/// run of the same file no longer found the work by that number. An API update (`Row`) edits
/// a key like any other field.
fn keeps_omitted_keys(target: Target, existing: Option<i64>) -> bool {
    matches!(target, Target::ByKey(_)) && existing.is_some()
}

/// Refuses an imported record whose DOI finds a work that has another NCJ or study number
/// than the record's `number`: the number replaced the stored one, so the work was no longer
/// found by the number another source had given it, and that source's links failed. (A DOI
/// may change: a work found by its number takes the record's DOI, a new version's.) An API
/// update changes a number on purpose.
pub(super) async fn refuse_another_number(
    txn: &DatabaseTransaction,
    table: Table,
    existing: Option<(i64, &'static str)>,
    number: Option<&str>,
) -> Result<()> {
    let (Some((id, "doi")), Some(number)) = (existing, number) else {
        return Ok(());
    };
    let (column, field, prefix) = match table {
        Table::Publication => ("ncj_number", "ncjNumber", "NCJ"),
        _ => ("study_number", "studyNumber", "ICPSR"),
    };
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push(&format!(
        "SELECT {column} AS k FROM {} WHERE id = ",
        table.name()
    ))
    .bind(id);
    let stored = match txn.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get::<Option<String>>("", "k")?,
        None => None,
    };
    match stored {
        Some(stored) if stored != number => Err(invalid(
            field,
            format!(
                "\"{number}\" differs from {prefix} {stored}, the number of the work its doi \
                 names; one work keeps one number (change it through the API if it is wrong)"
            ),
        )),
        _ => Ok(()),
    }
}

/// A natural key column's new value: the given one, else (with `keep`) the stored one.
fn key_value(value: Option<String>, keep: bool) -> sea_orm::ActiveValue<Option<String>> {
    match value {
        None if keep => NotSet,
        value => Set(value),
    }
}

/// What identifies a record that has no natural key.
pub struct Keyless<'a> {
    pub title: &'a str,
    /// Only records newer than this id (0: any).
    pub newer_than: i64,
    /// `Some(url)`: the record's URL, compared too (`Some(None)`: it has none); `None`: not
    /// compared.
    pub url: Option<Option<&'a str>>,
    pub credits: KeylessCredits<'a>,
}

/// Which credits a record without keys must have to be found again.
pub enum KeylessCredits<'a> {
    /// Whatever its credits.
    Any,
    /// Credited to this producer, in any role (a catalog's publisher).
    To(i64),
    /// Exactly these credits `(producer, role)`, no more and no fewer: a native record's
    /// credits are part of what it is. They were compared by the first credit in producer id
    /// order, which an export → import renumbers, so two records merged; and a record
    /// without credits found any record of its title.
    Exactly(&'a [(i64, String)]),
}

/// What finds a record without natural keys again: its table, title, URL and credits
/// (`(producer, role)`, sorted).
type KeylessIdentity = (Table, String, Option<String>, Vec<(i64, String)>);

/// The records without natural keys an import run has written, by what finds them again: the
/// newest id each identity was given. Every line of a run is a record of its own, so a later
/// line is found again only as a record newer than those the run wrote under its identity:
/// the n-th such line of a file is the n-th oldest such record. Two reports "Annual Report" of
/// 2005 and 2006, credited alike, without keys or URLs, were one record (the later line
/// overwrote the earlier); an export of two identical records came back as one. Re-importing
/// the file finds each line's record again, in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeylessSeen(std::collections::HashMap<KeylessIdentity, i64>);

impl KeylessSeen {
    /// Notes that the record `identity` finds again (a record without keys) is `id`.
    fn wrote(&mut self, identity: Option<KeylessIdentity>, id: i64) {
        if let Some(identity) = identity {
            let newest = self.0.entry(identity).or_default();
            *newest = (*newest).max(id);
        }
    }

    /// What `other` (a later part of the same run) wrote, added.
    pub fn extend(&mut self, other: KeylessSeen) {
        for (identity, id) in other.0 {
            self.wrote(Some(identity), id);
        }
    }
}

/// A record found again by [`found_again`].
struct FoundAgain {
    /// The record to update, when one is found.
    found: Option<i64>,
    /// What found it (a record without keys): noted in [`KeylessSeen`] once it is written.
    identity: Option<KeylessIdentity>,
}

/// A native record without keys (`keyed` false) found again by [`keyless_match`]: its title,
/// URL and credits, newer than any record of that identity its run wrote already (`seen`). A
/// record with a key is found by it instead: nothing.
async fn found_again(
    txn: &DatabaseTransaction,
    table: Table,
    keyed: bool,
    title: &str,
    url: Option<&str>,
    credits: &[CreditInput],
    seen: &KeylessSeen,
) -> Result<FoundAgain> {
    if keyed {
        return Ok(FoundAgain {
            found: None,
            identity: None,
        });
    }
    let mut resolved = resolve_credits(txn, credits).await?;
    resolved.sort();
    resolved.dedup();
    let identity = (table, title.to_owned(), url.map(str::to_owned), resolved);
    let keyless = Keyless {
        title,
        newer_than: seen.0.get(&identity).copied().unwrap_or(0),
        url: Some(url),
        credits: KeylessCredits::Exactly(&identity.3),
    };
    let found = keyless_match(txn, table, keyless).await?;
    Ok(FoundAgain {
        found,
        identity: Some(identity),
    })
}

/// The oldest record of `table` without any natural key that has `keyless`'s title (and URL,
/// and credits), newer than `keyless.newer_than`: how a record without keys is found again, so
/// that importing it twice (a file, or an export of records a catalog gave no key) changes
/// nothing.
pub async fn keyless_match(
    txn: &DatabaseTransaction,
    table: Table,
    keyless: Keyless<'_>,
) -> Result<Option<i64>> {
    let (keys, credits, owner) = match table {
        Table::Publication => (
            "ncj_number IS NULL AND r.doi IS NULL",
            "publication_producer",
            "publication_id",
        ),
        _ => (
            "study_number IS NULL AND r.doi IS NULL",
            "dataset_producer",
            "dataset_id",
        ),
    };
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT r.id AS id FROM ")
        .push(table.name())
        .push(" r WHERE r.")
        .push(keys)
        .push(" AND r.title_key = ")
        .bind(keyless.title.to_lowercase())
        .push(" AND r.title = ")
        .bind(keyless.title.to_owned());
    if keyless.newer_than > 0 {
        sql.push(" AND r.id > ").bind(keyless.newer_than);
    }
    match keyless.url {
        Some(Some(url)) => {
            sql.push(" AND r.url = ").bind(url.to_owned());
        }
        Some(None) => {
            sql.push(" AND r.url IS NULL");
        }
        None => {}
    }
    let credited = format!(" AND EXISTS (SELECT 1 FROM {credits} c WHERE c.{owner} = r.id");
    match keyless.credits {
        KeylessCredits::Any => {}
        KeylessCredits::To(producer) => {
            sql.push(&credited)
                .push(" AND c.producer_id = ")
                .bind(producer)
                .push(")");
        }
        KeylessCredits::Exactly(exactly) => {
            sql.push(&format!(
                " AND (SELECT COUNT(*) FROM {credits} c WHERE c.{owner} = r.id) = "
            ))
            .bind(exactly.len() as i64);
            for (producer, role) in exactly {
                sql.push(&credited)
                    .push(" AND c.producer_id = ")
                    .bind(*producer)
                    .push(" AND c.role = ")
                    .bind(role.clone())
                    .push(")");
            }
        }
    }
    sql.push(" ORDER BY r.id LIMIT 1");
    match txn.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(row.try_get::<i64>("", "id")?)),
        None => Ok(None),
    }
}

/// [`dataset()`] for importers with their own rule for records that have no natural key (see
/// `dcat`): when neither key matches, the dataset `fallback` (found by that rule) is updated
/// instead of a new one inserted.
pub async fn dataset_or(
    txn: &DatabaseTransaction,
    input: DatasetInput,
    fallback: Option<i64>,
) -> Result<(i64, bool)> {
    dataset_to(txn, input, Target::ByKey(fallback)).await
}

/// [`dataset()`] written to `target`.
pub async fn dataset_to(
    txn: &DatabaseTransaction,
    input: DatasetInput,
    target: Target,
) -> Result<(i64, bool)> {
    // As for publications: a dataset without keys is found by its title (a Scholix side
    // known only by an NCJ number made one untitled dataset that every such link shared).
    if input.study_number.is_none() && input.doi.is_none() && input.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    input.check_lengths()?;
    let existing = find_existing::<dataset::Model>(
        txn,
        &[
            ("studyNumber", "study_number", input.study_number.as_deref()),
            ("doi", "doi", input.doi.as_deref()),
        ],
    )
    .await?;
    if matches!(target, Target::ByKey(_)) {
        refuse_another_number(txn, Table::Dataset, existing, input.study_number.as_deref()).await?;
    }
    let existing = target.row(existing, "dataset")?;
    let keep = keeps_omitted_keys(target, existing);
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
        study_number: key_value(input.study_number, keep),
        doi: key_value(input.doi, keep),
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
