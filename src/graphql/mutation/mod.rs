//! The mutation root: create, update and delete publications, datasets and producers, link
//! publications to datasets and credit producers. Every field needs a write API key (the
//! [`writer`] guard); each runs in one transaction through the import write path (again when
//! a concurrent write took a unique key first: [`retrying`]) and answers with a Relay payload
//! whose `userErrors` say what was wrong with the input.

pub mod kinds;
pub mod links;
pub mod producer;
pub mod records;
pub mod user_errors;

use async_graphql::{Context, Object};

use self::kinds::{
    CreateDatasetInput, CreatePublicationInput, DatasetPayload, DeleteInput, PublicationPayload,
    UpdateDatasetInput, UpdatePublicationInput,
};
use self::links::{
    CreditPayload, CreditProducerInput, LinkDatasetInput, LinkPayload, UnlinkDatasetInput,
};
use self::producer::{
    CreateProducerInput, DeleteProducerInput, ProducerPayload, UpdateProducerInput,
};
use self::records::{DeletePayload, delete, retrying, save};
use super::errors::{ApiError, ApiResult};
use super::types::{Dataset, Producer, Publication};
use crate::auth::{Caller, Scope};

/// Lets a mutation field run only for a valid, unrevoked key with the `write` scope: no key or
/// a bad one is `UNAUTHENTICATED`, a read key `FORBIDDEN`. (Page sizes in its payload were
/// checked before the operation ran: `limits::payload_pages`.)
pub fn writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let field = ctx.item.node.name.node.as_str();
    match ctx.data_opt::<Caller>().unwrap_or(&Caller::Anonymous) {
        Caller::Key {
            name,
            scope: Scope::Write,
        } => {
            tracing::info!(api_key = %name, mutation = field, "write authorized");
            Ok(())
        }
        Caller::Key { name, .. } => {
            tracing::info!(api_key = %name, mutation = field, "write refused: read-only key");
            Err(ApiError::Forbidden(format!(
                "`{field}` needs an API key with the write scope; this key may only read"
            ))
            .into())
        }
        Caller::Anonymous => Err(ApiError::Unauthenticated(format!(
            "`{field}` needs an API key: send `Authorization: Bearer <key>`"
        ))
        .into()),
        Caller::Rejected(reason) => Err(ApiError::Unauthenticated((*reason).to_owned()).into()),
    }
}

/// The mutation root, named `Mutation` as in the API contract (and as a federation router
/// expects of a subgraph's roots).
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates a publication (`title` required; NCJ number and DOI unique).
    #[graphql(guard = "writer")]
    async fn create_publication(
        &self,
        ctx: &Context<'_>,
        input: CreatePublicationInput,
    ) -> ApiResult<PublicationPayload> {
        retrying(input, |input| save::<Publication>(ctx, None, input)).await
    }

    /// Changes the given fields of a publication (its producer credits and links are edited
    /// with their own mutations).
    #[graphql(guard = "writer")]
    async fn update_publication(
        &self,
        ctx: &Context<'_>,
        input: UpdatePublicationInput,
    ) -> ApiResult<PublicationPayload> {
        retrying(input, |input| {
            save::<Publication>(ctx, Some(input.id), input.fields)
        })
        .await
    }

    /// Deletes a publication with its links and credits.
    #[graphql(guard = "writer")]
    async fn delete_publication(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> ApiResult<DeletePayload> {
        retrying(input, |input| delete::<Publication>(ctx, input.id, ())).await
    }

    /// Creates a dataset (`title` required; study number and DOI unique).
    #[graphql(guard = "writer")]
    async fn create_dataset(
        &self,
        ctx: &Context<'_>,
        input: CreateDatasetInput,
    ) -> ApiResult<DatasetPayload> {
        retrying(input, |input| save::<Dataset>(ctx, None, input)).await
    }

    /// Changes the given fields of a dataset.
    #[graphql(guard = "writer")]
    async fn update_dataset(
        &self,
        ctx: &Context<'_>,
        input: UpdateDatasetInput,
    ) -> ApiResult<DatasetPayload> {
        retrying(input, |input| {
            save::<Dataset>(ctx, Some(input.id), input.fields)
        })
        .await
    }

    /// Deletes a dataset with its links and credits.
    #[graphql(guard = "writer")]
    async fn delete_dataset(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> ApiResult<DeletePayload> {
        retrying(input, |input| delete::<Dataset>(ctx, input.id, ())).await
    }

    /// Creates a producer (`name` required, unique under its parent).
    #[graphql(guard = "writer")]
    async fn create_producer(
        &self,
        ctx: &Context<'_>,
        input: CreateProducerInput,
    ) -> ApiResult<ProducerPayload> {
        retrying(input, |input| save::<Producer>(ctx, None, input)).await
    }

    /// Changes the given fields of a producer, its parent included.
    #[graphql(guard = "writer")]
    async fn update_producer(
        &self,
        ctx: &Context<'_>,
        input: UpdateProducerInput,
    ) -> ApiResult<ProducerPayload> {
        retrying(input, |input| {
            save::<Producer>(ctx, Some(input.id), input.fields)
        })
        .await
    }

    /// Deletes a producer. One that still has subunits or credits is only deleted when the
    /// input says what to do with them (`onSubunits`, `onCredits`).
    #[graphql(guard = "writer")]
    async fn delete_producer(
        &self,
        ctx: &Context<'_>,
        input: DeleteProducerInput,
    ) -> ApiResult<DeletePayload> {
        retrying(input, |input| {
            let rules = (input.on_credits.into(), input.on_subunits.into());
            delete::<Producer>(ctx, input.id, rules)
        })
        .await
    }

    /// Links a publication to a dataset, or changes how an existing link relates them.
    #[graphql(guard = "writer")]
    async fn link_dataset(
        &self,
        ctx: &Context<'_>,
        input: LinkDatasetInput,
    ) -> ApiResult<LinkPayload> {
        retrying(input, |input| links::link(ctx, input)).await
    }

    /// Removes the link between a publication and a dataset.
    #[graphql(guard = "writer")]
    async fn unlink_dataset(
        &self,
        ctx: &Context<'_>,
        input: UnlinkDatasetInput,
    ) -> ApiResult<LinkPayload> {
        retrying(input, |input| links::unlink(ctx, input)).await
    }

    /// Credits a producer for a publication or dataset in a role (crediting twice changes nothing).
    #[graphql(guard = "writer")]
    async fn credit_producer(
        &self,
        ctx: &Context<'_>,
        input: CreditProducerInput,
    ) -> ApiResult<CreditPayload> {
        retrying(input, |input| links::credit(ctx, input, true)).await
    }

    /// Removes a producer's credit in a role from a publication or dataset.
    #[graphql(guard = "writer")]
    async fn uncredit_producer(
        &self,
        ctx: &Context<'_>,
        input: CreditProducerInput,
    ) -> ApiResult<CreditPayload> {
        retrying(input, |input| links::credit(ctx, input, false)).await
    }
}
