//! DCAT-US: the Project Open Data v1.1 catalog (`data.json`) that every US federal agency
//! publishes. Each entry of the catalog's `dataset` array becomes a dataset, through the same
//! upsert path as the native format ([`upsert::dataset`], [`upsert::producer`]) and in one
//! transaction per run: a structurally bad catalog or record stops the run with
//! `FILE:LINE: field: reason` (LINE is where the record starts; every record of a minified
//! catalog is on line 1, so the field names the record too: `dataset[2].title`) and nothing is
//! written.
//!
//! # Mapping
//!
//! | DCAT-US | dataset |
//! |---|---|
//! | `title` (required; whitespace runs collapsed) | `title` |
//! | `description` | `summary` |
//! | `keyword` (a list, or one string) | `subjects` |
//! | `temporal` | `timePeriod` start and end years (see [`parse_temporal`]) |
//! | `spatial` (a string, split on `;`, `\|` and line breaks, not on commas: "Washington, DC") | `geographicCoverage` |
//! | `issued` | `releasedOn`, at the precision given; a timestamp keeps its date part |
//! | a DOI in `identifier`, `distribution[].accessURL` / `downloadURL` (resolver links) or `landingPage` | `doi` |
//! | `ICPSRnnnnn` in the DOI, `identifier` or `landingPage` (or an ICPSR `/studies/nnnnn` page) | `studyNumber` (without leading zeros) |
//! | the `.vN` of an ICPSR DOI (`10.3886/ICPSR20423.v1`) | `version` |
//! | `isPartOf` (the `identifier` of a collection in the same catalog) | `series`: that collection's title |
//! | `landingPage`, else the DOI's `https://doi.org/` link | `url` |
//! | `publisher` with its `subOrganizationOf` chain | one producer credit (below) |
//!
//! Everything else (`accessLevel`, `bureauCode`, `contactPoint`, `_reconstructionNote`, unknown
//! fields) is ignored, not an error. A catalog may also be a bare array of datasets (POD v1.0).
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
//! or `keyword` that cannot be read, an `isPartOf` naming no collection in the catalog, a
//! publisher without a name. The field is left empty and a warning
//! (`FILE:LINE: field: reason`) is logged and counted ([`Report::warnings`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, TransactionTrait};
use serde_json::{Map, Value};

use super::native::ImportError;
use super::upsert::{self, CreditInput, DatasetInput, UpsertError, invalid};
use super::{RecordError, Summary};
use crate::dates::PartialDateValue;
use crate::db::Db;
use crate::db::entities::producer;
use crate::db::lookup::{self, normalize_doi};
use crate::db::sql::Sql;
use crate::graphql::types::common::ProducerRole;

/// The kind given to producers created from a publisher chain.
pub const GOVERNMENT_AGENCY: &str = "government agency";
/// The kind given to (and recognised on) data archives.
pub const DATA_ARCHIVE: &str = "data archive";

/// A chain deeper than this is taken for a cycle.
const MAX_DEPTH: usize = 16;

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
    let txn = db.conn.begin().await?;
    let mut report = Report::default();
    load_into(&txn, catalog, &mut report).await?;
    txn.commit().await?;
    log_report(name, &report);
    Ok(report)
}

/// Loads catalogs in order, all in one transaction (for the command line).
pub async fn import_files(db: &Db, files: &[PathBuf]) -> anyhow::Result<Summary> {
    let mut catalogs = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let name = file.display().to_string();
        catalogs.push((name.clone(), parse_catalog(&name, &text)?));
    }
    let txn = db.conn.begin().await?;
    let mut total = Summary::default();
    let mut reports = Vec::with_capacity(catalogs.len());
    for (name, catalog) in catalogs {
        let mut report = Report::default();
        load_into(&txn, catalog, &mut report).await?;
        total.producers += report.summary.producers;
        total.datasets += report.summary.datasets;
        reports.push((name, report));
    }
    txn.commit().await?;
    for (name, report) in &reports {
        log_report(name, report);
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

// ---------------------------------------------------------------------------------------------
// Reading the catalog (no database): every error is found before anything is written.

/// One organization of a publisher chain.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Org {
    name: String,
    acronym: Option<String>,
}

/// One catalog record, read.
struct Prepared {
    line: usize,
    index: usize,
    input: DatasetInput,
    /// Root first.
    publisher: Vec<Org>,
}

struct Catalog {
    name: String,
    records: Vec<Prepared>,
    warnings: Vec<String>,
}

fn parse_catalog(name: &str, text: &str) -> Result<Catalog, RecordError> {
    let at = |line: usize, field: &str, reason: String| RecordError {
        file: name.to_owned(),
        line,
        field: field.to_owned(),
        reason,
    };
    // Some agencies serve data.json with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text).map_err(|err| {
        let reason = err.to_string();
        let reason = reason.split(" at line ").next().unwrap_or(&reason);
        at(
            err.line().max(1),
            "catalog",
            format!("invalid JSON: {reason}"),
        )
    })?;
    let positions = record_lines(text);
    let entries = match &root {
        Value::Object(catalog) => match catalog.get("dataset") {
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                return Err(at(
                    positions.array_line,
                    "dataset",
                    format!("must be an array of datasets, not {}", json_type(other)),
                ));
            }
            None => {
                return Err(at(
                    1,
                    "dataset",
                    "missing: a DCAT-US catalog lists its datasets in `dataset`".into(),
                ));
            }
        },
        Value::Array(entries) => entries,
        other => {
            return Err(at(
                1,
                "catalog",
                format!(
                    "must be a DCAT-US catalog object (or an array of datasets), not {}",
                    json_type(other)
                ),
            ));
        }
    };
    let line_of = |index: usize| -> usize {
        if positions.starts.len() == entries.len() {
            positions.starts[index]
        } else {
            positions.array_line
        }
    };
    // Collections named by `isPartOf`, by identifier.
    let titles: HashMap<String, String> = entries
        .iter()
        .filter_map(|entry| {
            let identifier = entry.get("identifier")?.as_str()?.trim();
            let title = entry.get("title")?.as_str().map(collapse_whitespace)?;
            (!identifier.is_empty() && !title.is_empty()).then(|| (identifier.to_owned(), title))
        })
        .collect();
    let mut records = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let line = line_of(index);
        let mut warn = |field: &str, reason: String| {
            warnings.push(format!("{name}:{line}: dataset[{index}].{field}: {reason}"));
        };
        let (input, publisher) = read_record(entry, &titles, &mut warn)
            .map_err(|(field, reason)| at(line, &record_field(index, &field), reason))?;
        records.push(Prepared {
            line,
            index,
            input,
            publisher,
        });
    }
    Ok(Catalog {
        name: name.to_owned(),
        records,
        warnings,
    })
}

fn record_field(index: usize, field: &str) -> String {
    if field.is_empty() {
        format!("dataset[{index}]")
    } else {
        format!("dataset[{index}].{field}")
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One record: the dataset (without credits) and its publisher chain, or `(field, reason)`.
fn read_record(
    entry: &Value,
    titles: &HashMap<String, String>,
    warn: &mut impl FnMut(&str, String),
) -> Result<(DatasetInput, Vec<Org>), (String, String)> {
    let Value::Object(record) = entry else {
        return Err((
            String::new(),
            format!("must be a JSON object, not {}", json_type(entry)),
        ));
    };
    let title = match record.get("title") {
        None | Some(Value::Null) => {
            return Err((
                "title".into(),
                "missing: every dataset needs a title".into(),
            ));
        }
        Some(Value::String(title)) => collapse_whitespace(title),
        Some(other) => {
            return Err((
                "title".into(),
                format!("must be a string, not {}", json_type(other)),
            ));
        }
    };
    if title.is_empty() {
        return Err(("title".into(), "must not be empty".into()));
    }

    let summary = text_field(record, "description", warn).map(|d| d.replace("\r\n", "\n"));
    let subjects = string_list(record, "keyword", warn);

    let time_period = match text_field(record, "temporal", warn) {
        Some(text) => parse_temporal(&text).unwrap_or_else(|reason| {
            warn("temporal", reason);
            (None, None)
        }),
        None => (None, None),
    };

    let geographic_coverage = match record.get("spatial") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => split_spatial(text),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split_spatial)
            .collect(),
        Some(other) => {
            warn(
                "spatial",
                format!("{} is not a place name; ignored", json_type(other)),
            );
            Vec::new()
        }
    };

    let released_on = text_field(record, "issued", warn).and_then(|text| {
        parse_issued(&text).map_or_else(
            |reason| {
                warn("issued", reason);
                None
            },
            Some,
        )
    });

    let identifier = text_field(record, "identifier", warn);
    let landing_page = text_field(record, "landingPage", warn);
    let distribution_urls: Vec<String> = match record.get("distribution") {
        Some(Value::Array(items)) => items
            .iter()
            .flat_map(|item| {
                ["accessURL", "downloadURL"]
                    .into_iter()
                    .filter_map(|key| item.get(key)?.as_str().map(str::to_owned))
            })
            .collect(),
        _ => Vec::new(),
    };
    let doi = identifier
        .as_deref()
        .and_then(find_doi)
        .or_else(|| distribution_urls.iter().find_map(|url| find_doi(url)))
        .or_else(|| landing_page.as_deref().and_then(find_doi));
    let study_number = [
        doi.as_deref(),
        identifier.as_deref(),
        landing_page.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(find_study_number);
    let version = doi.as_deref().and_then(icpsr_version);
    let url = landing_page
        .clone()
        .or_else(|| doi.as_ref().map(|doi| format!("https://doi.org/{doi}")));

    let series = match record.get("isPartOf") {
        None | Some(Value::Null) => None,
        Some(Value::String(parent)) => match titles.get(parent.trim()) {
            Some(title) => Some(title.clone()),
            None => {
                warn(
                    "isPartOf",
                    format!(
                        "no collection with identifier \"{}\" in this catalog; series left empty",
                        parent.trim()
                    ),
                );
                None
            }
        },
        Some(other) => {
            warn(
                "isPartOf",
                format!(
                    "must be a collection's identifier, not {}",
                    json_type(other)
                ),
            );
            None
        }
    };

    let publisher = match record.get("publisher") {
        None | Some(Value::Null) => {
            warn("publisher", "missing; no producer credited".into());
            Vec::new()
        }
        Some(value) => publisher_chain(value).unwrap_or_else(|reason| {
            warn("publisher", format!("{reason}; no producer credited"));
            Vec::new()
        }),
    };

    let input = DatasetInput {
        study_number,
        doi,
        title,
        summary,
        time_period,
        geographic_coverage,
        released_on,
        version,
        series,
        data_types: Vec::new(),
        subjects,
        url,
        producers: Vec::new(),
        synthetic: false,
    };
    Ok((input, publisher))
}

/// A trimmed, non-empty string field; another JSON type is warned about and ignored.
fn text_field(
    record: &Map<String, Value>,
    field: &str,
    warn: &mut impl FnMut(&str, String),
) -> Option<String> {
    match record.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Some(Value::Number(number)) if field == "identifier" || field == "isPartOf" => {
            Some(number.to_string())
        }
        Some(other) => {
            warn(
                field,
                format!("must be a string, not {}; ignored", json_type(other)),
            );
            None
        }
    }
}

/// A list of strings (or one string); other items are warned about and skipped.
fn string_list(
    record: &Map<String, Value>,
    field: &str,
    warn: &mut impl FnMut(&str, String),
) -> Vec<String> {
    match record.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => vec![collapse_whitespace(text)],
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => out.push(collapse_whitespace(text)),
                    Value::Null => {}
                    other => warn(
                        &format!("{field}[{i}]"),
                        format!("must be a string, not {}; skipped", json_type(other)),
                    ),
                }
            }
            out.retain(|v| !v.is_empty());
            out
        }
        Some(other) => {
            warn(
                field,
                format!(
                    "must be a list of strings, not {}; ignored",
                    json_type(other)
                ),
            );
            Vec::new()
        }
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `spatial` as place names: one per `;`, `|` or line; commas stay ("Washington, DC").
fn split_spatial(text: &str) -> Vec<String> {
    text.split([';', '|', '\n', '\r'])
        .map(collapse_whitespace)
        .filter(|place| !place.is_empty())
        .collect()
}

/// The publisher and its parents, root first.
fn publisher_chain(value: &Value) -> Result<Vec<Org>, String> {
    let mut chain: Vec<Org> = Vec::new(); // leaf first while walking
    let mut current = Some(value);
    while let Some(node) = current {
        if chain.len() > MAX_DEPTH {
            return Err(format!(
                "subOrganizationOf nested more than {MAX_DEPTH} deep"
            ));
        }
        match node {
            Value::Null => break,
            Value::String(text) => {
                // A plain name ("U.S. Department of Justice. Office of Justice Programs").
                let mut parts = split_producer_name(text);
                parts.reverse();
                chain.extend(parts.into_iter().map(|name| Org {
                    name: path_safe(&name),
                    acronym: None,
                }));
                break;
            }
            Value::Object(org) => {
                let name = org
                    .get("name")
                    .and_then(Value::as_str)
                    .map(collapse_whitespace)
                    .filter(|n| !n.is_empty());
                let Some(name) = name else {
                    return Err(if chain.is_empty() {
                        "has no name".to_owned()
                    } else {
                        format!(
                            "the organization above \"{}\" has no name",
                            chain[chain.len() - 1].name
                        )
                    });
                };
                let acronym = ["acronym", "abbreviation"]
                    .iter()
                    .find_map(|key| org.get(*key).and_then(Value::as_str))
                    .map(collapse_whitespace)
                    .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case(&name));
                chain.push(Org {
                    name: path_safe(&name),
                    acronym,
                });
                current = org
                    .get("subOrganizationOf")
                    .or_else(|| org.get("parentOrganization"));
            }
            other => return Err(format!("must be an organization, not {}", json_type(other))),
        }
    }
    if chain.is_empty() {
        return Err("names no organization".into());
    }
    chain.reverse();
    Ok(chain)
}

/// Producer paths are joined with `" > "`, so a name must not contain it.
fn path_safe(name: &str) -> String {
    name.replace(" > ", " - ")
}

// ---------------------------------------------------------------------------------------------
// Values.

/// The years a DCAT-US `temporal` covers, `(start, end)`, either open.
///
/// Reads ISO 8601 intervals (`2005-01-01/2005-12-31`, timestamps such as
/// `2021-12-01T00:00:00.0000000/2021-12-31T00:00:00.0000000`, `2000/..`, a start or end with a
/// duration: `2000-01-15/P1M`, repeating `R/2000/P1Y`), a single date or year (`2005`,
/// `2005-06`), and year ranges as people write them (`2005-2010`, `2005 - 2010`, `2005–2010`,
/// `2005 to 2010`). The reason says why another text is not read; a start after the end is
/// refused too.
pub fn parse_temporal(text: &str) -> Result<(Option<i32>, Option<i32>), String> {
    let bad = || format!("\"{text}\" is not a period like 2005-01-01/2005-12-31 or 2005-2010");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    let (start, end) = if trimmed.contains('/') {
        let mut parts: Vec<&str> = trimmed.split('/').map(str::trim).collect();
        // Repeating interval: "R/…" or "R5/…".
        if parts.len() == 3
            && parts[0].starts_with(['R', 'r'])
            && parts[0][1..].bytes().all(|b| b.is_ascii_digit())
        {
            parts.remove(0);
        }
        let [a, b] = parts[..] else { return Err(bad()) };
        match (interval_end(a), interval_end(b)) {
            (Some(End::Date(s)), Some(End::Date(e))) => (Some(s.year()), Some(e.year())),
            (Some(End::Date(s)), Some(End::Open)) => (Some(s.year()), None),
            (Some(End::Open), Some(End::Date(e))) => (None, Some(e.year())),
            (Some(End::Date(s)), Some(End::Duration(d))) => {
                let last = d
                    .after(s.first_day())
                    .and_then(|e| e.pred_opt())
                    .ok_or_else(bad)?;
                (Some(s.year()), Some(chrono::Datelike::year(&last)))
            }
            (Some(End::Duration(d)), Some(End::Date(e))) => {
                let first = d
                    .before(e.last_day())
                    .and_then(|s| s.succ_opt())
                    .ok_or_else(bad)?;
                (Some(chrono::Datelike::year(&first)), Some(e.year()))
            }
            _ => return Err(bad()),
        }
    } else if let Some(date) = point(trimmed) {
        (Some(date.year()), Some(date.year()))
    } else {
        let range = [" to ", " through ", " thru ", "–", "—", " - ", "-"]
            .iter()
            .find_map(|sep| {
                let (a, b) = trimmed.split_once(sep)?;
                Some((point(a.trim())?, point(b.trim())?))
            });
        let (a, b) = range.ok_or_else(bad)?;
        (Some(a.year()), Some(b.year()))
    };
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(format!("\"{text}\": start {s} is after end {e}"));
    }
    Ok((start, end))
}

/// One side of an interval.
enum End {
    Date(PartialDateValue),
    Duration(Duration),
    Open,
}

fn interval_end(text: &str) -> Option<End> {
    if text.is_empty() || text == ".." {
        return Some(End::Open);
    }
    if text.starts_with(['P', 'p']) {
        return Duration::parse(text).map(End::Duration);
    }
    point(text).map(End::Date)
}

/// A date at any precision, or a timestamp's date part.
fn point(text: &str) -> Option<PartialDateValue> {
    let date = match text.find(['T', 't', ' ']) {
        Some(at) => {
            let time = text[at + 1..].trim();
            // "2005-01-01T00:00:00", "2005-01-01 00:00:00Z": the rest must look like a time.
            if !time.starts_with(|c: char| c.is_ascii_digit()) || !time.contains(':') {
                return None;
            }
            &text[..at]
        }
        None => text,
    };
    PartialDateValue::parse(date).ok()
}

trait DateBounds {
    fn year(&self) -> i32;
    fn first_day(&self) -> chrono::NaiveDate;
    fn last_day(&self) -> chrono::NaiveDate;
}

impl DateBounds for PartialDateValue {
    fn year(&self) -> i32 {
        self.year
    }

    fn first_day(&self) -> chrono::NaiveDate {
        let month = self.month.unwrap_or(1) as u32;
        let day = self.day.unwrap_or(1) as u32;
        chrono::NaiveDate::from_ymd_opt(self.year, month, day).unwrap_or_default()
    }

    fn last_day(&self) -> chrono::NaiveDate {
        let month = self.month.unwrap_or(12) as u32;
        match self.day {
            Some(day) => chrono::NaiveDate::from_ymd_opt(self.year, month, day as u32),
            None => chrono::NaiveDate::from_ymd_opt(self.year, month, 1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
                .and_then(|next| next.pred_opt()),
        }
        .unwrap_or_default()
    }
}

/// An ISO 8601 duration's calendar part (`P1Y2M10D`, `P3W`); hours and less are ignored.
struct Duration {
    months: u32,
    days: u64,
}

impl Duration {
    fn parse(text: &str) -> Option<Self> {
        let body = &text[1..];
        let date_part = body.split(['T', 't']).next().unwrap_or("");
        let (mut months, mut days, mut number, mut any) = (0u32, 0u64, String::new(), false);
        for c in date_part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: u64 = number.parse().ok()?;
            number.clear();
            any = true;
            match c.to_ascii_uppercase() {
                'Y' => months += u32::try_from(n.checked_mul(12)?).ok()?,
                'M' => months += u32::try_from(n).ok()?,
                'W' => days += n.checked_mul(7)?,
                'D' => days += n,
                _ => return None,
            }
        }
        if !number.is_empty() || (!any && body.len() == date_part.len()) {
            return None;
        }
        Some(Self { months, days })
    }

    fn after(&self, start: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        start
            .checked_add_months(chrono::Months::new(self.months))?
            .checked_add_days(chrono::Days::new(self.days))
    }

    fn before(&self, end: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        end.checked_sub_months(chrono::Months::new(self.months))?
            .checked_sub_days(chrono::Days::new(self.days))
    }
}

/// `issued` at its precision: `2005`, `2005-10`, `2005-10-15`, or a timestamp's date.
fn parse_issued(text: &str) -> Result<PartialDateValue, String> {
    point(text).ok_or_else(|| {
        format!("\"{text}\" is not a date like 2005, 2005-10, 2005-10-15 or 2005-10-15T00:00:00")
    })
}

/// A DOI in an identifier (`10.3886/…`, `doi:10.…`) or a resolver or publisher link
/// (`https://doi.org/10.…`, `…/doi/10.…`), without query or fragment.
fn find_doi(text: &str) -> Option<String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let start = if lower.starts_with("10.") {
        0
    } else {
        ["doi.org/10.", "doi:10.", "doi: 10.", "/doi/10."]
            .iter()
            .find_map(|marker| lower.find(marker).map(|at| at + marker.len() - 3))?
    };
    let candidate = &text[start..];
    let end = candidate
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '?' | '#'))
        .unwrap_or(candidate.len());
    let doi = candidate[..end].trim_end_matches(['.', ',', ';', ')']);
    let (prefix, suffix) = doi.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    let digits = registrant.split('.').next().unwrap_or("");
    if digits.len() < 4 || !registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if suffix.is_empty() {
        return None;
    }
    Some(normalize_doi(doi))
}

/// `ICPSR20423`, `ICPSR 20423`, `ICPSR06999` (→ `6999`), or an ICPSR study page
/// (`https://www.icpsr.umich.edu/web/NACJD/studies/20423`).
fn find_study_number(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("icpsr") {
        let rest = &lower[from + at + 5..];
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        if let Some(number) = leading_number(rest) {
            return Some(number);
        }
        from += at + 5;
    }
    if lower.contains("icpsr.umich.edu") {
        let at = lower.find("/studies/")?;
        return leading_number(&lower[at + "/studies/".len()..]);
    }
    None
}

/// The digits at the start of `text` (at least 3, not followed by a letter), without leading
/// zeros.
fn leading_number(text: &str) -> Option<String> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let next = text[digits.len()..].chars().next();
    if digits.len() < 3 || next.is_some_and(|c| c.is_ascii_alphabetic() && c != 'v') {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `v1` from an ICPSR DOI `10.3886/ICPSR20423.v1`.
fn icpsr_version(doi: &str) -> Option<String> {
    if !doi.to_ascii_lowercase().starts_with("10.3886/icpsr") {
        return None;
    }
    let (_, version) = doi.rsplit_once('.')?;
    let number = version.strip_prefix(['v', 'V'])?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then(|| format!("v{number}"))
}

// ---------------------------------------------------------------------------------------------
// Producer names.

/// Words that end with a period without ending a name ("U.S." is caught by its inner period,
/// initials by their single letter).
const ABBREVIATIONS: &[&str] = &[
    "inc", "co", "corp", "ltd", "llc", "dept", "dep", "univ", "st", "ste", "jr", "sr", "dr", "mr",
    "mrs", "ms", "prof", "no", "nos", "assn", "assoc", "natl", "nat", "intl", "int", "bros", "mt",
    "ft", "ave", "govt", "gov", "admin", "div", "inst", "ctr", "etc", "vs",
];

/// Words that make a comma-separated piece a unit of its own ("…, Office of Justice Programs")
/// rather than part of the name before it ("…, San Francisco", "…, Tobacco, Firearms and
/// Explosives").
const UNIT_WORDS: &[&str] = &[
    "academy",
    "administration",
    "agency",
    "archive",
    "archives",
    "association",
    "authority",
    "board",
    "branch",
    "bureau",
    "bureaus",
    "census",
    "center",
    "centers",
    "centre",
    "centres",
    "college",
    "commission",
    "committee",
    "company",
    "consortium",
    "corporation",
    "council",
    "court",
    "courts",
    "department",
    "departments",
    "directorate",
    "division",
    "foundation",
    "group",
    "hospital",
    "institute",
    "institutes",
    "institution",
    "laboratory",
    "laboratories",
    "ministry",
    "office",
    "offices",
    "police",
    "program",
    "programme",
    "programs",
    "project",
    "school",
    "section",
    "service",
    "services",
    "society",
    "survey",
    "unit",
    "university",
];

/// Last words that make a piece a place even with a unit word ("College Park").
const PLACE_WORDS: &[&str] = &["park", "station", "heights", "city"];

/// Splits a producer written as one string into its hierarchy, root first:
/// ICPSR's periods ("United States Department of Justice. Office of Justice Programs. National
/// Institute of Justice") and NCJRS's commas ("United States Department of Justice, National
/// Institute of Justice") alike. A period ends a level only before a capital and not after an
/// abbreviation ("U.S.", "Inc.", an initial); a comma does only before a piece that names a unit
/// (a word such as Office, Bureau, Institute, Division, University, not a place such as
/// "College Park"), so "University of California, San Francisco", "Bureau of Alcohol, Tobacco,
/// Firearms and Explosives" and "Westat, Inc." stay whole.
pub fn split_producer_name(text: &str) -> Vec<String> {
    let text = collapse_whitespace(text);
    split_on_periods(&text)
        .iter()
        .flat_map(|segment| split_on_commas(segment))
        .filter(|part| !part.is_empty())
        .collect()
}

fn split_on_periods(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if c != '.' {
            continue;
        }
        let word_start = text[..at].rfind(' ').map_or(0, |s| s + 1);
        let word = &text[word_start.max(start)..at];
        if is_abbreviation(word) {
            continue;
        }
        match chars.get(k + 1) {
            // The end: drop the final period.
            None => {
                out.push(text[start..at].trim().to_owned());
                start = text.len();
            }
            Some((_, ' ')) => {
                let next = chars.get(k + 2).map(|&(_, c)| c);
                if next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) {
                    out.push(text[start..at].trim().to_owned());
                    start = at + 1;
                }
            }
            Some(_) => {}
        }
    }
    if start < text.len() {
        out.push(text[start..].trim().to_owned());
    }
    out.retain(|s| !s.is_empty());
    out
}

fn is_abbreviation(word: &str) -> bool {
    let word = word.trim_start_matches(['(', '[', '"', '\'']);
    if word.is_empty() || word.contains('.') {
        return true;
    }
    let mut letters = word.chars();
    if let (Some(c), None) = (letters.next(), letters.next())
        && c.is_alphabetic()
    {
        return true; // an initial
    }
    ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

fn split_on_commas(segment: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in segment.split(',').map(str::trim) {
        match out.last_mut() {
            Some(last) if !is_unit(piece) => {
                last.push_str(", ");
                last.push_str(piece);
            }
            _ => out.push(piece.to_owned()),
        }
    }
    out
}

fn is_unit(piece: &str) -> bool {
    if !piece.starts_with(|c: char| c.is_uppercase()) {
        return false;
    }
    let words: Vec<String> = piece
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    words.iter().any(|w| UNIT_WORDS.contains(&w.as_str())) && !PLACE_WORDS.contains(&last.as_str())
}

fn looks_like_archive(org: &Org) -> bool {
    let name = org.name.to_lowercase();
    let acronym = org.acronym.as_deref().unwrap_or("").to_ascii_uppercase();
    matches!(acronym.as_str(), "ICPSR" | "NACJD" | "NACDA")
        || matches!(name.as_str(), "icpsr" | "nacjd" | "nacda")
        || name.contains("data archive")
        || name.contains("archive of")
        || name.contains("data repository")
        || name.contains("consortium for political and social research")
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// A producer of a chain, resolved: its id, its path from the root (by own names) and whether
/// it is credited as a distributor.
#[derive(Clone)]
struct Resolved {
    id: i64,
    path: String,
    archive: bool,
}

async fn load_into(
    txn: &DatabaseTransaction,
    catalog: Catalog,
    report: &mut Report,
) -> Result<(), ImportError> {
    let name = catalog.name;
    report.warnings.extend(catalog.warnings);
    let mut chains: HashMap<String, Resolved> = HashMap::new();
    let mut seen_keys: HashSet<String> = HashSet::new();
    for record in catalog.records {
        let Prepared {
            line,
            index,
            mut input,
            publisher,
        } = record;
        let at = |field: String, reason: String| RecordError {
            file: name.clone(),
            line,
            field: record_field(index, &field),
            reason,
        };
        let step = async {
            let publisher = if publisher.is_empty() {
                None
            } else {
                Some(resolve_chain(txn, &publisher, &mut chains, &mut report.summary).await?)
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
                (None, Some(doi)) => format!("doi {}", doi.to_lowercase()),
                (None, None) => format!(
                    "title {} {}",
                    publisher.as_ref().map_or(0, |p| p.id),
                    input.title
                ),
            };
            if !seen_keys.insert(key) {
                report.warnings.push(format!(
                    "{name}:{line}: dataset[{index}]: same {} as an earlier record of this catalog; it updates that dataset",
                    if keyless { "title and publisher" } else { "study number or DOI" }
                ));
            }
            let fallback = if keyless {
                report.keyless += 1;
                keyless_match(txn, &input.title, publisher.as_ref().map(|p| p.id)).await?
            } else {
                None
            };
            let (_, created) = upsert::dataset_or(txn, input, fallback).await?;
            if created {
                report.summary.datasets += 1;
            } else {
                report.updated += 1;
            }
            Ok::<(), UpsertError>(())
        };
        match step.await {
            Ok(()) => {}
            Err(UpsertError::Invalid { field, reason }) => return Err(at(field, reason).into()),
            Err(UpsertError::Db(err)) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Finds or creates every level of a publisher chain (root first); returns the last.
async fn resolve_chain(
    txn: &DatabaseTransaction,
    chain: &[Org],
    cache: &mut HashMap<String, Resolved>,
    summary: &mut Summary,
) -> Result<Resolved, UpsertError> {
    let mut key = String::new();
    let mut parent: Option<Resolved> = None;
    for (depth, org) in chain.iter().enumerate() {
        if depth > 0 {
            key.push_str(" > ");
        }
        key.push_str(&org.name.to_lowercase());
        if let Some(hit) = cache.get(&key) {
            parent = Some(hit.clone());
            continue;
        }
        let scope = Some(parent.as_ref().map(|p| p.id));
        let mut found = pick(
            lookup::producers_named(txn, &org.name, scope).await?,
            &org.name,
        );
        if found.is_none()
            && let Some(acronym) = &org.acronym
        {
            found = pick(lookup::producers_named(txn, acronym, scope).await?, acronym);
        }
        let mut path = None;
        if found.is_none() && depth == 0 {
            let mut anywhere: Vec<producer::Model> = lookup::producers_named(txn, &org.name, None)
                .await?
                .into_iter()
                .filter(|p| p.name.eq_ignore_ascii_case(&org.name))
                .collect();
            if anywhere.len() == 1 {
                let model = anywhere.remove(0);
                path = Some(path_of(txn, &model).await?);
                found = Some(model);
            }
        }
        let resolved = match found {
            Some(model) => Resolved {
                path: path.unwrap_or_else(|| child_path(parent.as_ref(), &model.name)),
                archive: match &model.kind {
                    Some(kind) => kind.eq_ignore_ascii_case(DATA_ARCHIVE),
                    None => looks_like_archive(org),
                },
                id: model.id,
            },
            None => {
                let archive = looks_like_archive(org);
                let input = upsert::ProducerInput {
                    name: org.name.clone(),
                    abbreviation: org.acronym.clone(),
                    aliases: Vec::new(),
                    kind: Some(
                        if archive {
                            DATA_ARCHIVE
                        } else {
                            GOVERNMENT_AGENCY
                        }
                        .to_owned(),
                    ),
                    location: None,
                    url: None,
                    parent: parent.as_ref().map(|p| p.path.clone()),
                };
                let (id, created) = upsert::producer(txn, input)
                    .await
                    .map_err(|err| in_field(err, "publisher"))?;
                if created {
                    summary.producers += 1;
                }
                Resolved {
                    id,
                    path: child_path(parent.as_ref(), &org.name),
                    archive,
                }
            }
        };
        cache.insert(key.clone(), resolved.clone());
        parent = Some(resolved);
    }
    parent.ok_or_else(|| invalid("publisher", "names no organization"))
}

/// Upsert errors about a producer's own fields, named after the record's field.
fn in_field(err: UpsertError, field: &str) -> UpsertError {
    match err {
        UpsertError::Invalid {
            field: inner,
            reason,
        } => invalid(field, format!("{inner}: {reason}")),
        other => other,
    }
}

/// The candidate whose own name is `name`, else the oldest.
fn pick(mut candidates: Vec<producer::Model>, name: &str) -> Option<producer::Model> {
    let exact = candidates
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name.trim()));
    match exact {
        Some(at) => Some(candidates.swap_remove(at)),
        None if candidates.is_empty() => None,
        None => Some(candidates.remove(0)),
    }
}

fn child_path(parent: Option<&Resolved>, name: &str) -> String {
    match parent {
        Some(parent) => format!("{} > {name}", parent.path),
        None => name.to_owned(),
    }
}

/// A producer's path from its root, by own names.
async fn path_of(
    txn: &DatabaseTransaction,
    model: &producer::Model,
) -> Result<String, UpsertError> {
    let mut names = vec![model.name.clone()];
    let mut parent = model.parent_id;
    while let Some(id) = parent {
        if names.len() > MAX_DEPTH {
            break;
        }
        let Some(up) = producer::Entity::find_by_id(id).one(txn).await? else {
            break;
        };
        names.push(up.name);
        parent = up.parent_id;
    }
    names.reverse();
    Ok(names.join(" > "))
}

/// The oldest dataset without DOI and study number titled `title` (and credited to
/// `publisher`, when there is one).
async fn keyless_match(
    txn: &DatabaseTransaction,
    title: &str,
    publisher: Option<i64>,
) -> Result<Option<i64>, UpsertError> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT d.id AS id FROM dataset d WHERE d.doi IS NULL AND d.study_number IS NULL AND d.title = ")
        .bind(title.to_owned());
    if let Some(publisher) = publisher {
        sql.push(
            " AND EXISTS (SELECT 1 FROM dataset_producer c WHERE c.dataset_id = d.id AND c.producer_id = ",
        )
        .bind(publisher)
        .push(")");
    }
    sql.push(" ORDER BY d.id LIMIT 1");
    match txn.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(row.try_get::<i64>("", "id")?)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Where records start.

/// Lines of a catalog's structure: the `dataset` array (or the key naming it) and where each
/// of its elements starts.
struct Positions {
    array_line: usize,
    starts: Vec<usize>,
}

/// Scans JSON text that serde_json has already accepted for the start line of every element of
/// the top-level object's `dataset` array (or of a top-level array).
fn record_lines(text: &str) -> Positions {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut stack: Vec<u8> = Vec::new();
    let mut expect_key = false;
    let mut key_is_dataset = false;
    let mut target: Option<usize> = None;
    let mut expect_element = false;
    let mut positions = Positions {
        array_line: 1,
        starts: Vec::new(),
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if expect_element
            && target == Some(stack.len())
            && matches!(
                b,
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
            )
        {
            positions.starts.push(line);
            expect_element = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expect_key && stack == [b'{'] {
                    key_is_dataset = bytes.get(start..i) == Some(b"dataset".as_slice());
                    if key_is_dataset {
                        positions.array_line = line;
                    }
                    expect_key = false;
                }
            }
            b'{' | b'[' => {
                if b == b'[' && (stack.is_empty() || (stack == [b'{'] && key_is_dataset)) {
                    target = Some(stack.len() + 1);
                    expect_element = true;
                    positions.starts.clear();
                    if stack.is_empty() {
                        positions.array_line = line;
                    }
                }
                stack.push(b);
                if stack == [b'{'] {
                    expect_key = true;
                }
            }
            b'}' | b']' => {
                if target == Some(stack.len()) {
                    target = None;
                    expect_element = false;
                }
                stack.pop();
            }
            b',' => {
                if stack == [b'{'] {
                    expect_key = true;
                    key_is_dataset = false;
                }
                if target == Some(stack.len()) {
                    expect_element = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_records_start() {
        let text = "{\n \"x\": [1,\n2],\n \"dataset\": [\n  {\"title\": \"a\"},\n\n  {\"title\":\n \"b\"}, \"c\"\n ]\n}";
        let positions = record_lines(text);
        assert_eq!(positions.array_line, 4);
        assert_eq!(positions.starts, vec![5, 7, 8]);
        let positions = record_lines("[\n{}\n,{}]");
        assert_eq!(positions.starts, vec![2, 3]);
    }

    #[test]
    fn finds_dois_and_study_numbers() {
        assert_eq!(
            find_doi("https://doi.org/10.3886/ICPSR03151.v2").as_deref(),
            Some("10.3886/ICPSR03151.v2")
        );
        assert_eq!(find_doi("doi:10.1234/abc.").as_deref(), Some("10.1234/abc"));
        assert_eq!(find_doi("https://www.justice.gov/file/10.1234/x"), None);
        assert_eq!(find_doi("4092"), None);
        assert_eq!(
            find_study_number("10.3886/ICPSR03151.v2").as_deref(),
            Some("3151")
        );
        assert_eq!(find_study_number("ICPSR 20423").as_deref(), Some("20423"));
        assert_eq!(
            find_study_number("https://www.icpsr.umich.edu/web/NACJD/studies/20423").as_deref(),
            Some("20423")
        );
        assert_eq!(find_study_number("https://www.justice.gov/icpsr"), None);
        assert_eq!(
            icpsr_version("10.3886/ICPSR03151.v2").as_deref(),
            Some("v2")
        );
    }
}
