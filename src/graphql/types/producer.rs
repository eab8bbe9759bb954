//! `Producer`: an agency, institute, university or firm, its place in the hierarchy, and what
//! it produced (optionally counting its subunits).

use crate::graphql::cost::page_cost;
use async_graphql::{Context, ID, Object};

use super::common::ProducerRole;
use super::lists::{DatasetConnection, ProducerConnection, PublicationConnection};
use super::value_list;
use crate::db::entities::{CreditTable, Record, ValueList, producer};
use crate::db::pages::Link;
use crate::graphql::connection::{self, PageArgs};
use crate::graphql::errors::ApiResult;
use crate::graphql::filters::{
    self, DatasetFilter, DatasetOrder, ProducerOrder, PublicationFilter, PublicationOrder,
};
use crate::graphql::ids::global_id;
use crate::graphql::loaders::{AncestorsOf, Loaders, ParentOf};

#[derive(Clone)]
pub struct Producer(pub producer::Model);

impl From<producer::Model> for Producer {
    fn from(model: producer::Model) -> Self {
        Self(model)
    }
}

impl Producer {
    async fn ancestor_rows(&self, ctx: &Context<'_>) -> ApiResult<Vec<producer::Model>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .load_one(AncestorsOf(self.0.id))
            .await?
            .unwrap_or_default())
    }

    fn credited(table: CreditTable, role: Option<ProducerRole>, include_subunits: bool) -> Link {
        Link::ProducerCredits {
            table,
            role: role.map(|r| r.as_db().to_owned()),
            include_subunits,
        }
    }
}

#[Object]
impl Producer {
    pub async fn id(&self) -> ID {
        global_id(producer::Model::TABLE, self.0.id)
    }

    /// "National Institute of Justice".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The name with every ancestor's, root first: "United States Department of Justice, Office
    /// of Justice Programs, National Institute of Justice".
    async fn full_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let mut names: Vec<String> = self
            .ancestor_rows(ctx)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        names.push(self.0.name.clone());
        Ok(names.join(", "))
    }

    /// "NIJ".
    async fn abbreviation(&self) -> Option<&str> {
        self.0.abbreviation.as_deref()
    }

    /// Other names catalogs use for this producer ("Department of Justice").
    async fn aliases(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::ProducerAliases, self.0.id).await
    }

    /// "government agency", "university", "research firm", ...
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }

    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// The unit this one belongs to; null for a root.
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<Producer>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders.load_one(ParentOf(parent)).await?.map(Producer))
    }

    /// Every unit above this one, root first.
    async fn ancestors(&self, ctx: &Context<'_>) -> ApiResult<Vec<Producer>> {
        Ok(self
            .ancestor_rows(ctx)
            .await?
            .into_iter()
            .map(Producer)
            .collect())
    }

    /// Direct subunits.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        order_by: Option<Vec<ProducerOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<ProducerConnection> {
        {
            let spec = filters::producer_list(
                ctx,
                Link::ProducerChildren,
                None,
                None,
                order_by.as_deref(),
            )
            .await?;
            connection::load(
                ctx,
                spec,
                PageArgs::new(first, after, last, before),
                self.0.id,
            )
            .await
        }
    }

    /// Publications credited to this producer; with `includeSubunits`, an agency's record also
    /// counts its offices' publications (each publication once).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn publications(
        &self,
        ctx: &Context<'_>,
        role: Option<ProducerRole>,
        #[graphql(default_with = "Some(false)")] include_subunits: Option<bool>,
        filter: Option<PublicationFilter>,
        order_by: Option<Vec<PublicationOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<PublicationConnection> {
        let link = Self::credited(
            CreditTable::Publication,
            role,
            include_subunits.unwrap_or(false),
        );
        {
            let spec =
                filters::publication_list(ctx, link, filter.as_ref(), None, order_by.as_deref())
                    .await?;
            connection::load(
                ctx,
                spec,
                PageArgs::new(first, after, last, before),
                self.0.id,
            )
            .await
        }
    }

    /// Datasets credited to this producer; `includeSubunits` as for publications.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        role: Option<ProducerRole>,
        #[graphql(default_with = "Some(false)")] include_subunits: Option<bool>,
        filter: Option<DatasetFilter>,
        order_by: Option<Vec<DatasetOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<DatasetConnection> {
        let link = Self::credited(
            CreditTable::Dataset,
            role,
            include_subunits.unwrap_or(false),
        );
        {
            let spec = filters::dataset_list(ctx, link, filter.as_ref(), None, order_by.as_deref())
                .await?;
            connection::load(
                ctx,
                spec,
                PageArgs::new(first, after, last, before),
                self.0.id,
            )
            .await
        }
    }
}
