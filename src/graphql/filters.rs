//! Filter, search and order arguments of lists (the input types of the API), checked and
//! turned into a [`ListSpec`]. Unknown ids are a `BAD_USER_INPUT` error naming the id.

use async_graphql::{Context, Enum, ID, InputObject};
use sea_orm::DatabaseBackend;

use super::errors::{ApiError, ApiResult};
use super::ids::decode_id_of;
use super::loaders::{Loaders, PrefixOf};
use super::types::common::RelationType;
use crate::dates::PartialDateValue;
use crate::db::Db;
use crate::db::entities::{CreditTable, Record, ValueList, dataset, producer, publication};
use crate::db::list_spec::{Condition, Direction, Link, ListSpec, SortKey};
use crate::db::rows;
use crate::db::search::SearchQuery;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

impl From<OrderDirection> for Direction {
    fn from(direction: OrderDirection) -> Self {
        match direction {
            OrderDirection::Asc => Direction::Asc,
            OrderDirection::Desc => Direction::Desc,
        }
    }
}

/// A range of years; a missing end leaves that side of the range open.
#[derive(InputObject, Clone, Debug)]
pub struct YearRangeInput {
    pub start: Option<i32>,
    pub end: Option<i32>,
}

/// Which publications a list holds. Every given field must match; list fields match any of
/// their values. A facet bucket's key drills down to the bucket's records: a list field takes
/// it as it is, "unknown" included (records without a value).
#[derive(InputObject, Clone, Debug, Default)]
pub struct PublicationFilter {
    /// ISO date at any precision: "2006" includes "Oct 2006" and year-only 2006 records.
    pub published_from: Option<String>,
    /// ISO date at any precision: "2006-10" includes all of October.
    pub published_to: Option<String>,
    /// Exclusive upper bound: published before the first day of this date ("2007" or
    /// "2007-01-01": up to the end of 2006). A record dated "2006" counts as 2006-01-01.
    pub published_before: Option<String>,
    /// Title contains this text, ignoring case (a substring, not a word search).
    pub title_contains: Option<String>,
    /// Published in one of these years: the years facet's keys ("unknown": no date).
    pub years: Option<Vec<String>>,
    pub publication_types: Option<Vec<String>>,
    pub subjects: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    /// Credited to any of these producers (global ids; the producers facet's "unknown": to
    /// none) ...
    pub producer_ids: Option<Vec<ID>>,
    /// ... or, with this, to any unit below them.
    pub include_subunits: Option<bool>,
    pub has_related_datasets: Option<bool>,
    pub related_to_dataset_ids: Option<Vec<ID>>,
    /// With a link of one of these types (`RelationType` names; "unknown": without links),
    /// to any dataset: the relation types facet's keys. A publication↔dataset list's own
    /// edges are chosen by its `relationType` argument.
    pub relation_types: Option<Vec<String>>,
}

/// Which datasets a list holds. As for publications: every given field must match, list
/// fields match any of their values, and take facet keys ("unknown" included) as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DatasetFilter {
    pub released_from: Option<String>,
    pub released_to: Option<String>,
    /// Exclusive upper bound, as `publishedBefore` for publications.
    pub released_before: Option<String>,
    /// Title contains this text, ignoring case (a substring, not a word search).
    pub title_contains: Option<String>,
    /// Released in one of these years: the release years facet's keys ("unknown": no date).
    pub release_years: Option<Vec<String>>,
    /// Datasets whose time period overlaps [start, end]. A period with one year unknown counts
    /// as that one known year ("2000 to unknown" overlaps 2000 only); one with neither year
    /// never matches.
    pub time_period_overlaps: Option<YearRangeInput>,
    pub subjects: Option<Vec<String>>,
    pub geographic_coverage: Option<Vec<String>>,
    pub data_types: Option<Vec<String>>,
    pub series: Option<Vec<String>>,
    pub producer_ids: Option<Vec<ID>>,
    pub include_subunits: Option<bool>,
    pub has_related_publications: Option<bool>,
    pub related_to_publication_ids: Option<Vec<ID>>,
    /// As `relationTypes` for publications: with a link of one of these types (read from
    /// the publication's side; "unknown": without links).
    pub relation_types: Option<Vec<String>>,
}

/// Which producers a list holds; `kinds` takes the `kinds` facet's keys ("unknown" included).
#[derive(InputObject, Clone, Debug, Default)]
pub struct ProducerFilter {
    pub kinds: Option<Vec<String>>,
    pub parent_id: Option<ID>,
    pub roots_only: Option<bool>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicationOrderField {
    PublishedOn,
    Title,
    /// Only with a search.
    Relevance,
    RelatedDatasetCount,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct PublicationOrder {
    pub field: PublicationOrderField,
    pub direction: OrderDirection,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetOrderField {
    ReleasedOn,
    Title,
    StudyNumber,
    Relevance,
    RelatedPublicationCount,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct DatasetOrder {
    pub field: DatasetOrderField,
    pub direction: OrderDirection,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProducerOrderField {
    Name,
    Relevance,
    PublicationCount,
    DatasetCount,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct ProducerOrder {
    pub field: ProducerOrderField,
    pub direction: OrderDirection,
}

/// Row ids of `R`'s table for global ids, every one checked to exist.
async fn existing_ids<R: Record>(
    ctx: &Context<'_>,
    field: &str,
    ids: &[ID],
) -> ApiResult<Vec<i64>> {
    let mut numbers = within_limit(field, ids)?
        .iter()
        .map(|id| decode_id_of(id, R::TABLE))
        .collect::<ApiResult<Vec<_>>>()?;
    let found = rows::by_ids::<R>(&ctx.data_unchecked::<Db>().conn, &numbers).await?;
    let mut unknown: Vec<String> = ids
        .iter()
        .zip(&numbers)
        .filter(|(_, n)| !found.contains_key(n))
        .map(|(id, _)| format!("\"{}\"", id.as_str()))
        .collect();
    unknown.dedup();
    numbers.sort_unstable();
    numbers.dedup();
    match unknown.as_slice() {
        [] => Ok(numbers),
        [id] => Err(ApiError::bad_input(format!(
            "`{field}`: no record has the id {id}"
        ))),
        _ => Err(ApiError::bad_input(format!(
            "`{field}`: no records have the ids {}",
            unknown.join(", ")
        ))),
    }
}

/// `producerIds` (with `includeSubunits`): the producers facet's keys, a producer's global id
/// or "unknown" (records credited to no producer).
async fn credited_to(
    ctx: &Context<'_>,
    table: CreditTable,
    ids: &[ID],
    include_subunits: bool,
) -> ApiResult<Condition> {
    let (unknown, ids): (Vec<ID>, Vec<ID>) = ids
        .iter()
        .cloned()
        .partition(|id| id.as_str() == crate::db::facets::UNKNOWN);
    Ok(Condition::CreditedTo {
        table,
        producers: existing_ids::<producer::Model>(ctx, "producerIds", &ids).await?,
        include_subunits,
        or_uncredited: !unknown.is_empty(),
    })
}

/// Which end of a date range a filter field gives.
#[derive(Clone, Copy)]
enum Bound {
    /// Inclusive lower bound (`…From`).
    From,
    /// Inclusive upper bound (`…To`): every date within the given period.
    To,
    /// Exclusive upper bound (`…Before`): before the period's first day.
    Before,
}

/// The stored-key bound of an ISO partial date. Records are compared by the first day they
/// can fall on, so a record dated "2006" or "2006-01" is on or after "2006-01-01" and before
/// "2006-01-02"; stored keys write unknown months and days as 00 (see `dates`).
fn date_bound(field: &str, value: Option<&String>, bound: Bound) -> ApiResult<Option<i64>> {
    value
        .map(|text| {
            let date = PartialDateValue::parse(text)
                .map_err(|reason| ApiError::bad_input(format!("`{field}`: {reason}")))?;
            let (low, top) = date.key_span();
            Ok(match bound {
                Bound::From => first_key_on_or_after(low),
                Bound::To => top,
                Bound::Before => first_key_on_or_after(low) - 1,
            })
        })
        .transpose()
}

/// The smallest stored key whose first day is on or after the first day of `low`.
fn first_key_on_or_after(low: i64) -> i64 {
    let (year, month, day) = (low / 10_000, (low / 100) % 100, low % 100);
    match (month.max(1), day.max(1)) {
        (1, 1) => year * 10_000,
        (month, 1) => year * 10_000 + month * 100,
        _ => low,
    }
}

/// The bounds of a `from`/`to`/`before` filter, or `None` when none is given. A lower bound
/// after the upper one is an error (as a reversed `timePeriodOverlaps` is), not an empty list.
fn date_range(
    fields: [(&str, Option<&String>); 3],
    column: &'static str,
) -> ApiResult<Option<Condition>> {
    let [from, to, before] = fields;
    let min = date_bound(from.0, from.1, Bound::From)?;
    let upper = [
        (to.0, date_bound(to.0, to.1, Bound::To)?),
        (before.0, date_bound(before.0, before.1, Bound::Before)?),
    ];
    let max = upper.iter().filter_map(|(_, key)| *key).min();
    if let Some(low) = min
        && let Some((end, _)) = upper.iter().find(|(_, key)| key.is_some_and(|k| k < low))
    {
        return Err(ApiError::bad_input(format!(
            "`{}` is after `{end}`: no date is in that range",
            from.0
        )));
    }
    Ok((min.is_some() || max.is_some()).then_some(Condition::Between { column, min, max }))
}

/// Years given as facet keys: numbers, or "unknown" for records without a date.
fn years_in(field: &str, column: &'static str, keys: &[String]) -> ApiResult<Condition> {
    let mut years = Vec::new();
    let mut or_unknown = false;
    for key in within_limit(field, keys)?.iter().map(|k| k.trim()) {
        if key == crate::db::facets::UNKNOWN {
            or_unknown = true;
        } else {
            years.push(key.parse::<i32>().map_err(|_| {
                ApiError::bad_input(format!(
                    "`{field}`: \"{key}\" is not a year (a number, or \"unknown\")"
                ))
            })?);
        }
    }
    Ok(Condition::YearIn {
        column,
        years,
        or_unknown,
    })
}

/// Relation types given as facet keys: `RelationType` names, or "unknown" for records
/// without links.
fn link_types_in(keys: &[String]) -> ApiResult<Condition> {
    let mut types = Vec::new();
    let mut or_unlinked = false;
    for key in within_limit("relationTypes", keys)?
        .iter()
        .map(|k| k.trim())
    {
        if key == crate::db::facets::UNKNOWN {
            or_unlinked = true;
        } else {
            let kind = RelationType::parse_name(key).ok_or_else(|| {
                ApiError::bad_input(format!(
                    "`relationTypes`: \"{key}\" is not a relation type (one of {}, or \"unknown\")",
                    RelationType::names().join(", ")
                ))
            })?;
            types.push(kind.as_db().to_owned());
        }
    }
    Ok(Condition::LinkTypeIn { types, or_unlinked })
}

/// A case-insensitive title substring condition; blank text means none. Text longer than a
/// title can be is `BAD_USER_INPUT` (SQLite refuses LIKE patterns past 50,000 bytes).
fn title_contains(text: Option<&String>) -> ApiResult<Option<Condition>> {
    use crate::import::upsert::MAX_TITLE_CHARS;
    let Some(text) = text
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    if text.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::bad_input(format!(
            "`titleContains` is longer than a title can be ({MAX_TITLE_CHARS} characters)"
        )));
    }
    Ok(Some(Condition::TitleContains(text)))
}

/// Most values one list filter field may give (ids included): a dashboard's selection, not a
/// table (each value is one bound parameter; the databases take some tens of thousands in all).
pub const MAX_FILTER_VALUES: usize = 1_000;

/// `field`'s values, each once, or `BAD_USER_INPUT` when there are more than
/// [`MAX_FILTER_VALUES`] different ones.
fn within_limit<T: Clone + Eq + std::hash::Hash>(field: &str, values: &[T]) -> ApiResult<Vec<T>> {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<T> = values
        .iter()
        .filter(|value| seen.insert((*value).clone()))
        .cloned()
        .collect();
    if distinct.len() > MAX_FILTER_VALUES {
        return Err(ApiError::bad_input(format!(
            "`{field}` gives {} different values, the most a filter field takes is {MAX_FILTER_VALUES}",
            distinct.len()
        )));
    }
    Ok(distinct)
}

/// A list filter's values, trimmed, each once. An empty list matches nothing (a client that
/// computed no values gets no rows, never every row).
fn trimmed(field: &str, values: &Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    values
        .as_deref()
        .map(|v| {
            let trimmed: Vec<String> = v.iter().map(|s| s.trim().to_owned()).collect();
            within_limit(field, &trimmed)
        })
        .transpose()
}

/// The search, parsed, with the lexemes of its prefix words ([`with_prefix_lexemes`]); blank
/// means no search.
async fn parse_search(ctx: &Context<'_>, search: Option<&str>) -> ApiResult<Option<SearchQuery>> {
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => {
            let query = SearchQuery::parse(text)
                .map_err(|reason| ApiError::bad_input(format!("`search`: {reason}")))?;
            Ok(Some(with_prefix_lexemes(ctx, query).await?))
        }
    }
}

/// `query` with the lexemes its prefix words stand for on PostgreSQL (looked up once for every
/// search of a query's level, by the request's loader), so that its statements match them
/// exactly: see [`SearchQuery::tsquery_literal`].
pub async fn with_prefix_lexemes(ctx: &Context<'_>, query: SearchQuery) -> ApiResult<SearchQuery> {
    let words = query.prefix_words();
    let Some(loaders) = ctx.data_opt::<Loaders>() else {
        return Ok(query);
    };
    if words.is_empty() || ctx.data_unchecked::<Db>().backend() != DatabaseBackend::Postgres {
        return Ok(query);
    }
    let found = loaders.load_many(words.into_iter().map(PrefixOf)).await?;
    Ok(query.with_expansions(found.into_iter().map(|(word, l)| (word.0, l)).collect()))
}

/// Sort keys; relevance needs a search, and a search without an order sorts by relevance.
fn order<F: Copy>(
    requested: Option<&[F]>,
    searching: bool,
    key: impl Fn(F) -> (SortKey, Direction),
) -> ApiResult<Vec<(SortKey, Direction)>> {
    let mut order: Vec<(SortKey, Direction)> = requested
        .unwrap_or_default()
        .iter()
        .map(|o| key(*o))
        .collect();
    // A field sorts once: a repeat never decides anything, and each key adds to every later
    // one's keyset condition (99 repeated keys held a PostgreSQL backend for a minute).
    for (i, (key, _)) in order.iter().enumerate() {
        if let Some(j) = order[..i].iter().position(|(earlier, _)| earlier == key) {
            return Err(ApiError::bad_input(format!(
                "`orderBy` sorts by one field twice (keys {} and {}); each field may appear once",
                j + 1,
                i + 1
            )));
        }
    }
    if order.iter().any(|(k, _)| *k == SortKey::Relevance) && !searching {
        return Err(ApiError::bad_input("`orderBy`: RELEVANCE needs a `search`"));
    }
    if order.is_empty() && searching {
        order.push((SortKey::Relevance, Direction::Desc));
    }
    Ok(order)
}

/// A list of publications along `link`.
pub async fn publication_list(
    ctx: &Context<'_>,
    link: Link,
    filter: Option<&PublicationFilter>,
    search: Option<&str>,
    order_by: Option<&[PublicationOrder]>,
) -> ApiResult<ListSpec> {
    let search = parse_search(ctx, search).await?;
    let order = order(order_by, search.is_some(), |o| {
        let key = match o.field {
            PublicationOrderField::PublishedOn => SortKey::PublishedOn,
            PublicationOrderField::Title => SortKey::Title,
            PublicationOrderField::Relevance => SortKey::Relevance,
            PublicationOrderField::RelatedDatasetCount => SortKey::RelatedCount,
        };
        (key, o.direction.into())
    })?;
    let mut conditions = Vec::new();
    if let Some(f) = filter {
        conditions.extend(date_range(
            [
                ("publishedFrom", f.published_from.as_ref()),
                ("publishedTo", f.published_to.as_ref()),
                ("publishedBefore", f.published_before.as_ref()),
            ],
            "published_key",
        )?);
        conditions.extend(title_contains(f.title_contains.as_ref())?);
        if let Some(keys) = &f.years {
            conditions.push(years_in("years", "published_year", keys)?);
        }
        if let Some(values) = trimmed("publicationTypes", &f.publication_types)? {
            conditions.push(Condition::OneOf {
                column: "publication_type",
                values,
            });
        }
        if let Some(values) = trimmed("languages", &f.languages)? {
            conditions.push(Condition::OneOf {
                column: "language",
                values,
            });
        }
        if let Some(values) = trimmed("subjects", &f.subjects)? {
            conditions.push(Condition::ListHasAny {
                list: ValueList::PublicationSubjects,
                values,
            });
        }
        if let Some(ids) = &f.producer_ids {
            let subunits = f.include_subunits.unwrap_or(false);
            conditions.push(credited_to(ctx, CreditTable::Publication, ids, subunits).await?);
        }
        if let Some(present) = f.has_related_datasets {
            conditions.push(Condition::HasLinks(present));
        }
        if let Some(ids) = &f.related_to_dataset_ids {
            conditions.push(Condition::LinkedTo(
                existing_ids::<dataset::Model>(ctx, "relatedToDatasetIds", ids).await?,
            ));
        }
        if let Some(keys) = &f.relation_types {
            conditions.push(link_types_in(keys)?);
        }
    }
    Ok(ListSpec {
        link,
        conditions,
        search,
        order,
    })
}

/// A list of datasets along `link`.
pub async fn dataset_list(
    ctx: &Context<'_>,
    link: Link,
    filter: Option<&DatasetFilter>,
    search: Option<&str>,
    order_by: Option<&[DatasetOrder]>,
) -> ApiResult<ListSpec> {
    let search = parse_search(ctx, search).await?;
    let order = order(order_by, search.is_some(), |o| {
        let key = match o.field {
            DatasetOrderField::ReleasedOn => SortKey::ReleasedOn,
            DatasetOrderField::Title => SortKey::Title,
            DatasetOrderField::StudyNumber => SortKey::StudyNumber,
            DatasetOrderField::Relevance => SortKey::Relevance,
            DatasetOrderField::RelatedPublicationCount => SortKey::RelatedCount,
        };
        (key, o.direction.into())
    })?;
    let mut conditions = Vec::new();
    if let Some(f) = filter {
        conditions.extend(date_range(
            [
                ("releasedFrom", f.released_from.as_ref()),
                ("releasedTo", f.released_to.as_ref()),
                ("releasedBefore", f.released_before.as_ref()),
            ],
            "released_key",
        )?);
        conditions.extend(title_contains(f.title_contains.as_ref())?);
        if let Some(keys) = &f.release_years {
            conditions.push(years_in("releaseYears", "released_year", keys)?);
        }
        if let Some(range) = &f.time_period_overlaps {
            if let (Some(start), Some(end)) = (range.start, range.end)
                && start > end
            {
                return Err(ApiError::bad_input(format!(
                    "`timePeriodOverlaps`: start {start} is after end {end}"
                )));
            }
            conditions.push(Condition::PeriodOverlaps {
                start: range.start,
                end: range.end,
            });
        }
        if let Some(values) = trimmed("subjects", &f.subjects)? {
            conditions.push(Condition::ListHasAny {
                list: ValueList::DatasetSubjects,
                values,
            });
        }
        if let Some(values) = trimmed("geographicCoverage", &f.geographic_coverage)? {
            conditions.push(Condition::ListHasAny {
                list: ValueList::DatasetCoverage,
                values,
            });
        }
        if let Some(values) = trimmed("dataTypes", &f.data_types)? {
            conditions.push(Condition::ListHasAny {
                list: ValueList::DatasetDataTypes,
                values,
            });
        }
        if let Some(values) = trimmed("series", &f.series)? {
            conditions.push(Condition::OneOf {
                column: "series",
                values,
            });
        }
        if let Some(ids) = &f.producer_ids {
            let subunits = f.include_subunits.unwrap_or(false);
            conditions.push(credited_to(ctx, CreditTable::Dataset, ids, subunits).await?);
        }
        if let Some(present) = f.has_related_publications {
            conditions.push(Condition::HasLinks(present));
        }
        if let Some(ids) = &f.related_to_publication_ids {
            let ids =
                existing_ids::<publication::Model>(ctx, "relatedToPublicationIds", ids).await?;
            conditions.push(Condition::LinkedTo(ids));
        }
        if let Some(keys) = &f.relation_types {
            conditions.push(link_types_in(keys)?);
        }
    }
    Ok(ListSpec {
        link,
        conditions,
        search,
        order,
    })
}

/// A list of producers along `link`.
pub async fn producer_list(
    ctx: &Context<'_>,
    link: Link,
    filter: Option<&ProducerFilter>,
    search: Option<&str>,
    order_by: Option<&[ProducerOrder]>,
) -> ApiResult<ListSpec> {
    let search = parse_search(ctx, search).await?;
    let order = order(order_by, search.is_some(), |o| {
        let key = match o.field {
            ProducerOrderField::Name => SortKey::Name,
            ProducerOrderField::Relevance => SortKey::Relevance,
            ProducerOrderField::PublicationCount => SortKey::PublicationCount,
            ProducerOrderField::DatasetCount => SortKey::DatasetCount,
        };
        (key, o.direction.into())
    })?;
    let mut conditions = Vec::new();
    if let Some(f) = filter {
        if let Some(values) = trimmed("kinds", &f.kinds)? {
            conditions.push(Condition::OneOf {
                column: "kind",
                values,
            });
        }
        if let Some(id) = &f.parent_id {
            let parent =
                existing_ids::<producer::Model>(ctx, "parentId", std::slice::from_ref(id)).await?;
            conditions.push(Condition::ParentIs(parent.first().copied()));
        }
        if f.roots_only == Some(true) {
            conditions.push(Condition::ParentIs(None));
        }
    }
    Ok(ListSpec {
        link,
        conditions,
        search,
        order,
    })
}
