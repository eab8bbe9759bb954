//! Edits of relationships: linking a publication to a dataset (or changing how they relate),
//! unlinking them, and crediting or uncrediting a producer for a publication or dataset.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, SimpleObject};
use sea_orm::DatabaseTransaction;

use super::records::{begin, find, rejected};
use super::user_errors::{Code, UserError, UserErrors, clean, given};
use crate::db::entities::{CreditTable, dataset, producer, publication};
use crate::db::revision;
use crate::graphql::errors::ApiResult;
use crate::graphql::types::common::{ProducerRole, RelationType};
use crate::graphql::types::{Dataset, Producer, Publication};
use crate::import::{edits, upsert};

/// A link to make, or to change when the two are linked already.
#[derive(InputObject, Clone)]
pub struct LinkDatasetInput {
    pub publication_id: ID,
    pub dataset_id: ID,
    /// How the publication relates to the dataset: a new link without it is
    /// `IS_RELATED_TO`; relinking without it keeps the link's own.
    pub relation_type: Option<RelationType>,
    /// Who asserts the link: "NCJRS", "ICPSR bibliography", ... Relinking without it keeps
    /// the link's own; null or blank clears it.
    pub source: MaybeUndefined<String>,
    /// When it was asserted: YYYY-MM-DD. Relinking without it keeps the link's own; null or
    /// blank clears it.
    pub linked_on: MaybeUndefined<String>,
}

#[derive(InputObject, Clone)]
pub struct UnlinkDatasetInput {
    pub publication_id: ID,
    pub dataset_id: ID,
}

#[derive(SimpleObject, Default)]
pub struct LinkPayload {
    /// Both ends as they are now; null when there are user errors.
    pub publication: Option<Publication>,
    pub dataset: Option<Dataset>,
    pub user_errors: Vec<UserError>,
}

/// A credit: exactly one of `publicationId` and `datasetId`, a producer and a role.
#[derive(InputObject, Clone)]
pub struct CreditProducerInput {
    pub publication_id: Option<ID>,
    pub dataset_id: Option<ID>,
    pub producer_id: ID,
    pub role: ProducerRole,
}

#[derive(SimpleObject, Default)]
pub struct CreditPayload {
    /// The credited record (publication or dataset) and the producer; null on user errors.
    pub publication: Option<Publication>,
    pub dataset: Option<Dataset>,
    pub producer: Option<Producer>,
    pub user_errors: Vec<UserError>,
}

/// The two ends of a link, or `None` with the user errors recorded.
async fn ends(
    txn: &DatabaseTransaction,
    errors: &mut UserErrors,
    publication_id: &ID,
    dataset_id: &ID,
) -> ApiResult<Option<(publication::Model, dataset::Model)>> {
    let publication = find(txn, errors, "publicationId", publication_id, "publication").await?;
    let dataset = find(txn, errors, "datasetId", dataset_id, "dataset").await?;
    Ok(publication.zip(dataset))
}

fn link_payload(user_errors: Vec<UserError>) -> LinkPayload {
    LinkPayload {
        user_errors,
        ..Default::default()
    }
}

/// Links (or relinks) a publication and a dataset.
pub async fn link(ctx: &Context<'_>, input: LinkDatasetInput) -> ApiResult<LinkPayload> {
    let txn = begin(ctx).await?;
    let mut errors = UserErrors::default();
    let found = ends(&txn, &mut errors, &input.publication_id, &input.dataset_id).await?;
    let linked_on = given(input.linked_on).map(|value| {
        clean(value).and_then(|text| {
            let date = crate::dates::parse_day(&text);
            if date.is_none() {
                errors.add("linkedOn", Code::Invalid, crate::dates::not_a_day(&text));
            }
            date
        })
    });
    let Some((publication, dataset)) = found.filter(|_| errors.is_empty()) else {
        return rejected(txn, errors, link_payload).await;
    };
    let relation = input.relation_type.map(|r| r.as_db().to_owned());
    let source = given(input.source).map(clean);
    if let Err(err) = upsert::link_ids(
        &txn,
        publication.id,
        dataset.id,
        relation,
        source,
        linked_on,
    )
    .await
    {
        errors.refused(err)?;
        return rejected(txn, errors, link_payload).await;
    }
    revision::commit_write(txn).await?;
    Ok(LinkPayload {
        publication: Some(Publication(publication)),
        dataset: Some(Dataset(dataset)),
        user_errors: Vec::new(),
    })
}

/// Removes the link between a publication and a dataset.
pub async fn unlink(ctx: &Context<'_>, input: UnlinkDatasetInput) -> ApiResult<LinkPayload> {
    let txn = begin(ctx).await?;
    let mut errors = UserErrors::default();
    let Some((publication, dataset)) =
        ends(&txn, &mut errors, &input.publication_id, &input.dataset_id).await?
    else {
        return rejected(txn, errors, link_payload).await;
    };
    if !edits::unlink(&txn, publication.id, dataset.id).await? {
        errors.add(
            "",
            Code::NotFound,
            "the publication and the dataset are not linked",
        );
        return rejected(txn, errors, link_payload).await;
    }
    revision::commit_write(txn).await?;
    Ok(LinkPayload {
        publication: Some(Publication(publication)),
        dataset: Some(Dataset(dataset)),
        user_errors: Vec::new(),
    })
}

/// Credits (`add`) or uncredits a producer for a publication or dataset.
pub async fn credit(
    ctx: &Context<'_>,
    input: CreditProducerInput,
    add: bool,
) -> ApiResult<CreditPayload> {
    let refused = |user_errors| CreditPayload {
        user_errors,
        ..Default::default()
    };
    let txn = begin(ctx).await?;
    let mut errors = UserErrors::default();
    let mut payload = CreditPayload::default();
    let owner = match (&input.publication_id, &input.dataset_id) {
        (Some(id), None) => {
            find::<publication::Model>(&txn, &mut errors, "publicationId", id, "publication")
                .await?
                .map(|p| {
                    let id = p.id;
                    payload.publication = Some(Publication(p));
                    (CreditTable::Publication, id)
                })
        }
        (None, Some(id)) => find::<dataset::Model>(&txn, &mut errors, "datasetId", id, "dataset")
            .await?
            .map(|d| {
                let id = d.id;
                payload.dataset = Some(Dataset(d));
                (CreditTable::Dataset, id)
            }),
        _ => {
            errors.add(
                "",
                Code::Invalid,
                "give exactly one of publicationId and datasetId",
            );
            None
        }
    };
    let producer = find::<producer::Model>(
        &txn,
        &mut errors,
        "producerId",
        &input.producer_id,
        "producer",
    )
    .await?;
    let (Some((table, owner)), Some(producer)) = (owner, producer) else {
        return rejected(txn, errors, refused).await;
    };
    let role = input.role.as_db();
    let changed = if add {
        edits::credit(&txn, table, owner, producer.id, role).await?;
        true
    } else {
        edits::uncredit(&txn, table, owner, producer.id, role).await?
    };
    if !changed {
        errors.add(
            "role",
            Code::NotFound,
            format!("the producer is not credited as {role}"),
        );
        return rejected(txn, errors, refused).await;
    }
    revision::commit_write(txn).await?;
    payload.producer = Some(Producer(producer));
    Ok(payload)
}
