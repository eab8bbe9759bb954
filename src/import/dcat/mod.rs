//! DCAT-US: the Project Open Data v1.1 catalog (`data.json`) that every US federal agency
//! publishes. Each entry of the catalog's `dataset` array becomes a dataset, through the same
//! upsert path as the native format ([`upsert::dataset`], [`upsert::producer`]) and in one
//! transaction per run: a structurally bad catalog or record stops the run with
//! `FILE:LINE: field: reason` (LINE is where the record starts; every record of a minified
//! catalog is on line 1, so the field names the record too: `dataset[2].title`) and nothing is
//! written. With `--skip-invalid` a bad record is left out (with whatever it wrote, producers
//! included) and kept with its reason; a bad catalog still stops the run.
//!
//! # Mapping
//!
//! | DCAT-US | dataset |
//! |---|---|
//! | `title` (required; whitespace runs collapsed) | `title` |
//! | `description` | `summary` |
//! | `keyword` (a list, or one string) | `subjects` |
//! | `temporal` | `timePeriod` start and end years (see [`parse_temporal`]) |
//! | `spatial` (a string, split on `;`, `\|` and line breaks, not on commas: "Washington, DC"; or a list of them, `null` items skipped) | `geographicCoverage` |
//! | `issued` | `releasedOn`, at the precision given; a timestamp keeps its date part |
//! | a DOI in `identifier`, `distribution[].accessURL` / `downloadURL` (resolver links) or `landingPage` | `doi` |
//! | `ICPSRnnnnn` in the DOI, `identifier` or `landingPage` (or an ICPSR `/studies/nnnnn` page) | `studyNumber` (without leading zeros) |
//! | the `.vN` of an ICPSR DOI (`10.3886/ICPSR20423.v1`) | `version` |
//! | `isPartOf` (the `identifier` of a collection in the same catalog; a number and its decimal string are one identifier) | `series`: that collection's title |
//! | `landingPage`, else the DOI's `https://doi.org/` link | `url` |
//! | `publisher` with its `subOrganizationOf` chain | one producer credit (below) |
//!
//! Everything else (`accessLevel`, `bureauCode`, `contactPoint`, `_reconstructionNote`, unknown
//! fields) is ignored, not an error. A catalog may also be a bare array of datasets (POD v1.0).
//! A key given twice in one object (JSON keeps only the last value) is an error: in a record,
//! of that record (`dataset[2].title: field given twice`); in the catalog itself, of the run.
//!
//! # Producers
//!
//! The `publisher` chain (`subOrganizationOf`, or the `parentOrganization` that justice.gov nests
//! in it; a plain-string publisher is split with [`split_producer_name`]) is resolved root first:
//! each level is looked up among the previous level's children (roots for the first) by name,
//! abbreviation or alias, then by its `acronym`; so "Department of Justice" lands on "United
//! States Department of Justice" (its alias). A top level found nowhere among the roots lands on
//! the one producer anywhere with exactly that name, if there is exactly one (a catalog that
//! starts its chain at "Office of Justice Programs"). Missing levels are created under their
//! parent with the `acronym` as abbreviation and kind "government agency" ("data archive" for
//! archive names); existing producers are never modified.
//!
//! The chain's last level is credited as `PUBLISHER`, or as `DISTRIBUTOR` when it is a data
//! archive: an existing producer of kind "data archive", or a new one named like one (ICPSR,
//! NACJD, "... Data Archive", "Archive of ...", "... Data Repository"). An archive does not
//! publish the study; it distributes it, as ICPSR's own records credit it.
//!
//! # Re-imports and records without keys
//!
//! Datasets are matched as in the native format (study number, then DOI), so re-importing a
//! catalog changes nothing, and a record that matches a dataset loaded from elsewhere updates it
//! in place (every field takes the catalog's value, credits and lists included). A record with
//! neither a DOI nor a study number has no natural key and there is no column for the DCAT
//! `identifier` (which is an agency-internal number anyway); such a record is matched by its
//! exact title among the datasets that have neither key and are credited to the same publisher
//! producer (any keyless dataset if it has no publisher), through [`upsert::dataset_or`]. Titles
//! are unique within real catalogs (justice.gov: 3,287 titles, 3,287 records); a repeated one
//! updates the earlier record and is logged as a warning. A renamed keyless record becomes a new
//! dataset on the next import.
//!
//! # Warnings
//!
//! Values that are present but unusable do not stop the run: a `temporal`, `issued`, `spatial`
//! or `keyword` that cannot be read (in a list, only the item that cannot), an `isPartOf` naming no collection in the catalog, a
//! publisher without a name. The field is left empty and a warning
//! (`FILE:LINE: field: reason`) is logged and counted ([`Report::warnings`]).

mod catalog;
mod identifiers;
mod lines;
mod producers;
mod temporal;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use sea_orm::DatabaseTransaction;

use self::catalog::{Catalog, Entry, Prepared, parse_catalog, record_field};
use self::producers::{Resolved, resolve_chain};
use super::native::ImportError;
use super::rejects::Records;
use super::upsert::{self, CreditInput, UpsertError};
use super::{FileText, RecordError, Summary};
use crate::db::Db;
use crate::db::pages::Table;
use crate::graphql::types::common::ProducerRole;

pub use self::producers::{DATA_ARCHIVE, GOVERNMENT_AGENCY};
pub use self::temporal::parse_temporal;
pub use crate::db::producer_names::split_producer_name;

/// What a run did: the [`Summary`] (records created) plus what was updated, matched without a
/// key, or read with a warning.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub summary: Summary,
    /// Datasets that matched an existing one and were updated in place.
    pub updated: usize,
    /// Records with neither DOI nor study number (matched by title and publisher).
    pub keyless: usize,
    /// `FILE:LINE: field: reason` for every value that was present but could not be used.
    pub warnings: Vec<String>,
}

/// Loads one catalog (named `name` in messages) in its own transaction.
pub async fn import_str(db: &Db, name: &str, text: &str) -> Result<Summary, ImportError> {
    Ok(import_report(db, name, text).await?.summary)
}

/// [`import_str`], with the full [`Report`].
pub async fn import_report(db: &Db, name: &str, text: &str) -> Result<Report, ImportError> {
    let catalog = parse_catalog(name, text)?;
    let txn = crate::db::begin_write(&db.conn).await?;
    let mut report = Report::default();
    let loaded = load_into(&txn, catalog, &mut report, &mut Records::new(false)).await;
    crate::import::settle(txn, loaded).await?;
    log_report(name, &report);
    Ok(report)
}

/// Loads catalogs in order inside the caller's transaction (the command line's run), leaving
/// out and keeping bad records when `records` skips them.
pub async fn load_files(
    txn: &DatabaseTransaction,
    files: &[PathBuf],
    records: &mut Records,
) -> anyhow::Result<Summary> {
    let mut total = Summary::default();
    for file in files {
        let read = FileText::read(file)?;
        let name = file.display().to_string();
        // A catalog is one JSON document: a line that is not UTF-8 stops it, named.
        if let Some(line) = read.not_utf8.first() {
            return Err(RecordError {
                file: name,
                line: *line,
                field: "catalog".into(),
                reason: super::NOT_UTF8.into(),
            }
            .into());
        }
        let text = read.text;
        let catalog = parse_catalog(&name, &text)?;
        let mut report = Report::default();
        load_into(txn, catalog, &mut report, records).await?;
        log_report(&name, &report);
        total += report.summary;
    }
    Ok(total)
}

fn log_report(name: &str, report: &Report) {
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        file = name,
        created = report.summary.datasets,
        updated = report.updated,
        keyless = report.keyless,
        producers = report.summary.producers,
        warnings = report.warnings.len(),
        "DCAT-US catalog imported"
    );
}

/// What one record did.
struct Written {
    created: bool,
    keyless: bool,
    /// The key it was matched by, to notice a later record of the catalog with the same.
    key: String,
    producers: usize,
}

async fn load_into(
    txn: &DatabaseTransaction,
    catalog: Catalog,
    report: &mut Report,
    records: &mut Records,
) -> Result<(), ImportError> {
    let name = catalog.name;
    report.warnings.extend(catalog.warnings);
    let mut chains: HashMap<String, Resolved> = HashMap::new();
    let mut seen_keys: HashSet<String> = HashSet::new();
    for Entry {
        line,
        index,
        text,
        prepared,
    } in catalog.records
    {
        let at = |field: String, reason: String| RecordError {
            file: name.clone(),
            line,
            field: record_field(index, &field),
            reason,
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err((field, reason)) => {
                records.refuse(at(field, reason), text)?;
                continue;
            }
        };
        let write =
            async |txn: &DatabaseTransaction| write_record(txn, prepared, &mut chains).await;
        let Some(written) = records.write(txn, at, || text, write).await? else {
            // Its writes were undone: producers it created (and cached) are gone too.
            chains.clear();
            continue;
        };
        report.summary.producers += written.producers;
        if written.keyless {
            report.keyless += 1;
        }
        if written.created {
            report.summary.datasets += 1;
        } else {
            report.updated += 1;
        }
        if !seen_keys.insert(written.key) {
            report.warnings.push(format!(
                "{name}:{line}: dataset[{index}]: same {} as an earlier record of this catalog; it updates that dataset",
                if written.keyless { "title and publisher" } else { "study number or DOI" }
            ));
        }
    }
    Ok(())
}

/// Writes one record: its publisher chain (created where missing), then the dataset credited
/// to it.
async fn write_record(
    txn: &DatabaseTransaction,
    prepared: Prepared,
    chains: &mut HashMap<String, Resolved>,
) -> Result<Written, UpsertError> {
    let Prepared {
        mut input,
        publisher,
    } = prepared;
    let mut created_producers = Summary::default();
    let publisher = if publisher.is_empty() {
        None
    } else {
        Some(resolve_chain(txn, &publisher, chains, &mut created_producers).await?)
    };
    if let Some(publisher) = &publisher {
        let role = if publisher.archive {
            ProducerRole::Distributor
        } else {
            ProducerRole::Publisher
        };
        input.producers.push(CreditInput {
            producer: publisher.path.clone(),
            role: role.as_db().to_owned(),
        });
    }
    let keyless = input.doi.is_none() && input.study_number.is_none();
    let key = match (&input.study_number, &input.doi) {
        (Some(n), _) => format!("study {n}"),
        (None, Some(doi)) => format!("doi {}", crate::db::lookup::doi_key(doi)),
        (None, None) => format!(
            "title {} {}",
            publisher.as_ref().map_or(0, |p| p.id),
            input.title
        ),
    };
    let fallback = if keyless {
        let keyless = upsert::Keyless {
            title: &input.title,
            newer_than: 0,
            url: None,
            credits: publisher.as_ref().map_or(upsert::KeylessCredits::Any, |p| {
                upsert::KeylessCredits::To(p.id)
            }),
        };
        upsert::keyless_match(txn, Table::Dataset, keyless).await?
    } else {
        None
    };
    let (_, created) = upsert::dataset_or(txn, input, fallback).await?;
    Ok(Written {
        created,
        keyless,
        key,
        producers: created_producers.producers,
    })
}
