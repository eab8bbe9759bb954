//! The Scholix export: one Scholix v3 link information package (JSON, one per line) per
//! publication↔dataset link, the publication as Source (literature), the dataset as Target.
//!
//! - Identifiers: a DOI (`{"ID": "10.…", "IDScheme": "doi", "IDURL": "https://doi.org/10.…"}`)
//!   when the record has one, else its NCJ number (`{"ID": "NCJ 216547", "IDScheme": "ncj"}`)
//!   or ICPSR study number (`{"ID": "ICPSR 20423", "IDScheme": "icpsr", "IDURL": …}`). Links
//!   with an end that has no key are skipped and counted; a URL stands for a work without keys
//!   when no other such work has it.
//! - RelationshipType: our relation types are Scholix's names; `DOCUMENTS` is `IsRelatedTo`
//!   with the DataCite subtype `Documents`.
//! - LinkProvider is the link's `source`, LinkPublicationDate its `linkedOn`; both are left out
//!   when unknown (Scholix requires them, and nothing truthful can stand in).
//! - Creator: a publication's authors (else its PRODUCER credits), a dataset's
//!   PRINCIPAL_INVESTIGATOR credits; Publisher: PUBLISHER credits, and DISTRIBUTOR for datasets.

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::native::{LinkRow, link_page};
use super::{ExportError, ExportOptions, ExportSummary, partial_date, warn_about, write_line};
use crate::db::entities::{CreditTable, ValueList, dataset, producer, publication};
use crate::db::rows;
use crate::db::{Db, snapshot};
use crate::graphql::types::common::RelationType;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Package<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    link_publication_date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    link_provider: Vec<Party>,
    relationship_type: Relationship,
    source: Object<'a>,
    target: Object<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Party {
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Relationship {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_type_schema: Option<&'static str>,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "IDScheme")]
    scheme: &'static str,
    #[serde(rename = "IDURL", skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ObjectType {
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Object<'a> {
    identifier: Identifier,
    #[serde(rename = "Type")]
    kind: ObjectType,
    title: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    creator: Vec<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publication_date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    publisher: Vec<Party>,
}

/// The Scholix relationship for one of our relation types (stored by name).
fn relationship(stored: &str) -> Relationship {
    let (name, sub_type) = match RelationType::from_db(stored) {
        RelationType::IsRelatedTo => ("IsRelatedTo", None),
        RelationType::References => ("References", None),
        RelationType::IsReferencedBy => ("IsReferencedBy", None),
        RelationType::IsSupplementTo => ("IsSupplementTo", None),
        RelationType::IsSupplementedBy => ("IsSupplementedBy", None),
        RelationType::Documents => ("IsRelatedTo", Some("Documents")),
    };
    Relationship {
        name,
        sub_type,
        sub_type_schema: sub_type.map(|_| "DataCite"),
    }
}

fn doi(doi: &str) -> Identifier {
    Identifier {
        id: doi.to_owned(),
        scheme: "doi",
        url: Some(format!("https://doi.org/{doi}")),
    }
}

/// A work without DOI or own number by its URL (the Scholix importer finds it by that URL).
fn url(url: &str) -> Identifier {
    Identifier {
        id: url.to_owned(),
        scheme: "url",
        url: Some(url.to_owned()),
    }
}

/// A publication's identifier; `unique_url` is its URL when no other publication without keys
/// has it (a URL shared by several names none of them).
fn publication_identifier(p: &publication::Model, unique_url: Option<&str>) -> Option<Identifier> {
    match (&p.doi, &p.ncj_number) {
        (Some(d), _) => Some(doi(d)),
        (None, Some(ncj)) => Some(Identifier {
            id: format!("NCJ {ncj}"),
            scheme: "ncj",
            url: None,
        }),
        (None, None) => unique_url.map(url),
    }
}

/// [`publication_identifier`] for a dataset.
fn dataset_identifier(d: &dataset::Model, unique_url: Option<&str>) -> Option<Identifier> {
    match (&d.doi, &d.study_number) {
        (Some(x), _) => Some(doi(x)),
        (None, Some(number)) => Some(Identifier {
            id: format!("ICPSR {number}"),
            scheme: "icpsr",
            url: Some(format!(
                "https://www.icpsr.umich.edu/web/ICPSR/studies/{number}"
            )),
        }),
        (None, None) => unique_url.map(url),
    }
}

/// The names of the credited producers in `roles`, in credit order.
fn credited(credits: Option<&Vec<(String, producer::Model)>>, roles: &[&str]) -> Vec<Party> {
    credits
        .into_iter()
        .flatten()
        .filter(|(role, _)| roles.contains(&role.as_str()))
        .map(|(_, producer)| Party {
            name: producer.name.clone(),
        })
        .collect()
}

/// Writes one Scholix package per link (pages of [`super::DEFAULT_PAGE_SIZE`] links).
pub async fn write_scholix(db: &Db, out: &mut impl Write) -> Result<ExportSummary, ExportError> {
    write_scholix_with(db, &ExportOptions::default(), out).await
}

/// [`write_scholix`] with options.
pub async fn write_scholix_with(
    db: &Db,
    options: &ExportOptions,
    out: &mut impl Write,
) -> Result<ExportSummary, ExportError> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let txn = snapshot(&db.conn).await?;
    let mut summary = ExportSummary::default();
    let mut after = (0, 0);
    loop {
        let page = link_page(&txn, after, options.page_size).await?;
        let Some(last) = page.last() else { break };
        after = (last.publication_id, last.dataset_id);
        write_page(&txn, &page, &mut out, &mut summary).await?;
        if page.len() < options.page_size {
            break;
        }
    }
    txn.commit().await?;
    out.flush()?;
    warn_about(&summary);
    Ok(summary)
}

async fn write_page(
    conn: &impl ConnectionTrait,
    page: &[LinkRow],
    out: &mut impl Write,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let mut publication_ids: Vec<i64> = page.iter().map(|l| l.publication_id).collect();
    publication_ids.sort_unstable();
    publication_ids.dedup();
    let mut dataset_ids: Vec<i64> = page.iter().map(|l| l.dataset_id).collect();
    dataset_ids.sort_unstable();
    dataset_ids.dedup();
    let publications: HashMap<i64, publication::Model> =
        rows::by_ids(conn, &publication_ids).await?;
    let datasets: HashMap<i64, dataset::Model> = rows::by_ids(conn, &dataset_ids).await?;
    let authors = rows::value_lists(conn, ValueList::PublicationAuthors, &publication_ids).await?;
    let publication_credits =
        rows::credits(conn, CreditTable::Publication, &publication_ids).await?;
    let dataset_credits = rows::credits(conn, CreditTable::Dataset, &dataset_ids).await?;
    for link in page {
        let (Some(p), Some(d)) = (
            publications.get(&link.publication_id),
            datasets.get(&link.dataset_id),
        ) else {
            continue;
        };
        let (Some(source_id), Some(target_id)) = (
            publication_identifier(p, link.publication_url.as_deref()),
            dataset_identifier(d, link.dataset_url.as_deref()),
        ) else {
            tracing::debug!(
                publication_id = p.id,
                dataset_id = d.id,
                "link skipped: an end has no identifier"
            );
            summary.skipped_links += 1;
            continue;
        };
        let mut creator: Vec<Party> = authors
            .get(&p.id)
            .into_iter()
            .flatten()
            .map(|name| Party { name: name.clone() })
            .collect();
        if creator.is_empty() {
            creator = credited(publication_credits.get(&p.id), &["PRODUCER"]);
        }
        let package = Package {
            link_publication_date: link.linked_on.map(|d| d.format("%Y-%m-%d").to_string()),
            link_provider: link
                .source
                .iter()
                .map(|name| Party { name: name.clone() })
                .collect(),
            relationship_type: relationship(&link.relation_type),
            source: Object {
                identifier: source_id,
                kind: ObjectType { name: "literature" },
                title: &p.title,
                creator,
                publication_date: partial_date(
                    p.published_year,
                    p.published_month,
                    p.published_day,
                ),
                publisher: credited(publication_credits.get(&p.id), &["PUBLISHER"]),
            },
            target: Object {
                identifier: target_id,
                kind: ObjectType { name: "dataset" },
                title: &d.title,
                creator: credited(dataset_credits.get(&d.id), &["PRINCIPAL_INVESTIGATOR"]),
                publication_date: partial_date(d.released_year, d.released_month, d.released_day),
                publisher: credited(dataset_credits.get(&d.id), &["PUBLISHER", "DISTRIBUTOR"]),
            },
        };
        write_line(out, &package)?;
        summary.links += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_types_map_to_scholix() {
        for (ours, name, sub) in [
            ("IS_RELATED_TO", "IsRelatedTo", None),
            ("REFERENCES", "References", None),
            ("IS_REFERENCED_BY", "IsReferencedBy", None),
            ("IS_SUPPLEMENT_TO", "IsSupplementTo", None),
            ("IS_SUPPLEMENTED_BY", "IsSupplementedBy", None),
            ("DOCUMENTS", "IsRelatedTo", Some("Documents")),
        ] {
            let r = relationship(ours);
            assert_eq!((r.name, r.sub_type), (name, sub), "{ours}");
            assert_eq!(r.sub_type_schema.is_some(), sub.is_some());
        }
    }
}
