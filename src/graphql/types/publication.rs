//! `Publication`: a report or article, its producers and the datasets it relates to.

use crate::graphql::cost::page_cost;
use async_graphql::{Context, ID, Object};

use super::common::{PartialDate, ProducerRole, RelationType};
use super::lists::{RelatedDatasetConnection, RelatedPublicationConnection};
use super::{ProducerCredit, credits, deferred_text, relation_types_filter, value_list};
use crate::db::entities::{CreditTable, Record, ValueList, publication};
use crate::db::pages::{Direction, Link, ListSpec, SortKey, Table};
use crate::graphql::connection::{self, PageArgs};
use crate::graphql::errors::ApiResult;
use crate::graphql::filters::{self, DatasetFilter, DatasetOrder};
use crate::graphql::ids::global_id;

#[derive(Clone)]
pub struct Publication(pub publication::Model);

impl From<publication::Model> for Publication {
    fn from(model: publication::Model) -> Self {
        Self(model)
    }
}

#[Object]
impl Publication {
    pub async fn id(&self) -> ID {
        global_id(publication::Model::TABLE, self.0.id)
    }

    /// The NCJRS number without its prefix: "216547" for "NCJ 216547".
    async fn ncj_number(&self) -> Option<&str> {
        self.0.ncj_number.as_deref()
    }

    async fn doi(&self) -> Option<&str> {
        self.0.doi.as_deref()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The record's "Subtitle/Series Name".
    async fn subtitle(&self) -> Option<&str> {
        self.0.subtitle.as_deref()
    }

    /// "Report (Study/Research)", "Journal Article", ...; null when the source leaves it blank.
    async fn publication_type(&self) -> Option<&str> {
        self.0.publication_type.as_deref()
    }

    async fn published_on(&self) -> Option<PartialDate> {
        PartialDate::from_parts(
            self.0.published_year,
            self.0.published_month,
            self.0.published_day,
        )
    }

    /// The abstract (it counts 10 towards a query's cost, where other fields count 1).
    #[graphql(name = "abstract", complexity = "super::LONG_TEXT_COST")]
    async fn abstract_text(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        deferred_text(
            ctx,
            &self.0.abstract_text,
            Table::Publication,
            "abstract",
            self.0.id,
        )
        .await
    }

    /// "24 figures, 11 references, and appended study instruments".
    async fn physical_description(&self) -> Option<&str> {
        self.0.physical_description.as_deref()
    }

    /// "Washington, DC".
    async fn place_of_production(&self) -> Option<&str> {
        self.0.place_of_production.as_deref()
    }

    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// True for generated records (demo and benchmark data), never for catalogued ones.
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }

    /// Authors in the order the source lists them.
    async fn authors(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::PublicationAuthors, self.0.id).await
    }

    async fn subjects(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::PublicationSubjects, self.0.id).await
    }

    /// Producers credited for this publication, optionally only in one role.
    async fn producers(
        &self,
        ctx: &Context<'_>,
        role: Option<ProducerRole>,
    ) -> ApiResult<Vec<ProducerCredit>> {
        credits(ctx, CreditTable::Publication, self.0.id, role).await
    }

    /// Datasets this publication uses or describes, with how they relate on each edge.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn related_datasets(
        &self,
        ctx: &Context<'_>,
        relation_type: Option<Vec<RelationType>>,
        filter: Option<DatasetFilter>,
        order_by: Option<Vec<DatasetOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RelatedDatasetConnection> {
        let link = Link::PublicationDatasets {
            relation_types: relation_types_filter(relation_type),
        };
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

    /// Publications that share at least one related dataset with this one, most shared first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn related_publications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RelatedPublicationConnection> {
        let spec = ListSpec {
            order: vec![(SortKey::SharedDatasets, Direction::Desc)],
            ..ListSpec::plain(Link::CoUse)
        };
        connection::load(
            ctx,
            spec,
            PageArgs::new(first, after, last, before),
            self.0.id,
        )
        .await
    }
}
