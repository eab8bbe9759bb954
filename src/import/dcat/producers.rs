//! Publishers: reading a `publisher` and its `subOrganizationOf` chain, and resolving the chain
//! to producers (found by name, abbreviation, alias or acronym, else created), root first.

use std::collections::HashMap;

use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::Value;

use super::catalog::json_type;
use crate::db::entities::producer;
use crate::db::lookup::collapse_whitespace;
use crate::db::lookup::{self, ProducerLookupError};
use crate::db::producer_names::split_producer_name;
use crate::import::Summary;
use crate::import::upsert::{self, UpsertError, invalid};

/// The kind given to producers created from a publisher chain.
pub const GOVERNMENT_AGENCY: &str = "government agency";
/// The kind given to (and recognised on) data archives.
pub const DATA_ARCHIVE: &str = "data archive";

/// A chain deeper than this is taken for a cycle.
const MAX_DEPTH: usize = 16;

/// One organization of a publisher chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Org {
    name: String,
    acronym: Option<String>,
}

/// The publisher and its parents, root first.
pub(super) fn publisher_chain(value: &Value) -> Result<Vec<Org>, String> {
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

/// A producer of a chain, resolved: its id, its path from the root (by own names) and whether
/// it is credited as a distributor.
#[derive(Clone)]
pub(super) struct Resolved {
    pub(super) id: i64,
    pub(super) path: String,
    pub(super) archive: bool,
}

/// Finds or creates every level of a publisher chain (root first); returns the last.
pub(super) async fn resolve_chain(
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
        if found.is_none()
            && let Some(above) = &parent
        {
            // A level the name skips ("United States Department of Justice, National Institute
            // of Justice", NIJ being under OJP): the one producer so called below the parent.
            match lookup::one_named_below(txn, &org.name, above.id).await {
                Ok(model) => {
                    path = Some(path_of(txn, &model).await?);
                    found = Some(model);
                }
                Err(ProducerLookupError::Db(err)) => return Err(err.into()),
                Err(ProducerLookupError::NotFound(_) | ProducerLookupError::Ambiguous { .. }) => {}
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
