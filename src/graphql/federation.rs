//! Apollo Federation v2: the entity resolvers behind `_entities(representations:)`. Each one
//! declares a `@key` of its type (`Publication` by `id` or `ncjNumber`, `Dataset` by `id` or
//! `studyNumber`, `Producer` by `id`) and loads through the per-request loaders, so a router's
//! batch of representations costs one statement per key kind. A representation that names no
//! record (an unknown key, or an id of another type) resolves to `null`.

use async_graphql::{Context, ID, Object};

use super::errors::ApiResult;
use super::ids::decode_global_id;
use super::loaders::{ById, ByKey, Loaders};
use super::types::{Dataset, Producer, Publication};
use crate::db::entities::{Record, dataset, producer, publication};
use crate::db::lookup;

/// Merged into the schema's `Query` root (see `schema::Query`); it adds no fields of its own.
pub struct FederationQuery;

/// The row a global id names, when it is an id of `R`'s table.
async fn by_id<R: Record>(ctx: &Context<'_>, id: &str) -> ApiResult<Option<R>> {
    match decode_global_id(id) {
        Ok((table, row)) if table == R::TABLE => Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(ById::<R>::new(row))
            .await?),
        _ => Ok(None),
    }
}

/// The row whose natural key `column` is `value` (already normalized).
async fn by_key<R: Record>(
    ctx: &Context<'_>,
    column: &'static str,
    value: String,
) -> ApiResult<Option<R>> {
    if value.is_empty() {
        return Ok(None);
    }
    Ok(ctx
        .data_unchecked::<Loaders>()
        .load_one(ByKey::<R>::new(column, value))
        .await?)
}

#[Object(name = "FederationQuery")]
impl FederationQuery {
    /// `Publication @key(fields: "id")`.
    #[graphql(entity)]
    async fn publication_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Publication>> {
        Ok(by_id::<publication::Model>(ctx, &id)
            .await?
            .map(Publication))
    }

    /// `Publication @key(fields: "ncjNumber")`: "216547" (or "NCJ 216547").
    #[graphql(entity)]
    async fn publication_by_ncj_number(
        &self,
        ctx: &Context<'_>,
        ncj_number: String,
    ) -> ApiResult<Option<Publication>> {
        let value = lookup::normalize_ncj(&ncj_number);
        Ok(by_key::<publication::Model>(ctx, "ncj_number", value)
            .await?
            .map(Publication))
    }

    /// `Dataset @key(fields: "id")`.
    #[graphql(entity)]
    async fn dataset_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Dataset>> {
        Ok(by_id::<dataset::Model>(ctx, &id).await?.map(Dataset))
    }

    /// `Dataset @key(fields: "studyNumber")`: "20423" (or "ICPSR 20423").
    #[graphql(entity)]
    async fn dataset_by_study_number(
        &self,
        ctx: &Context<'_>,
        study_number: String,
    ) -> ApiResult<Option<Dataset>> {
        let value = lookup::normalize_study_number(&study_number);
        Ok(by_key::<dataset::Model>(ctx, "study_number", value)
            .await?
            .map(Dataset))
    }

    /// `Producer @key(fields: "id")`.
    #[graphql(entity)]
    async fn producer_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Producer>> {
        Ok(by_id::<producer::Model>(ctx, &id).await?.map(Producer))
    }
}
