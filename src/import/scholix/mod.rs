//! Scholix v3 link records (<https://www.scholix.org>), as link providers and ScholeXplorer
//! publish them: a JSON array of links, JSON Lines (one link per line), or a ScholeXplorer API
//! page (`{"result": [...]}`). Each link becomes a publication↔dataset link through the upsert
//! path, one transaction per run: a bad record stops the run with `FILE:LINE: field: reason`
//! (LINE is where the record starts; inside an array the field names the element too:
//! `[2].Source.Type`) and nothing is written. With `--skip-invalid` bad links are left out and
//! kept with their reasons, and so is a line of JSON Lines that is not JSON; text that is not
//! JSON elsewhere (inside an array) still stops the run, since its links cannot be told apart.
//!
//! # Mapping
//!
//! | Scholix | studygraph |
//! |---|---|
//! | the side whose `Type` (`{"Name": …}` or a plain string) is `literature` (or `publication`) | the publication |
//! | the side whose `Type` is `dataset` | the dataset |
//! | `Identifier[]` with `IDScheme` `doi` (or any `ID`/`IDURL` on doi.org) | `doi` ([`normalize_doi`](crate::db::lookup::normalize_doi)) |
//! | an ICPSR DOI (`10.3886/ICPSR20423.v1`) | also `studyNumber` `20423` and `version` `v1` |
//! | `IDScheme` `ncj` / `icpsr` (`NCJ 216547`, `ICPSR 20423`: what `export --format scholix` writes) | `ncjNumber` / `studyNumber` |
//! | the DOI's `IDURL` (else `https://doi.org/DOI`), else an `url` or `handle` identifier, else any `IDURL` | `url` |
//! | `Title` (else the DOI or URL) | `title` of a created record |
//! | `Creator[].Name` | `authors` of a created publication |
//! | `PublicationDate` (date part, at its precision) | `publishedOn` / `releasedOn` of a created record |
//! | `RelationshipType` | `relationType`, read from the publication (below) |
//! | `LinkProvider[0].Name` | link `source` |
//! | `LinkPublicationDate` (date part, `YYYY-MM-DD`) | link `linkedOn` |
//!
//! Each side is found by DOI, then by its NCJ or study number (for an ICPSR DOI, the study
//! number in it, so another version's DOI finds the study), then by URL
//! (among records without a DOI), and is then linked as it is: an existing record is never
//! modified. A side found nowhere is created with the few fields above. `Publisher`,
//! `LicenseURL`, `HarvestDate` and unknown fields are ignored; a key given twice in one object
//! of a link is an error (JSON keeps only the last value), and outside the links (a page's
//! second `result`) it stops the run. A link between two works of the
//! same kind (literature–literature, dataset–dataset) or involving software is an error.
//!
//! # Relation types
//!
//! `RelationshipType.Name` is one of the Scholix names (`References`, `IsReferencedBy`,
//! `IsSupplementTo`, `IsSupplementedBy`, `IsRelatedTo`) or a DataCite relation type, read as
//! "Source *Name* Target". A DataCite `SubType` refines it when it says more (`Documents`,
//! `IsDocumentedBy`, `Cites`, …). Seen from the publication: when the publication is the
//! `Target`, the relation is inverted (`References` ↔ `IsReferencedBy`, `IsSupplementTo` ↔
//! `IsSupplementedBy`, `IsDocumentedBy` → `DOCUMENTS`). What studygraph cannot express (a
//! dataset documenting a publication, version or part relations) becomes `IS_RELATED_TO`.

mod document;
mod record;
mod relation;

use std::path::PathBuf;

use sea_orm::DatabaseTransaction;

use self::document::{Located, element_field, parse_document};
use self::record::{Link, read_link};
use super::link_files::{self, LinkFormat};
use super::native::ImportError;
use super::rejects::Records;
use super::repeated_keys::GIVEN_TWICE;
use super::upsert::{self, UpsertError};
use super::{RecordError, Summary};
use crate::db::Db;

/// Loads one document (named `name` in errors) in its own transaction.
pub async fn import_str(db: &Db, name: &str, text: &str) -> Result<Summary, ImportError> {
    link_files::import_str::<ScholixFile>(db, name, text).await
}

/// Loads files in order inside the caller's transaction (the command line's run), leaving out
/// and keeping bad links when `records` skips them.
pub async fn load_files(
    txn: &DatabaseTransaction,
    files: &[PathBuf],
    records: &mut Records,
) -> anyhow::Result<Summary> {
    link_files::load_files::<ScholixFile>(txn, files, records).await
}

/// Scholix documents as a [`LinkFormat`].
struct ScholixFile;

impl LinkFormat for ScholixFile {
    type Record = Located;

    fn parse(
        name: &str,
        text: &str,
        skip_unreadable: bool,
        not_utf8: &[usize],
    ) -> Result<Vec<Located>, RecordError> {
        parse_document(name, text, skip_unreadable, not_utf8)
    }

    async fn load(
        txn: &DatabaseTransaction,
        name: &str,
        links: Vec<Located>,
        summary: &mut Summary,
        kept: &mut Records,
    ) -> Result<(), ImportError> {
        load_into(txn, name, links, summary, kept).await
    }
}

async fn load_into(
    txn: &DatabaseTransaction,
    name: &str,
    links: Vec<Located>,
    summary: &mut Summary,
    records: &mut Records,
) -> Result<(), ImportError> {
    for located in links {
        let at = |field: String, reason: String| RecordError {
            file: name.to_owned(),
            line: located.line,
            field: element_field(&located.element, &field),
            reason,
        };
        let value = match located.value {
            Ok(value) => value,
            Err(unreadable) => {
                records.refuse(at(String::new(), unreadable.reason), unreadable.text)?;
                continue;
            }
        };
        let text = || serde_json::to_string(&value).unwrap_or_default();
        if let Some(field) = located.repeated.clone() {
            records.refuse(at(field, GIVEN_TWICE.into()), text())?;
            continue;
        }
        if let Some(field) = crate::import::field_with_nul(&value, "") {
            records.refuse(at(field, crate::import::HOLDS_NUL.into()), text())?;
            continue;
        }
        let link = match read_link(&value) {
            Ok(link) => link,
            Err((field, reason)) => {
                records.refuse(at(field, reason), text())?;
                continue;
            }
        };
        let written = records
            .write(txn, at, text, async |txn| apply(txn, link).await)
            .await?;
        if let Some(written) = written {
            *summary += written;
        }
    }
    Ok(())
}

/// Writes one link with the records it names; what it created.
async fn apply(txn: &DatabaseTransaction, link: Link) -> Result<Summary, UpsertError> {
    let mut summary = Summary::default();
    let Link {
        publication,
        dataset,
        publication_side,
        relation_type,
        source,
        linked_on,
    } = link;
    let dataset_side = if publication_side == "Source" {
        "Target"
    } else {
        "Source"
    };
    let publication_input = upsert::PublicationInput {
        ncj_number: publication.ncj_number,
        doi: publication.doi,
        title: publication.title,
        subtitle: None,
        publication_type: None,
        published_on: publication.date,
        abstract_text: None,
        physical_description: None,
        place_of_production: None,
        language: None,
        url: publication.url,
        authors: publication.creators,
        subjects: Vec::new(),
        producers: Vec::new(),
        synthetic: false,
    };
    let (publication_id, created) = upsert::find_or_create_publication(txn, publication_input)
        .await
        .map_err(|err| on_side(err, publication_side))?;
    if created {
        summary.publications += 1;
    }
    let dataset_input = upsert::DatasetInput {
        study_number: dataset.study_number,
        doi: dataset.doi,
        title: dataset.title,
        summary: None,
        time_period: (None, None),
        geographic_coverage: Vec::new(),
        released_on: dataset.date,
        version: dataset.version,
        series: None,
        data_types: Vec::new(),
        subjects: Vec::new(),
        url: dataset.url,
        producers: Vec::new(),
        synthetic: false,
    };
    let (dataset_id, created) = upsert::find_or_create_dataset(txn, dataset_input)
        .await
        .map_err(|err| on_side(err, dataset_side))?;
    if created {
        summary.datasets += 1;
    }
    let new = upsert::link_ids(
        txn,
        publication_id,
        dataset_id,
        Some(relation_type.as_db().to_owned()),
        Some(source),
        Some(linked_on),
    )
    .await?;
    if new {
        summary.links += 1;
    }
    Ok(summary)
}

/// A record's problem named as a field of the link's `side` (`Target.Title`), as reading
/// names its fields.
fn on_side(err: UpsertError, side: &str) -> UpsertError {
    match err {
        UpsertError::Invalid { field, reason } => {
            let field = match field.as_str() {
                "title" => "Title".to_owned(),
                "url" | "ncjNumber" | "studyNumber" => "Identifier".to_owned(),
                other => other.to_owned(),
            };
            upsert::invalid(format!("{side}.{field}"), reason)
        }
        other => other,
    }
}
