//! Producers: resolving a path ("A > B") to a producer, with a per-run cache of resolved paths,
//! and writing a producer under its parent, found by its name, an alias or its abbreviation.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait};

use super::lists::replace_list;
use super::{NAMES_SIBLING, ProducerInput, Result, Target, UpsertError, invalid};
use crate::db::entities::{ValueList, producer};
use crate::db::lookup::{self, ProducerLookupError};
use crate::db::pages::Table;
use crate::db::search;

/// Finds the producer at `path`, naming `field` when it does not resolve.
pub async fn resolve_producer(
    txn: &DatabaseTransaction,
    field: &str,
    path: &str,
) -> Result<producer::Model> {
    if let Some(found) = cached_path(path) {
        return Ok(found);
    }
    let found = lookup::producer_by_path(txn, path)
        .await
        .map_err(|err| match err {
            ProducerLookupError::NotFound(prefix) => invalid(
                field,
                format!("no producer \"{prefix}\" (define it on an earlier line)"),
            ),
            ProducerLookupError::Ambiguous { name, candidates } => invalid(
                field,
                format!("\"{name}\" names {candidates} producers; give the path from the root"),
            ),
            ProducerLookupError::Db(err) => UpsertError::Db(err),
        })?;
    let _ =
        PRODUCER_PATHS.try_with(|cache| cache.borrow_mut().insert(path.to_owned(), found.clone()));
    Ok(found)
}

tokio::task_local! {
    /// Producer paths already resolved in this import run (the same few paths recur on most
    /// records). Set by an importer around its run; cleared whenever a producer is written.
    static PRODUCER_PATHS: std::cell::RefCell<std::collections::HashMap<String, producer::Model>>;
}

/// Runs `work` (one import run) with a cache of resolved producer paths.
pub async fn with_path_cache<F: std::future::Future>(work: F) -> F::Output {
    PRODUCER_PATHS.scope(Default::default(), work).await
}

fn cached_path(path: &str) -> Option<producer::Model> {
    PRODUCER_PATHS
        .try_with(|cache| cache.borrow().get(path).cloned())
        .ok()
        .flatten()
}

/// Empties this run's cache of resolved paths (a producer was written, or a record's writes
/// were undone).
pub fn forget_paths() {
    let _ = PRODUCER_PATHS.try_with(|cache| cache.borrow_mut().clear());
}

/// Inserts or updates the producer `name` under its parent. Returns its id and whether it is new.
pub async fn producer(txn: &DatabaseTransaction, input: ProducerInput) -> Result<(i64, bool)> {
    let parent = match &input.parent {
        Some(path) => Some(resolve_producer(txn, "parent", path).await?.id),
        None => None,
    };
    producer_under(txn, input, parent, Target::ByKey(None)).await
}

/// [`producer()`] under the parent with id `parent` (`input.parent` is not read), written to
/// `target`.
pub async fn producer_under(
    txn: &DatabaseTransaction,
    input: ProducerInput,
    parent: Option<i64>,
    target: Target,
) -> Result<(i64, bool)> {
    // Names are found with their whitespace collapsed; one stored with a double space or a
    // tab was never found by its own name (and a re-import inserted it again).
    let collapse = |text: String| lookup::collapse_whitespace(&text);
    let input = ProducerInput {
        name: collapse(input.name),
        abbreviation: input.abbreviation.map(collapse),
        aliases: input.aliases.into_iter().map(collapse).collect(),
        ..input
    };
    refuse_path_separator(&input)?;
    input.check_values()?;
    let named = same_producer(txn, &input, parent).await?;
    let existing = target.row(named.map(|p| (p.id, "name")), "producer under this parent")?;
    refuse_sibling_names(txn, &input, parent, existing).await?;
    let model = producer::ActiveModel {
        id: existing.map_or(NotSet, Set),
        parent_id: Set(parent),
        parent_key: Set(parent.unwrap_or(0)),
        name_key: Set(input.name.to_lowercase()),
        name: Set(input.name),
        abbreviation: Set(input.abbreviation),
        kind: Set(input.kind),
        location: Set(input.location),
        url: Set(input.url),
    };
    let (id, created) = match existing {
        Some(_) => (model.update(txn).await?.id, false),
        None => (model.insert(txn).await?.id, true),
    };
    let fresh = created;
    forget_paths();
    replace_list(txn, fresh, ValueList::ProducerAliases, id, &input.aliases).await?;
    search::refresh(txn, Table::Producer, id).await?;
    Ok((id, created))
}

/// The record's names other than its own, with their fields: its abbreviation and aliases.
fn other_names(input: &ProducerInput) -> impl Iterator<Item = (&'static str, &String)> {
    let abbreviation = input.abbreviation.iter().map(|name| ("abbreviation", name));
    abbreviation.chain(input.aliases.iter().map(|name| ("aliases", name)))
}

/// Producer paths are joined with `" > "`: a name, abbreviation or alias (any of which may be a
/// path segment) must not contain it.
fn refuse_path_separator(input: &ProducerInput) -> Result<()> {
    let names = std::iter::once(("name", &input.name)).chain(other_names(input));
    for (field, name) in names {
        if name.contains(" > ") {
            return Err(invalid(
                field,
                format!(
                    "\"{name}\" contains \" > \", which separates the levels of a producer path"
                ),
            ));
        }
    }
    Ok(())
}

/// The existing producer under `parent` that the record is: the one its name names (by name,
/// alias or abbreviation, as a path segment would) or — since catalogs name one body
/// differently — the one whose own name is one of the record's aliases or its abbreviation.
/// Naming two different producers is an error.
async fn same_producer(
    txn: &DatabaseTransaction,
    input: &ProducerInput,
    parent: Option<i64>,
) -> Result<Option<producer::Model>> {
    let exact = lookup::producers_named(txn, &input.name, Some(parent)).await?;
    if let Some(found) = exact
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&input.name))
    {
        return Ok(Some(found.clone()));
    }
    let mut found: Vec<producer::Model> = exact;
    for (_, other) in other_names(input) {
        let named = lookup::producers_named(txn, other, Some(parent)).await?;
        found.extend(named.into_iter().filter(|p| own_name_is(p, other)));
    }
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    match found.len() {
        0 | 1 => Ok(found.pop()),
        n => Err(invalid(
            "name",
            format!(
                "\"{}\" and its aliases name {n} different producers; merge them or drop an alias",
                input.name
            ),
        )),
    }
}

/// Whether `name` is the producer's own name (in any of its forms, [`lookup::name_forms`]), not
/// merely an alias or its abbreviation.
fn own_name_is(producer: &producer::Model, name: &str) -> bool {
    let own = lookup::name_forms(&producer.name);
    lookup::name_forms(name)
        .iter()
        .any(|form| own.contains(form))
}

/// Siblings must not share a name, alias or abbreviation: the record's abbreviation and aliases
/// may name no producer under `parent` but the one being written (`row`).
async fn refuse_sibling_names(
    txn: &DatabaseTransaction,
    input: &ProducerInput,
    parent: Option<i64>,
    row: Option<i64>,
) -> Result<()> {
    for (field, name) in other_names(input) {
        let named = lookup::producers_named(txn, name, Some(parent)).await?;
        if let Some(sibling) = named.iter().find(|p| Some(p.id) != row) {
            let place = match parent {
                Some(id) => match producer::Entity::find_by_id(id).one(txn).await? {
                    Some(parent) => format!("under {}", parent.name),
                    None => "under its parent".to_owned(),
                },
                None => "among the root producers".to_owned(),
            };
            return Err(invalid(
                field,
                format!("\"{name}\" {NAMES_SIBLING} {} {place}", sibling.name),
            ));
        }
    }
    Ok(())
}
