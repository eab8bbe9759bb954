//! The native export: JSON Lines exactly as `docs/import-format.md` describes them — producers
//! parents first (each naming its parent by path from the root), then publications, datasets
//! and links — so that importing the file into an empty database rebuilds the same graph.
//!
//! Unknown values and empty lists are left out (the format reads both as unknown/empty);
//! `synthetic` is written only when true. Records without a natural key are written (an import
//! finds them again by title, URL and credits); a link names such a record by
//! its URL when no other such record has it, and is skipped otherwise (counted in
//! [`ExportSummary::skipped_links`]).

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use super::{
    ExportError, ExportOptions, ExportSummary, count_ambiguous_producers, page_after, partial_date,
    producer_paths, producers_by_depth, warn_about, write_line,
};
use crate::db::entities::{CreditTable, ValueList, dataset, publication};
use crate::db::rows;
use crate::db::sql::Sql;
use crate::db::{Db, snapshot};

#[derive(Serialize)]
struct ProducerLine<'a> {
    #[serde(rename = "type")]
    record: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    abbreviation: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
}

#[derive(Serialize)]
struct CreditLine {
    producer: String,
    role: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicationLine<'a> {
    #[serde(rename = "type")]
    record: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ncj_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doi: Option<&'a str>,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subtitle: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publication_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published_on: Option<String>,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    abstract_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    place_of_production: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subjects: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    producers: Vec<CreditLine>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    synthetic: bool,
}

#[derive(Serialize)]
struct YearRangeLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasetLine<'a> {
    #[serde(rename = "type")]
    record: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    study_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doi: Option<&'a str>,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_period: Option<YearRangeLine>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    geographic_coverage: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    released_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    series: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data_types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subjects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    producers: Vec<CreditLine>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    synthetic: bool,
}

/// A record's one natural key, as a link names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum KeyLine<'a> {
    NcjNumber(&'a str),
    StudyNumber(&'a str),
    Doi(&'a str),
    /// A record without natural keys, by a URL no other such record has.
    Url(&'a str),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkLine<'a> {
    #[serde(rename = "type")]
    record: &'static str,
    publication: KeyLine<'a>,
    dataset: KeyLine<'a>,
    relation_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linked_on: Option<String>,
}

/// Writes the whole graph in the native format (pages of [`super::DEFAULT_PAGE_SIZE`] rows).
pub async fn write_native(db: &Db, out: &mut impl Write) -> Result<ExportSummary, ExportError> {
    write_native_with(db, &ExportOptions::default(), out).await
}

/// [`write_native`] with options.
pub async fn write_native_with(
    db: &Db,
    options: &ExportOptions,
    out: &mut impl Write,
) -> Result<ExportSummary, ExportError> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let txn = snapshot(&db.conn).await?;
    let mut summary = ExportSummary {
        ambiguous_producers: count_ambiguous_producers(&txn).await?,
        ..Default::default()
    };
    producers(&txn, options.page_size, &mut out, &mut summary).await?;
    publications(&txn, options.page_size, &mut out, &mut summary).await?;
    datasets(&txn, options.page_size, &mut out, &mut summary).await?;
    links(&txn, options.page_size, &mut out, &mut summary).await?;
    txn.commit().await?;
    out.flush()?;
    warn_about(&summary);
    Ok(summary)
}

async fn producers(
    conn: &impl ConnectionTrait,
    page_size: usize,
    out: &mut impl Write,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let mut after = (-1, 0);
    loop {
        let page = producers_by_depth(conn, after, page_size).await?;
        let Some((depth, last)) = page.last() else {
            break;
        };
        after = (*depth, last.id);
        let ids: Vec<i64> = page.iter().map(|(_, p)| p.id).collect();
        let mut aliases = rows::value_lists(conn, ValueList::ProducerAliases, &ids).await?;
        let paths = producer_paths(conn, page.iter().map(|(_, p)| p)).await?;
        for (_, producer) in &page {
            let parent = match producer.parent_id {
                Some(_) => paths
                    .get(&producer.id)
                    .and_then(|path| path.rsplit_once(" > "))
                    .map(|(parent, _)| parent.to_owned()),
                None => None,
            };
            write_line(
                out,
                &ProducerLine {
                    record: "producer",
                    name: &producer.name,
                    abbreviation: producer.abbreviation.as_deref(),
                    aliases: aliases.remove(&producer.id).unwrap_or_default(),
                    kind: producer.kind.as_deref(),
                    location: producer.location.as_deref(),
                    url: producer.url.as_deref(),
                    parent,
                },
            )?;
            summary.producers += 1;
        }
        if page.len() < page_size {
            break;
        }
    }
    let total = count(conn, "producer").await?;
    summary.unreachable_producers = total.saturating_sub(summary.producers);
    Ok(())
}

/// Each owner's credits as producer paths and roles (credits of producers without a path are
/// dropped and counted).
async fn credits(
    conn: &impl ConnectionTrait,
    table: CreditTable,
    owners: &[i64],
    summary: &mut ExportSummary,
) -> Result<HashMap<i64, Vec<CreditLine>>, DbErr> {
    let credits = rows::credits(conn, table, owners).await?;
    let paths = producer_paths(conn, credits.values().flatten().map(|(_, p)| p)).await?;
    let mut out = HashMap::with_capacity(credits.len());
    for (owner, list) in credits {
        let mut lines = Vec::with_capacity(list.len());
        for (role, producer) in list {
            match paths.get(&producer.id) {
                Some(path) => lines.push(CreditLine {
                    producer: path.clone(),
                    role,
                }),
                None => summary.skipped_credits += 1,
            }
        }
        out.insert(owner, lines);
    }
    Ok(out)
}

async fn publications(
    conn: &impl ConnectionTrait,
    page_size: usize,
    out: &mut impl Write,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let mut after = 0;
    loop {
        let page: Vec<publication::Model> = page_after(conn, after, page_size).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|p| p.id).collect();
        let mut authors = rows::value_lists(conn, ValueList::PublicationAuthors, &ids).await?;
        let mut subjects = rows::value_lists(conn, ValueList::PublicationSubjects, &ids).await?;
        let mut credits = credits(conn, CreditTable::Publication, &ids, summary).await?;
        for p in &page {
            if p.ncj_number.is_none() && p.doi.is_none() {
                summary.keyless_publications += 1;
            }
            write_line(
                out,
                &PublicationLine {
                    record: "publication",
                    ncj_number: p.ncj_number.as_deref(),
                    doi: p.doi.as_deref(),
                    title: &p.title,
                    subtitle: p.subtitle.as_deref(),
                    publication_type: p.publication_type.as_deref(),
                    published_on: partial_date(
                        p.published_year,
                        p.published_month,
                        p.published_day,
                    ),
                    abstract_text: p.abstract_text.as_deref(),
                    physical_description: p.physical_description.as_deref(),
                    place_of_production: p.place_of_production.as_deref(),
                    language: p.language.as_deref(),
                    url: p.url.as_deref(),
                    authors: authors.remove(&p.id).unwrap_or_default(),
                    subjects: subjects.remove(&p.id).unwrap_or_default(),
                    producers: credits.remove(&p.id).unwrap_or_default(),
                    synthetic: p.synthetic,
                },
            )?;
            summary.publications += 1;
        }
        if page.len() < page_size {
            break;
        }
    }
    Ok(())
}

async fn datasets(
    conn: &impl ConnectionTrait,
    page_size: usize,
    out: &mut impl Write,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let mut after = 0;
    loop {
        let page: Vec<dataset::Model> = page_after(conn, after, page_size).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|d| d.id).collect();
        let mut subjects = rows::value_lists(conn, ValueList::DatasetSubjects, &ids).await?;
        let mut coverage = rows::value_lists(conn, ValueList::DatasetCoverage, &ids).await?;
        let mut data_types = rows::value_lists(conn, ValueList::DatasetDataTypes, &ids).await?;
        let mut credits = credits(conn, CreditTable::Dataset, &ids, summary).await?;
        for d in &page {
            if d.study_number.is_none() && d.doi.is_none() {
                summary.keyless_datasets += 1;
            }
            let time_period = (d.time_period_start.is_some() || d.time_period_end.is_some())
                .then_some(YearRangeLine {
                    start: d.time_period_start,
                    end: d.time_period_end,
                });
            write_line(
                out,
                &DatasetLine {
                    record: "dataset",
                    study_number: d.study_number.as_deref(),
                    doi: d.doi.as_deref(),
                    title: &d.title,
                    summary: d.summary.as_deref(),
                    time_period,
                    geographic_coverage: coverage.remove(&d.id).unwrap_or_default(),
                    released_on: partial_date(d.released_year, d.released_month, d.released_day),
                    version: d.version.as_deref(),
                    series: d.series.as_deref(),
                    data_types: data_types.remove(&d.id).unwrap_or_default(),
                    subjects: subjects.remove(&d.id).unwrap_or_default(),
                    url: d.url.as_deref(),
                    producers: credits.remove(&d.id).unwrap_or_default(),
                    synthetic: d.synthetic,
                },
            )?;
            summary.datasets += 1;
        }
        if page.len() < page_size {
            break;
        }
    }
    Ok(())
}

/// One link with its ends' natural keys.
pub(super) struct LinkRow {
    pub publication_id: i64,
    pub dataset_id: i64,
    pub relation_type: String,
    pub source: Option<String>,
    pub linked_on: Option<chrono::NaiveDate>,
    pub ncj_number: Option<String>,
    pub publication_doi: Option<String>,
    pub study_number: Option<String>,
    pub dataset_doi: Option<String>,
    /// The URL of a publication without natural keys, when no other such publication has it.
    pub publication_url: Option<String>,
    /// The same for the dataset.
    pub dataset_url: Option<String>,
}

impl LinkRow {
    /// The publication's key for a link record: its NCJ number, else its DOI, else its URL.
    fn publication_key(&self) -> Option<KeyLine<'_>> {
        match (&self.ncj_number, &self.publication_doi) {
            (Some(ncj), _) => Some(KeyLine::NcjNumber(ncj)),
            (None, Some(doi)) => Some(KeyLine::Doi(doi)),
            (None, None) => self.publication_url.as_deref().map(KeyLine::Url),
        }
    }

    /// The dataset's key for a link record: its study number, else its DOI, else its URL.
    fn dataset_key(&self) -> Option<KeyLine<'_>> {
        match (&self.study_number, &self.dataset_doi) {
            (Some(number), _) => Some(KeyLine::StudyNumber(number)),
            (None, Some(doi)) => Some(KeyLine::Doi(doi)),
            (None, None) => self.dataset_url.as_deref().map(KeyLine::Url),
        }
    }
}

/// The links after `(publication_id, dataset_id)`, in that order.
pub(super) async fn link_page(
    conn: &impl ConnectionTrait,
    after: (i64, i64),
    limit: usize,
) -> Result<Vec<LinkRow>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push(
        "SELECT l.publication_id AS sg_publication, l.dataset_id AS sg_dataset, \
         l.relation_type AS sg_relation_type, l.source AS sg_source, l.linked_on AS sg_linked_on, \
         p.ncj_number AS sg_ncj, p.doi AS sg_publication_doi, d.study_number AS sg_study, \
         d.doi AS sg_dataset_doi, \
         CASE WHEN p.ncj_number IS NULL AND p.doi IS NULL AND (SELECT COUNT(*) FROM publication q \
         WHERE q.url = p.url AND q.ncj_number IS NULL AND q.doi IS NULL) = 1 THEN p.url END AS sg_publication_url, \
         CASE WHEN d.study_number IS NULL AND d.doi IS NULL AND (SELECT COUNT(*) FROM dataset q \
         WHERE q.url = d.url AND q.study_number IS NULL AND q.doi IS NULL) = 1 THEN d.url END AS sg_dataset_url \
         FROM publication_dataset l \
         JOIN publication p ON p.id = l.publication_id JOIN dataset d ON d.id = l.dataset_id \
         WHERE l.publication_id > ",
    )
    .bind(after.0)
    .push(" OR (l.publication_id = ")
    .bind(after.0)
    .push(" AND l.dataset_id > ")
    .bind(after.1)
    .push(") ORDER BY l.publication_id, l.dataset_id LIMIT ")
    .bind(limit.max(1) as i64);
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            Ok(LinkRow {
                publication_id: row.try_get("", "sg_publication")?,
                dataset_id: row.try_get("", "sg_dataset")?,
                relation_type: row.try_get("", "sg_relation_type")?,
                source: row.try_get("", "sg_source")?,
                linked_on: row.try_get("", "sg_linked_on")?,
                ncj_number: row.try_get("", "sg_ncj")?,
                publication_doi: row.try_get("", "sg_publication_doi")?,
                study_number: row.try_get("", "sg_study")?,
                dataset_doi: row.try_get("", "sg_dataset_doi")?,
                publication_url: row.try_get("", "sg_publication_url")?,
                dataset_url: row.try_get("", "sg_dataset_url")?,
            })
        })
        .collect()
}

async fn links(
    conn: &impl ConnectionTrait,
    page_size: usize,
    out: &mut impl Write,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let mut after = (0, 0);
    loop {
        let page = link_page(conn, after, page_size).await?;
        let Some(last) = page.last() else { break };
        after = (last.publication_id, last.dataset_id);
        for link in &page {
            let (Some(publication), Some(dataset)) = (link.publication_key(), link.dataset_key())
            else {
                tracing::debug!(
                    publication_id = link.publication_id,
                    dataset_id = link.dataset_id,
                    "link skipped: an end has no natural key"
                );
                summary.skipped_links += 1;
                continue;
            };
            write_line(
                out,
                &LinkLine {
                    record: "link",
                    publication,
                    dataset,
                    relation_type: &link.relation_type,
                    source: link.source.as_deref(),
                    linked_on: link.linked_on.map(|d| d.format("%Y-%m-%d").to_string()),
                },
            )?;
            summary.links += 1;
        }
        if page.len() < page_size {
            break;
        }
    }
    Ok(())
}

async fn count(conn: &impl ConnectionTrait, table: &str) -> Result<usize, DbErr> {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(n as usize)
}
