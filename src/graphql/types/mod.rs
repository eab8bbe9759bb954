//! GraphQL object types: one file per node type, plus shared small types and the lists.

pub mod common;
pub mod dataset;
pub mod facets;
pub mod lists;
pub mod producer;
pub mod publication;

use async_graphql::{Context, ID, Interface, SimpleObject};

pub use dataset::Dataset;
pub use producer::Producer;
pub use publication::Publication;

use self::common::ProducerRole;
use super::errors::ApiResult;
use super::loaders::{CreditsOf, DeferredText, ListOf, Loaders};
use crate::db::carried::CarriedCredits;
use crate::db::entities::{CreditTable, Record, ValueList};
use crate::db::pages::Table;

/// What a record's longest text (a publication's abstract, a dataset's summary) adds to a
/// query's cost, where every other field adds 1: a kilobyte or more each, they made answers of
/// 40–70 MB within the limit.
pub(crate) const LONG_TEXT_COST: usize = 10;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Publication(Publication),
    Dataset(Dataset),
    Producer(Producer),
}

/// A producer credited for a publication or dataset, and in what role.
#[derive(SimpleObject)]
pub struct ProducerCredit {
    pub role: ProducerRole,
    pub producer: Producer,
}

/// One owner's list of strings, batched.
async fn value_list(ctx: &Context<'_>, list: ValueList, owner: i64) -> ApiResult<Vec<String>> {
    let loaders = ctx.data_unchecked::<Loaders>();
    Ok(loaders
        .load_one(ListOf(list, owner))
        .await?
        .unwrap_or_default())
}

/// A long text column that lean list pages leave out (see `Record::DEFERRED`): the row's own
/// value when it was read, else one batched read (a stored NULL costs that read too).
async fn deferred_text(
    ctx: &Context<'_>,
    loaded: &Option<String>,
    table: Table,
    column: &'static str,
    id: i64,
) -> ApiResult<Option<String>> {
    if let Some(text) = loaded {
        return Ok(Some(text.clone()));
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    Ok(loaders.load_one(DeferredText(table, column, id)).await?)
}

/// The producers credited for one record, optionally only in `role`, batched.
async fn credits(
    ctx: &Context<'_>,
    table: CreditTable,
    owner: i64,
    role: Option<ProducerRole>,
) -> ApiResult<Vec<ProducerCredit>> {
    let loaders = ctx.data_unchecked::<Loaders>();
    let parents = ctx.look_ahead().field("producer").field("parent").exists();
    let key = CreditsOf(table, owner, parents);
    let credits = match loaders.inner().carried_credits(key) {
        Some(carried) => carried,
        None => loaders.load_one(key).await?.unwrap_or_default(),
    };
    Ok(credits
        .into_iter()
        .map(|(stored, producer)| ProducerCredit {
            role: ProducerRole::from_db(&stored),
            producer: Producer(producer),
        })
        .filter(|credit| role.is_none_or(|role| credit.role == role))
        .collect())
}

/// The credits that the statement reading records of `R` should carry for the `producers`
/// fields that `records` (selections of those records) ask for, with the producers' parents
/// when one of them shows `producer.parent` (as [`credits`] would ask the loader).
pub(crate) fn credits_to_carry<R: Record>(
    records: &[async_graphql::Lookahead<'_>],
) -> Option<CarriedCredits> {
    let table = R::CREDITS?;
    let producers: Vec<_> = records.iter().map(|r| r.field("producers")).collect();
    if !producers.iter().any(|p| p.exists()) {
        return None;
    }
    let parents = producers
        .iter()
        .any(|p| p.field("producer").field("parent").exists());
    Some(CarriedCredits { table, parents })
}

/// Relation types as stored, for a link filter.
pub(crate) fn relation_types_filter(types: Option<Vec<common::RelationType>>) -> Vec<String> {
    let mut stored: Vec<String> = types
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.as_db().to_owned())
        .collect();
    stored.sort();
    stored.dedup();
    stored
}
