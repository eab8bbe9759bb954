//! Reading a catalog (no database): every record becomes a [`Prepared`] dataset and publisher
//! chain, or the reason it cannot, before anything is written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::identifiers::{find_doi, find_study_number, icpsr_version};
use super::lines::record_lines;
use super::producers::{Org, publisher_chain};
use super::temporal::{parse_issued, parse_temporal};
use crate::db::lookup::collapse_whitespace;
use crate::import::RecordError;
use crate::import::repeated_keys::{Checked, GIVEN_TWICE, Step, field_path};
use crate::import::upsert::DatasetInput;

/// One catalog record: where it is, its JSON (for a rejects file), and what it reads as, or
/// why it cannot be read `(field, reason)` (the field without the record's `dataset[N].`).
pub(super) struct Entry {
    pub(super) line: usize,
    pub(super) index: usize,
    pub(super) text: String,
    pub(super) prepared: Result<Prepared, (String, String)>,
}

/// One catalog record, read.
pub(super) struct Prepared {
    pub(super) input: DatasetInput,
    /// Root first.
    pub(super) publisher: Vec<Org>,
}

pub(super) struct Catalog {
    pub(super) name: String,
    pub(super) records: Vec<Entry>,
    pub(super) warnings: Vec<String>,
}

pub(super) fn parse_catalog(name: &str, text: &str) -> Result<Catalog, RecordError> {
    let at = |line: usize, field: &str, reason: String| RecordError {
        file: name.to_owned(),
        line,
        field: field.to_owned(),
        reason,
    };
    // Some agencies serve data.json with a byte order mark.
    let text = crate::import::without_bom(text);
    let Checked {
        value: root,
        repeated,
    } = serde_json::from_str(text).map_err(|err| {
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
    // A key given twice keeps only its last value: the record that repeats it is refused (and
    // skipped with --skip-invalid); a key the catalog itself repeats stops the run.
    let mut repeated_in: HashMap<usize, String> = HashMap::new();
    for path in &repeated {
        match in_record(path, root.is_object()) {
            Some((index, field)) => {
                repeated_in
                    .entry(index)
                    .or_insert_with(|| field_path(field));
            }
            None => return Err(at(1, &field_path(path), GIVEN_TWICE.into())),
        }
    }
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
            let identifier = identifier_text(entry.get("identifier")?)?;
            let title = entry.get("title")?.as_str().map(collapse_whitespace)?;
            (!identifier.is_empty() && !title.is_empty()).then_some((identifier, title))
        })
        .collect();
    let mut records = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let line = line_of(index);
        let mut warn = |field: &str, reason: String| {
            warnings.push(format!("{name}:{line}: dataset[{index}].{field}: {reason}"));
        };
        let prepared = match (
            repeated_in.remove(&index),
            crate::import::field_with_nul(entry, ""),
        ) {
            (Some(field), _) => Err((field, GIVEN_TWICE.to_owned())),
            (None, Some(field)) => Err((field, crate::import::HOLDS_NUL.to_owned())),
            (None, None) => read_record(entry, &titles, &mut warn)
                .map(|(input, publisher)| Prepared { input, publisher }),
        };
        records.push(Entry {
            line,
            index,
            text: serde_json::to_string(entry).unwrap_or_default(),
            prepared,
        });
    }
    Ok(Catalog {
        name: name.to_owned(),
        records,
        warnings,
    })
}

/// The record (by index) and the path within it of a key the catalog repeats
/// (`dataset[3].publisher.name`: `(3, publisher.name)`); `None` for a key of the catalog
/// itself. `in_object`: the records are the catalog object's `dataset`, not a bare array.
fn in_record(path: &[Step], in_object: bool) -> Option<(usize, &[Step])> {
    let path = match path.split_first() {
        Some((Step::Key(key), rest)) if in_object && key == "dataset" => rest,
        _ if in_object => return None,
        _ => path,
    };
    match path.split_first()? {
        (Step::Index(index), rest) if !rest.is_empty() => Some((*index, rest)),
        _ => None,
    }
}

pub(super) fn record_field(index: usize, field: &str) -> String {
    if field.is_empty() {
        format!("dataset[{index}]")
    } else {
        format!("dataset[{index}].{field}")
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
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
    let subjects = string_list(record, "keyword", warn, |text| {
        vec![collapse_whitespace(text)]
    });

    let time_period = match text_field(record, "temporal", warn) {
        Some(text) => parse_temporal(&text).unwrap_or_else(|reason| {
            warn("temporal", reason);
            (None, None)
        }),
        None => (None, None),
    };

    let geographic_coverage = string_list(record, "spatial", warn, split_spatial);

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
        Some(parent @ (Value::String(_) | Value::Number(_))) => {
            let parent = identifier_text(parent).unwrap_or_default();
            match titles.get(&parent) {
                Some(title) => Some(title.clone()),
                None => {
                    warn(
                        "isPartOf",
                        format!(
                            "no collection with identifier \"{parent}\" in this catalog; series left empty"
                        ),
                    );
                    None
                }
            }
        }
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
        Some(number @ Value::Number(_)) if field == "identifier" || field == "isPartOf" => {
            identifier_text(number)
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

/// An `identifier` (or the `isPartOf` naming one) as text: a string trimmed, a number as its
/// decimal string, so that `600`, `600.0` and `"600"` are the same identifier; `None` for
/// other types.
fn identifier_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => match number.as_f64() {
            Some(whole) if number.is_f64() && whole.fract() == 0.0 && whole.abs() < 1e15 => {
                Some(format!("{}", whole as i64))
            }
            _ => Some(number.to_string()),
        },
        _ => None,
    }
}

/// A list of strings (or one string), each `read` into values; a `null` item is skipped, other
/// items are warned about and skipped, so one bad item does not cost the others.
fn string_list(
    record: &Map<String, Value>,
    field: &str,
    warn: &mut impl FnMut(&str, String),
    read: fn(&str) -> Vec<String>,
) -> Vec<String> {
    match record.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => read(text),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => out.extend(read(text)),
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

/// `spatial` as place names: one per `;`, `|` or line; commas stay ("Washington, DC").
fn split_spatial(text: &str) -> Vec<String> {
    text.split([';', '|', '\n', '\r'])
        .map(collapse_whitespace)
        .filter(|place| !place.is_empty())
        .collect()
}
