//! One Scholix link: its two sides (which is the publication, which the dataset, and the keys
//! to find them by) and what the link says about itself.

use serde_json::Value;

use super::relation::read_relation;
use crate::dates::PartialDateValue;
use crate::db::lookup::{
    collapse_whitespace, normalize_doi, normalize_ncj, normalize_study_number,
};
use crate::graphql::types::common::RelationType;

/// One Scholix link, read from the publication's side.
pub(super) struct Link {
    pub(super) publication: Side,
    pub(super) dataset: Side,
    /// Which side of the record the publication is: `Source` or `Target`.
    pub(super) publication_side: &'static str,
    pub(super) relation_type: RelationType,
    pub(super) source: Option<String>,
    pub(super) linked_on: Option<chrono::NaiveDate>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Literature,
    Dataset,
    Other,
}

/// What a link says about one of its works.
pub(super) struct Side {
    pub(super) kind: Kind,
    pub(super) type_name: String,
    pub(super) doi: Option<String>,
    pub(super) ncj_number: Option<String>,
    pub(super) study_number: Option<String>,
    pub(super) version: Option<String>,
    pub(super) url: Option<String>,
    pub(super) title: String,
    pub(super) creators: Vec<String>,
    pub(super) date: Option<PartialDateValue>,
}

pub(super) type FieldError = (String, String);

pub(super) fn read_link(record: &Value) -> Result<Link, FieldError> {
    if !record.is_object() {
        return Err((
            String::new(),
            format!("a link must be a JSON object, not {}", json_type(record)),
        ));
    }
    let source = read_side(record, "Source")?;
    let target = read_side(record, "Target")?;
    let relation = read_relation(record)?;
    let (publication, dataset, inverse) = match (source.kind, target.kind) {
        (Kind::Literature, Kind::Dataset) => (source, target, false),
        (Kind::Dataset, Kind::Literature) => (target, source, true),
        (Kind::Literature, _) => return Err(not_linkable("Target", &target, "a dataset")),
        (Kind::Dataset, _) => return Err(not_linkable("Target", &target, "literature")),
        (Kind::Other, _) => return Err(not_linkable("Source", &source, "literature or a dataset")),
    };
    let relation_type = relation.seen_from_publication(inverse);
    let source_name = match get(record, "LinkProvider") {
        Some(Value::Array(providers)) => providers
            .iter()
            .find_map(|p| get(p, "Name").and_then(scalar)),
        Some(provider @ Value::Object(_)) => get(provider, "Name").and_then(scalar),
        Some(Value::String(name)) => clean(name),
        Some(other) => {
            return Err((
                "LinkProvider".into(),
                format!(
                    "must be a list of {{\"Name\": …}}, not {}",
                    json_type(other)
                ),
            ));
        }
        None => None,
    };
    let linked_on = match text_field(record, "LinkPublicationDate")? {
        Some(text) => {
            let day = date_part(&text);
            Some(crate::dates::parse_day(day).ok_or_else(|| {
                (
                    "LinkPublicationDate".to_owned(),
                    format!("\"{text}\" is not a date like 2017-01-15"),
                )
            })?)
        }
        None => None,
    };
    Ok(Link {
        publication,
        dataset,
        publication_side: if inverse { "Target" } else { "Source" },
        relation_type,
        source: source_name,
        linked_on,
    })
}

fn not_linkable(field: &str, side: &Side, wanted: &str) -> FieldError {
    (
        format!("{field}.Type"),
        format!(
            "\"{}\": a link needs literature on one side and a dataset on the other; this side must be {wanted}",
            side.type_name
        ),
    )
}

fn read_side(record: &Value, key: &str) -> Result<Side, FieldError> {
    let object = match get(record, key) {
        Some(object @ Value::Object(_)) => object,
        Some(other) => {
            return Err((
                key.to_owned(),
                format!("must be an object, not {}", json_type(other)),
            ));
        }
        None => return Err((key.to_owned(), "missing".to_owned())),
    };
    let field = |name: &str| format!("{key}.{name}");
    let type_name = match get(object, "Type") {
        Some(Value::String(name)) => clean(name),
        Some(typed @ Value::Object(_)) => text_field(typed, "Name")
            .map_err(|(f, reason)| (format!("{}.{f}", field("Type")), reason))?,
        Some(other) => {
            return Err((
                field("Type"),
                format!("must be {{\"Name\": …}}, not {}", json_type(other)),
            ));
        }
        None => None,
    }
    .ok_or_else(|| (field("Type"), "missing: literature or dataset".to_owned()))?;
    let kind = match type_name.to_ascii_lowercase().as_str() {
        "literature" | "publication" => Kind::Literature,
        "dataset" => Kind::Dataset,
        _ => Kind::Other,
    };
    let ids = read_identifiers(object).map_err(|(f, reason)| (field(&f), reason))?;
    let doi = ids.doi;
    let url = ids.url;
    let ncj_number = ids.ncj_number.filter(|_| kind == Kind::Literature);
    let (study_number, version) = match doi.as_deref().and_then(icpsr_study) {
        Some((number, version)) if kind == Kind::Dataset => {
            (Some(ids.study_number.unwrap_or(number)), version)
        }
        _ => (ids.study_number.filter(|_| kind == Kind::Dataset), None),
    };
    let key_text = doi
        .clone()
        .or_else(|| ncj_number.as_ref().map(|n| format!("NCJ {n}")))
        .or_else(|| study_number.as_ref().map(|n| format!("ICPSR {n}")))
        .or_else(|| url.clone());
    let title = match get(object, "Title") {
        Some(Value::Array(titles)) => titles.iter().find_map(scalar),
        Some(value) => scalar(value),
        None => None,
    }
    .map(|t| collapse_whitespace(&t))
    .or(key_text)
    .unwrap_or_default();
    let creators = match get(object, "Creator") {
        Some(Value::Array(creators)) => creators
            .iter()
            .filter_map(|c| scalar(c).or_else(|| get(c, "Name").and_then(scalar)))
            .collect(),
        Some(creator) => scalar(creator)
            .or_else(|| get(creator, "Name").and_then(scalar))
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    let date = match text_field(object, "PublicationDate").map_err(|(f, r)| (field(&f), r))? {
        Some(text) => Some(PartialDateValue::parse(date_part(&text)).map_err(|_| {
            (
                field("PublicationDate"),
                format!("\"{text}\" is not a date like 2006, 2006-10 or 2006-10-15"),
            )
        })?),
        None => None,
    };
    Ok(Side {
        kind,
        type_name,
        doi,
        ncj_number,
        study_number,
        version,
        url,
        title,
        creators,
        date,
    })
}

struct Identifiers {
    doi: Option<String>,
    /// `{"IDScheme": "ncj", "ID": "NCJ 216547"}`, as studygraph's Scholix export writes it.
    ncj_number: Option<String>,
    /// `{"IDScheme": "icpsr", "ID": "ICPSR 20423"}`, likewise.
    study_number: Option<String>,
    url: Option<String>,
}

/// The DOI and the URL among a side's `Identifier` entries (a list, or one object).
fn read_identifiers(side: &Value) -> Result<Identifiers, FieldError> {
    let entries: Vec<&Value> = match get(side, "Identifier") {
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(entry @ Value::Object(_)) => vec![entry],
        Some(other) => {
            return Err((
                "Identifier".into(),
                format!(
                    "must be a list of {{\"ID\", \"IDScheme\", \"IDURL\"}}, not {}",
                    json_type(other)
                ),
            ));
        }
        None => Vec::new(),
    };
    let mut doi: Option<(String, Option<String>)> = None;
    let mut ncj_number: Option<String> = None;
    let mut study_number: Option<String> = None;
    let mut url: Option<String> = None;
    let mut handle: Option<String> = None;
    let mut other_url: Option<String> = None;
    let mut schemes: Vec<String> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = |name: &str| format!("Identifier[{i}].{name}");
        let id = text_field(entry, "ID").map_err(|(_, r)| (at("ID"), r))?;
        let scheme = text_field(entry, "IDScheme")
            .map_err(|(_, r)| (at("IDScheme"), r))?
            .unwrap_or_default()
            .to_ascii_lowercase();
        let id_url = text_field(entry, "IDURL").map_err(|(_, r)| (at("IDURL"), r))?;
        schemes.push(if scheme.is_empty() {
            "?".into()
        } else {
            scheme.clone()
        });
        if scheme == "doi" {
            let Some(id) = id.as_deref().or(id_url.as_deref()) else {
                return Err((at("ID"), "missing".into()));
            };
            let value = normalize_doi(id);
            if !is_doi(&value) {
                return Err((at("ID"), format!("\"{id}\" is not a DOI (10.…/…)")));
            }
            doi.get_or_insert((value, id_url.clone()));
            continue;
        }
        if let Some(found) = [id.as_deref(), id_url.as_deref()]
            .into_iter()
            .flatten()
            .find_map(doi_in_resolver_link)
        {
            doi.get_or_insert((found, None));
        }
        match scheme.as_str() {
            "ncj" => {
                let number = id.as_deref().map(normalize_ncj).unwrap_or_default();
                if !is_key(&number) {
                    return Err((at("ID"), "not an NCJ number (NCJ 216547)".into()));
                }
                ncj_number.get_or_insert(number);
            }
            "icpsr" => {
                let number = id
                    .as_deref()
                    .map(normalize_study_number)
                    .unwrap_or_default();
                if !is_key(&number) {
                    return Err((at("ID"), "not an ICPSR study number (ICPSR 20423)".into()));
                }
                study_number.get_or_insert(number);
                if other_url.is_none() {
                    other_url = id_url.clone();
                }
            }
            "url" => {
                if url.is_none() {
                    url = id.clone().or(id_url.clone());
                }
            }
            "handle" | "hdl" => {
                if handle.is_none() {
                    handle = id_url
                        .clone()
                        .or_else(|| id.as_ref().map(|h| format!("https://hdl.handle.net/{h}")));
                }
            }
            _ => {
                if other_url.is_none() {
                    other_url = id_url.clone();
                }
            }
        }
    }
    let (doi, url) = match doi {
        Some((doi, id_url)) => (
            Some(doi.clone()),
            Some(id_url.unwrap_or_else(|| format!("https://doi.org/{doi}"))),
        ),
        None => (None, url.or(handle).or(other_url)),
    };
    if doi.is_none() && url.is_none() && ncj_number.is_none() && study_number.is_none() {
        return Err((
            "Identifier".into(),
            if schemes.is_empty() {
                "missing".to_owned()
            } else {
                format!(
                    "no DOI or URL to find the work by (schemes: {})",
                    schemes.join(", ")
                )
            },
        ));
    }
    Ok(Identifiers {
        doi,
        ncj_number,
        study_number,
        url,
    })
}

/// An NCJ or study number: `216547`, or a synthetic record's `SYN-0001`; one word.
fn is_key(value: &str) -> bool {
    !value.is_empty() && !value.contains(char::is_whitespace)
}

fn is_doi(value: &str) -> bool {
    value.starts_with("10.") && value.split_once('/').is_some_and(|(_, s)| !s.is_empty())
}

/// The DOI of a resolver link (`https://doi.org/10.…`, `http://dx.doi.org/10.…`).
fn doi_in_resolver_link(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let rest = rest
        .strip_prefix("doi.org/")
        .or_else(|| rest.strip_prefix("dx.doi.org/"))?;
    let start = text.trim().len() - rest.len();
    let doi = normalize_doi(&text.trim()[start..]);
    is_doi(&doi).then_some(doi)
}

/// `10.3886/ICPSR20423.v1` → (`20423`, `v1`); `10.3886/ICPSR06999.v1` → `6999`.
fn icpsr_study(doi: &str) -> Option<(String, Option<String>)> {
    let (prefix, suffix) = doi.split_once('/')?;
    if prefix != "10.3886" || !suffix.get(..5)?.eq_ignore_ascii_case("icpsr") {
        return None;
    }
    let rest = &suffix[5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.trim_start_matches('0');
    if number.is_empty() {
        return None;
    }
    let tail = &rest[digits.len()..];
    let version = match tail.strip_prefix(".v").or_else(|| tail.strip_prefix(".V")) {
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Some(format!("v{v}")),
        _ if tail.is_empty() => None,
        _ => return None,
    };
    Some((number.to_owned(), version))
}

// JSON helpers

/// `object[key]`, by exact key or else ignoring case; `null` is absent.
pub(super) fn get<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    let map = object.as_object()?;
    let value = map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    (!value.is_null()).then_some(value)
}

/// A string (or number) value, trimmed; empty is `None`.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => clean(text),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `object[key]` as text: `Err((key, reason))` when it is neither a string nor a number.
pub(super) fn text_field(object: &Value, key: &str) -> Result<Option<String>, FieldError> {
    match get(object, key) {
        None => Ok(None),
        Some(value @ (Value::String(_) | Value::Number(_))) => Ok(scalar(value)),
        Some(other) => Err((
            key.to_owned(),
            format!("must be a string, not {}", json_type(other)),
        )),
    }
}

pub(super) fn clean(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `2017-01-15T10:00:00Z` → `2017-01-15`.
fn date_part(text: &str) -> &str {
    text.split(['T', ' ']).next().unwrap_or(text)
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icpsr_dois_give_study_numbers() {
        assert_eq!(
            icpsr_study("10.3886/ICPSR20423.v1"),
            Some(("20423".into(), Some("v1".into())))
        );
        assert_eq!(icpsr_study("10.3886/ICPSR06999.v2").unwrap().0, "6999");
        assert_eq!(
            icpsr_study("10.3886/icpsr04273"),
            Some(("4273".into(), None))
        );
        assert_eq!(icpsr_study("10.3886/E12345V1"), None);
        assert_eq!(icpsr_study("10.1000/ICPSR20423"), None);
    }

    #[test]
    fn dois_in_resolver_links() {
        assert_eq!(
            doi_in_resolver_link("https://doi.org/10.3886/ICPSR20423.v1").as_deref(),
            Some("10.3886/ICPSR20423.v1")
        );
        assert_eq!(doi_in_resolver_link("https://example.org/10.1/x"), None);
    }
}
