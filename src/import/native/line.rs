//! One line of the native format: the records a line may hold, parsed with the path of any
//! field that fails, then checked and normalised into what the upsert path writes.

use serde::Deserialize;

use super::Input;
use crate::dates::{PartialDateValue, not_a_day, parse_day};
use crate::db::lookup::{normalize_ncj, normalize_study_number};
use crate::graphql::types::common::{ProducerRole, RelationType};
use crate::import::repeated_keys::{Checked, GIVEN_TWICE, field_path};
use crate::import::upsert::{self, CreditInput, KeyInput, UpsertError, invalid};

/// One line, by its `type`.
pub(super) enum Record {
    Producer(ProducerRecord),
    Publication(PublicationRecord),
    Dataset(DatasetRecord),
    Link(LinkRecord),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ProducerRecord {
    name: String,
    abbreviation: Option<String>,
    aliases: Option<Vec<String>>,
    kind: Option<String>,
    location: Option<String>,
    url: Option<String>,
    parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditRecord {
    producer: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PublicationRecord {
    ncj_number: Option<String>,
    doi: Option<String>,
    title: String,
    subtitle: Option<String>,
    publication_type: Option<String>,
    published_on: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    physical_description: Option<String>,
    place_of_production: Option<String>,
    language: Option<String>,
    url: Option<String>,
    authors: Option<Vec<String>>,
    subjects: Option<Vec<String>>,
    producers: Option<Vec<CreditRecord>>,
    synthetic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRangeRecord {
    start: Option<Year>,
    end: Option<Year>,
}

/// A year of a time period: a whole number that fits the database's column (an `i32`). JSON
/// has one kind of number, and JSON Schema counts `2005.0` as the integer 2005: it is read as
/// 2005 too, as the schema says (it was refused, "expected i32").
struct Year(i32);

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Year;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(
                    f,
                    "a year: a whole number from {} to {}",
                    i32::MIN,
                    i32::MAX
                )
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Year, E> {
                i32::try_from(v)
                    .map(Year)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Year, E> {
                i32::try_from(v)
                    .map(Year)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Year, E> {
                let whole =
                    v.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&v);
                if whole {
                    Ok(Year(v as i32))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct DatasetRecord {
    study_number: Option<String>,
    doi: Option<String>,
    title: String,
    summary: Option<String>,
    time_period: Option<YearRangeRecord>,
    geographic_coverage: Option<Vec<String>>,
    released_on: Option<String>,
    version: Option<String>,
    series: Option<String>,
    data_types: Option<Vec<String>>,
    subjects: Option<Vec<String>>,
    url: Option<String>,
    producers: Option<Vec<CreditRecord>>,
    synthetic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublicationKey {
    ncj_number: Option<String>,
    doi: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DatasetKey {
    study_number: Option<String>,
    doi: Option<String>,
    url: Option<String>,
}

/// The one key a link gives for its `side` (`(field, column, value)` for each key it may
/// give); none or several is an error.
fn link_key(
    side: &str,
    keys: [(&'static str, &'static str, Option<String>); 3],
) -> Result<KeyInput, UpsertError> {
    let names: Vec<&str> = keys.iter().map(|(field, _, _)| *field).collect();
    let mut given = keys
        .into_iter()
        .filter_map(|(field, column, value)| value.map(|value| (field, column, value)));
    match (given.next(), given.next()) {
        (Some((field, column, value)), None) => Ok(KeyInput {
            field,
            column,
            value,
        }),
        (None, _) => Err(invalid(side, format!("needs one of {}", names.join(", ")))),
        (Some(_), Some(_)) => Err(invalid(
            side,
            format!("give exactly one key (one of {})", names.join(", ")),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LinkRecord {
    publication: PublicationKey,
    dataset: DatasetKey,
    relation_type: String,
    source: Option<String>,
    linked_on: Option<String>,
}

/// Parses one line; the error is `(field path, reason)`. A field given twice is refused (as an
/// unknown field is): JSON keeps only one of its values.
pub(super) fn parse_line(line: &str) -> Result<Record, (String, String)> {
    let Checked { value, repeated } =
        serde_json::from_str(line).map_err(|err| ("record".to_owned(), without_position(&err)))?;
    if !value.is_object() {
        return Err((
            "record".into(),
            "not a JSON object: each line is one record, an object with a \"type\"".into(),
        ));
    }
    if let Some(path) = repeated.first() {
        return Err((field_path(path), GIVEN_TWICE.into()));
    }
    if let Some(field) = crate::import::field_with_nul(&value, "") {
        return Err((field, crate::import::HOLDS_NUL.into()));
    }
    let kind = match value.get("type") {
        Some(serde_json::Value::String(kind)) => kind.clone(),
        Some(_) => return Err(("type".into(), "must be a string".into())),
        None => {
            return Err((
                "type".into(),
                "missing: one of producer, publication, dataset, link".into(),
            ));
        }
    };
    let mut fields = value;
    if let Some(object) = fields.as_object_mut() {
        object.remove("type");
    }
    match kind.as_str() {
        "producer" => typed(fields).map(Record::Producer),
        "publication" => typed(fields).map(Record::Publication),
        "dataset" => typed(fields).map(Record::Dataset),
        "link" => typed(fields).map(Record::Link),
        other => Err((
            "type".into(),
            format!("unknown record type \"{other}\": one of producer, publication, dataset, link"),
        )),
    }
}

/// Deserializes one record's fields, naming the field that failed.
fn typed<T: serde::de::DeserializeOwned>(fields: serde_json::Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(fields).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let reason = without_position(err.inner());
        // A missing field's path is the object missing it, and an unknown field at the top
        // comes without a path: name the field.
        let named = |prefix: &str| {
            reason
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        };
        let field = match (named("missing field `"), named("unknown field `")) {
            (Some(name), _) if path.is_empty() => name,
            (Some(name), _) => format!("{path}.{name}"),
            (None, _) if !path.is_empty() => path,
            (None, Some(name)) => name,
            (None, None) => "record".to_owned(),
        };
        (field, reason)
    })
}

/// serde_json appends " at line 1 column N", which only repeats the line we name.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

/// A natural key in its stored form (see `db::keys`), or why it is none: a value that is only
/// its prefix ("NCJ", "ICPSR", "doi:") was stored as the empty key and merged works, and a DOI
/// must be one ("N/A" was a key shared by every record that wrote it).
fn key(
    field: &str,
    value: Option<String>,
    form: fn(&str) -> Result<String, String>,
) -> Result<Option<String>, UpsertError> {
    clean(value)
        .map(|value| form(&value).map_err(|reason| invalid(field, reason)))
        .transpose()
}

fn ncj(value: &str) -> Result<String, String> {
    Some(normalize_ncj(value))
        .filter(|key| !key.is_empty())
        .ok_or_else(|| format!("\"{value}\" has no number after its prefix"))
}

fn study(value: &str) -> Result<String, String> {
    Some(normalize_study_number(value))
        .filter(|key| !key.is_empty())
        .ok_or_else(|| format!("\"{value}\" has no number after its prefix"))
}

fn doi(value: &str) -> Result<String, String> {
    crate::db::lookup::parse_doi(value)
}

/// Checks and normalises one parsed record.
pub(super) fn to_input(record: Record) -> Result<Input, UpsertError> {
    Ok(match record {
        Record::Producer(r) => {
            let name = required("name", r.name)?;
            let input = upsert::ProducerInput {
                name,
                abbreviation: clean(r.abbreviation),
                aliases: r.aliases.unwrap_or_default(),
                kind: clean(r.kind),
                location: clean(r.location),
                url: clean(r.url),
                parent: parent(r.parent)?,
            };
            Input::Producer(input)
        }
        Record::Publication(r) => {
            let input = upsert::PublicationInput {
                ncj_number: key("ncjNumber", r.ncj_number, ncj)?,
                doi: key("doi", r.doi, doi)?,
                title: required("title", r.title)?,
                subtitle: clean(r.subtitle),
                publication_type: clean(r.publication_type),
                published_on: partial_date("publishedOn", r.published_on)?,
                abstract_text: clean(r.abstract_text),
                physical_description: clean(r.physical_description),
                place_of_production: clean(r.place_of_production),
                language: clean(r.language),
                url: clean(r.url),
                authors: r.authors.unwrap_or_default(),
                subjects: r.subjects.unwrap_or_default(),
                producers: credits(r.producers)?,
                synthetic: r.synthetic.unwrap_or(false),
            };
            Input::Publication(input)
        }
        Record::Dataset(r) => {
            let year = |year: Option<Year>| year.map(|Year(year)| year);
            let period = r
                .time_period
                .map_or((None, None), |p| (year(p.start), year(p.end)));
            let input = upsert::DatasetInput {
                study_number: key("studyNumber", r.study_number, study)?,
                doi: key("doi", r.doi, doi)?,
                title: required("title", r.title)?,
                summary: clean(r.summary),
                time_period: period,
                geographic_coverage: r.geographic_coverage.unwrap_or_default(),
                released_on: partial_date("releasedOn", r.released_on)?,
                version: clean(r.version),
                series: clean(r.series),
                data_types: r.data_types.unwrap_or_default(),
                subjects: r.subjects.unwrap_or_default(),
                url: clean(r.url),
                producers: credits(r.producers)?,
                synthetic: r.synthetic.unwrap_or(false),
            };
            Input::Dataset(input)
        }
        Record::Link(r) => {
            let publication = link_key(
                "publication",
                [
                    (
                        "ncjNumber",
                        "ncj_number",
                        key("publication.ncjNumber", r.publication.ncj_number, ncj)?,
                    ),
                    (
                        "doi",
                        "doi",
                        key("publication.doi", r.publication.doi, doi)?,
                    ),
                    ("url", "url", clean(r.publication.url)),
                ],
            )?;
            let dataset = link_key(
                "dataset",
                [
                    (
                        "studyNumber",
                        "study_number",
                        key("dataset.studyNumber", r.dataset.study_number, study)?,
                    ),
                    ("doi", "doi", key("dataset.doi", r.dataset.doi, doi)?),
                    ("url", "url", clean(r.dataset.url)),
                ],
            )?;
            let relation_type = RelationType::parse_name(&r.relation_type).ok_or_else(|| {
                invalid(
                    "relationType",
                    format!("unknown relation type \"{}\"", r.relation_type),
                )
            })?;
            let linked_on = match clean(r.linked_on) {
                Some(text) => {
                    Some(parse_day(&text).ok_or_else(|| invalid("linkedOn", not_a_day(&text)))?)
                }
                None => None,
            };
            let input = upsert::LinkInput {
                publication,
                dataset,
                relation_type: relation_type.as_db().to_owned(),
                // A native record is the whole link: an omitted value is unknown.
                source: Some(clean(r.source)),
                linked_on: Some(linked_on),
            };
            Input::Link(input)
        }
    })
}

/// Trims; empty becomes `None`.
fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A producer's parent path: absent or `null` for a root. A blank one is refused: read as "no
/// parent", it silently made a root of a record whose parent was meant to be given.
fn parent(value: Option<String>) -> Result<Option<String>, UpsertError> {
    match value {
        Some(path) if path.trim().is_empty() => Err(invalid(
            "parent",
            "must not be blank; leave it out for a root",
        )),
        path => Ok(clean(path)),
    }
}

fn required(field: &str, value: String) -> Result<String, UpsertError> {
    clean(Some(value)).ok_or_else(|| invalid(field, "must not be empty"))
}

fn partial_date(
    field: &str,
    value: Option<String>,
) -> Result<Option<PartialDateValue>, UpsertError> {
    clean(value)
        .map(|text| PartialDateValue::parse(&text).map_err(|reason| invalid(field, reason)))
        .transpose()
}

fn credits(records: Option<Vec<CreditRecord>>) -> Result<Vec<CreditInput>, UpsertError> {
    records
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, credit)| {
            let role = ProducerRole::parse_name(&credit.role).ok_or_else(|| {
                invalid(
                    format!("producers[{i}].role"),
                    format!("unknown role \"{}\"", credit.role),
                )
            })?;
            Ok(CreditInput {
                producer: credit.producer,
                role: role.as_db().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any line is a record or a located error with a field and a reason — never a panic.
        #[test]
        fn arbitrary_lines_never_panic(line in ".{0,300}") {
            if let Err((field, reason)) = parse_line(&line) {
                prop_assert!(!field.is_empty() && !reason.is_empty());
            }
        }

        /// JSON objects of the right type with arbitrary fields are refused field by field.
        #[test]
        fn arbitrary_fields_are_named(kind in "(producer|publication|dataset|link)", key in "[a-zA-Z]{1,12}", value in any::<i64>()) {
            let line = serde_json::json!({ "type": kind, key.clone(): value }).to_string();
            if let Err((field, reason)) = parse_line(&line) {
                prop_assert!(!field.is_empty() && !reason.is_empty(), "{line}");
            }
        }
    }
}
