//! The query root: nodes by global id, records by natural key, and the three top-level lists.

use crate::graphql::cost::page_cost;
use async_graphql::{Context, ID, Object};

use super::connection::{self, PageArgs};
use super::errors::{ApiError, ApiResult};
use super::filters::{
    self, DatasetFilter, DatasetOrder, ProducerFilter, ProducerOrder, PublicationFilter,
    PublicationOrder,
};
use super::ids::{decode_global_id, decode_id_of};
use super::loaders::{ById, Loaders};
use super::search::{self, SearchConnection, SearchType};
use super::stats::{self, DatasetDimension, PublicationDimension, StatRow};
use super::types::lists::{DatasetConnection, ProducerConnection, PublicationConnection};
use super::types::{Dataset, Node, Producer, Publication, credits_to_carry};
use crate::db::Db;
use crate::db::entities::{Record, dataset, producer, publication};
use crate::db::lookup::{self, ProducerLookupError};
use crate::db::pages::{Link, Table};

pub struct QueryRoot;

/// Exactly one of the lookup keys must be given.
fn one_key<'a>(
    field: &str,
    keys: &[(&'static str, Option<&'a String>)],
) -> ApiResult<(&'static str, &'a str)> {
    let given: Vec<_> = keys
        .iter()
        .filter_map(|(name, value)| value.map(|v| (*name, v.as_str())))
        .collect();
    match given.as_slice() {
        [one] => Ok(*one),
        _ => {
            let names: Vec<&str> = keys.iter().map(|(name, _)| *name).collect();
            Err(ApiError::bad_input(format!(
                "`{field}` takes exactly one of: {}",
                names.join(", ")
            )))
        }
    }
}

async fn by_id<R: Record>(ctx: &Context<'_>, id: i64) -> ApiResult<Option<R>> {
    Ok(ctx
        .data_unchecked::<Loaders>()
        .load_one(ById::<R>::new(id))
        .await?)
}

/// A record by global id (its table checked) or by a natural key column. When the query shows
/// the record's producers, they come with the row (one statement for both).
async fn lookup<R: Record>(
    ctx: &Context<'_>,
    key: (&'static str, &str),
    column: &str,
    value: String,
) -> ApiResult<Option<R>> {
    let credits = credits_to_carry::<R>(&[ctx.look_ahead()]);
    let (column, value) = match (key.0, credits) {
        ("id", None) => return by_id::<R>(ctx, decode_id_of(key.1, R::TABLE)?).await,
        ("id", Some(_)) => ("id", decode_id_of(key.1, R::TABLE)?.into()),
        _ => (column, value.into()),
    };
    let db = ctx.data_unchecked::<Db>();
    let Some((row, carried)) = lookup::one_carrying::<R>(&db.conn, column, value, credits).await?
    else {
        return Ok(None);
    };
    if let Some(credits) = credits {
        let loaders = ctx.data_unchecked::<Loaders>();
        loaders
            .inner()
            .keep_carried(credits, vec![(row.id(), carried)]);
    }
    Ok(Some(row))
}

/// Merged into the schema's `Query` root (see `schema::Query`), under a name of its own.
#[Object(name = "RecordsQuery")]
impl QueryRoot {
    /// Any record by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let (table, id) = decode_global_id(&id)?;
        Ok(match table {
            Table::Publication => by_id::<publication::Model>(ctx, id)
                .await?
                .map(|m| Node::Publication(m.into())),
            Table::Dataset => by_id::<dataset::Model>(ctx, id)
                .await?
                .map(|m| Node::Dataset(m.into())),
            Table::Producer => by_id::<producer::Model>(ctx, id)
                .await?
                .map(|m| Node::Producer(m.into())),
        })
    }

    /// Records by global id (at most 100, as a page), in the order asked, null where one does
    /// not exist.
    #[graphql(complexity = "1usize.saturating_add(ids.len().saturating_mul(child_complexity))")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> ApiResult<Vec<Option<Node>>> {
        // As many as a page holds: 38,000 ids of one small selection stayed under the cost
        // limit and answered 44 MB, growing the server by 580 MB.
        let max = super::connection::MAX_PAGE_SIZE as usize;
        if ids.len() > max {
            return Err(ApiError::bad_input(format!(
                "`nodes` takes at most {max} ids (got {}); ask in pages",
                ids.len()
            )));
        }
        let decoded = ids
            .iter()
            .map(|id| decode_global_id(id))
            .collect::<ApiResult<Vec<_>>>()?;
        let lookups = decoded.into_iter().map(|(table, id)| async move {
            Ok::<_, ApiError>(match table {
                Table::Publication => by_id::<publication::Model>(ctx, id)
                    .await?
                    .map(|m| Node::Publication(m.into())),
                Table::Dataset => by_id::<dataset::Model>(ctx, id)
                    .await?
                    .map(|m| Node::Dataset(m.into())),
                Table::Producer => by_id::<producer::Model>(ctx, id)
                    .await?
                    .map(|m| Node::Producer(m.into())),
            })
        });
        futures::future::try_join_all(lookups).await
    }

    /// A publication by exactly one key: global id, NCJ number ("216547" or "NCJ 216547") or DOI.
    async fn publication(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        ncj_number: Option<String>,
        doi: Option<String>,
    ) -> ApiResult<Option<Publication>> {
        let id = id.map(|id| id.0);
        let key = one_key(
            "publication",
            &[
                ("id", id.as_ref()),
                ("ncjNumber", ncj_number.as_ref()),
                ("doi", doi.as_ref()),
            ],
        )?;
        let (column, value) = match key.0 {
            "ncjNumber" => ("ncj_number", lookup::normalize_ncj(key.1)),
            _ => ("doi", lookup::normalize_doi(key.1)),
        };
        Ok(lookup::<publication::Model>(ctx, key, column, value)
            .await?
            .map(Publication))
    }

    /// A dataset by exactly one key: global id, study number ("20423" or "ICPSR 20423") or DOI.
    async fn dataset(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        study_number: Option<String>,
        doi: Option<String>,
    ) -> ApiResult<Option<Dataset>> {
        let id = id.map(|id| id.0);
        let key = one_key(
            "dataset",
            &[
                ("id", id.as_ref()),
                ("studyNumber", study_number.as_ref()),
                ("doi", doi.as_ref()),
            ],
        )?;
        let (column, value) = match key.0 {
            "studyNumber" => ("study_number", lookup::normalize_study_number(key.1)),
            _ => ("doi", lookup::normalize_doi(key.1)),
        };
        Ok(lookup::<dataset::Model>(ctx, key, column, value)
            .await?
            .map(Dataset))
    }

    /// A producer by global id, or by name: its name, abbreviation or any alias ("NIJ",
    /// "Department of Justice"), a path from the root ("DOJ > OJP > NIJ"), or its full name
    /// as catalogs write it ("United States Department of Justice. Office of Justice Programs.
    /// National Institute of Justice", or "United States Department of Justice, National
    /// Institute of Justice", which skips a level).
    async fn producer(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
    ) -> ApiResult<Option<Producer>> {
        let id = id.map(|id| id.0);
        let key = one_key("producer", &[("id", id.as_ref()), ("name", name.as_ref())])?;
        if key.0 == "id" {
            return Ok(
                by_id::<producer::Model>(ctx, decode_id_of(key.1, Table::Producer)?)
                    .await?
                    .map(Producer),
            );
        }
        match lookup::producer_by_path(&ctx.data_unchecked::<Db>().conn, key.1).await {
            Ok(found) => Ok(Some(Producer(found))),
            Err(ProducerLookupError::NotFound(_)) => Ok(None),
            Err(ProducerLookupError::Ambiguous { name, candidates }) => {
                Err(ApiError::bad_input(format!(
                    "\"{name}\" names {candidates} producers; give the path from the root (\"A > B > C\", each level's own name), or the id"
                )))
            }
            Err(ProducerLookupError::Db(err)) => Err(err.into()),
        }
    }

    /// Publications, filtered, searched (ranked by relevance unless `orderBy` says otherwise)
    /// and ordered; without `orderBy` or `search`, in id order. A `search` holds words (matched
    /// by stem and as prefixes: "traffic" finds "trafficking"), "quoted phrases", `OR` between
    /// alternatives and `-excluded` words; common words such as "the" are ignored.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn publications(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublicationFilter>,
        search: Option<String>,
        order_by: Option<Vec<PublicationOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<PublicationConnection> {
        let link = Link::All(Table::Publication);
        let spec = filters::publication_list(
            ctx,
            link,
            filter.as_ref(),
            search.as_deref(),
            order_by.as_deref(),
        )
        .await?;
        connection::load(ctx, spec, PageArgs::new(first, after, last, before), 0).await
    }

    /// Datasets, as for publications.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        filter: Option<DatasetFilter>,
        search: Option<String>,
        order_by: Option<Vec<DatasetOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<DatasetConnection> {
        let link = Link::All(Table::Dataset);
        let spec = filters::dataset_list(
            ctx,
            link,
            filter.as_ref(),
            search.as_deref(),
            order_by.as_deref(),
        )
        .await?;
        connection::load(ctx, spec, PageArgs::new(first, after, last, before), 0).await
    }

    /// Producers, as for publications.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn producers(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProducerFilter>,
        search: Option<String>,
        order_by: Option<Vec<ProducerOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<ProducerConnection> {
        let link = Link::All(Table::Producer);
        let spec = filters::producer_list(
            ctx,
            link,
            filter.as_ref(),
            search.as_deref(),
            order_by.as_deref(),
        )
        .await?;
        connection::load(ctx, spec, PageArgs::new(first, after, last, before), 0).await
    }

    /// Ranked full-text search across all three kinds (or `types`), best first; `query` in
    /// the syntax of `publications(search:)`.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        types: Option<Vec<SearchType>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<SearchConnection> {
        search::run(ctx, &query, types, first, after).await
    }

    /// Publications counted by one or several dimensions at once, largest groups first.
    async fn publication_stats(
        &self,
        ctx: &Context<'_>,
        group_by: Vec<PublicationDimension>,
        filter: Option<PublicationFilter>,
        search: Option<String>,
        #[graphql(default_with = "Some(stats::DEFAULT_ROWS)")] limit: Option<i32>,
    ) -> ApiResult<Vec<StatRow>> {
        let link = Link::All(Table::Publication);
        let spec =
            filters::publication_list(ctx, link, filter.as_ref(), search.as_deref(), None).await?;
        let dimensions = group_by
            .into_iter()
            .map(|d| (enum_name(d), d.into()))
            .collect();
        stats::group_by(ctx, spec, dimensions, limit.unwrap_or(stats::DEFAULT_ROWS)).await
    }

    /// Datasets counted by one or several dimensions at once, largest groups first.
    async fn dataset_stats(
        &self,
        ctx: &Context<'_>,
        group_by: Vec<DatasetDimension>,
        filter: Option<DatasetFilter>,
        search: Option<String>,
        #[graphql(default_with = "Some(stats::DEFAULT_ROWS)")] limit: Option<i32>,
    ) -> ApiResult<Vec<StatRow>> {
        let link = Link::All(Table::Dataset);
        let spec =
            filters::dataset_list(ctx, link, filter.as_ref(), search.as_deref(), None).await?;
        let dimensions = group_by
            .into_iter()
            .map(|d| (enum_name(d), d.into()))
            .collect();
        stats::group_by(ctx, spec, dimensions, limit.unwrap_or(stats::DEFAULT_ROWS)).await
    }
}

/// An enum value's GraphQL name ("PUBLICATION_TYPE").
fn enum_name<E: async_graphql::resolver_utils::EnumType>(value: E) -> String {
    E::items()
        .iter()
        .find(|item| item.value == value)
        .map(|item| item.name.to_owned())
        .unwrap_or_default()
}
