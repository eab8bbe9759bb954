//! `Dataset`: a study, its producers and the publications that relate to it.

use crate::graphql::cost::page_cost;
use async_graphql::{Context, ID, Object};

use super::common::{PartialDate, ProducerRole, RelationType, YearRange};
use super::lists::DatasetPublicationConnection;
use super::{ProducerCredit, credits, deferred_text, relation_types_filter, value_list};
use crate::db::entities::{CreditTable, Record, ValueList, dataset};
use crate::db::pages::{Link, Table};
use crate::graphql::connection::{self, PageArgs};
use crate::graphql::errors::ApiResult;
use crate::graphql::filters::{self, PublicationFilter, PublicationOrder};
use crate::graphql::ids::global_id;

#[derive(Clone)]
pub struct Dataset(pub dataset::Model);

impl From<dataset::Model> for Dataset {
    fn from(model: dataset::Model) -> Self {
        Self(model)
    }
}

#[Object]
impl Dataset {
    pub async fn id(&self) -> ID {
        global_id(dataset::Model::TABLE, self.0.id)
    }

    /// The ICPSR study number without its prefix: "20423".
    async fn study_number(&self) -> Option<&str> {
        self.0.study_number.as_deref()
    }

    /// "10.3886/ICPSR20423.v1".
    async fn doi(&self) -> Option<&str> {
        self.0.doi.as_deref()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The summary (it counts 10 towards a query's cost, where other fields count 1).
    #[graphql(complexity = "super::LONG_TEXT_COST")]
    async fn summary(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        deferred_text(ctx, &self.0.summary, Table::Dataset, "summary", self.0.id).await
    }

    /// The years the data cover.
    async fn time_period(&self) -> Option<YearRange> {
        let (start, end) = (self.0.time_period_start, self.0.time_period_end);
        (start.is_some() || end.is_some()).then_some(YearRange { start, end })
    }

    async fn geographic_coverage(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::DatasetCoverage, self.0.id).await
    }

    async fn released_on(&self) -> Option<PartialDate> {
        PartialDate::from_parts(
            self.0.released_year,
            self.0.released_month,
            self.0.released_day,
        )
    }

    async fn version(&self) -> Option<&str> {
        self.0.version.as_deref()
    }

    async fn series(&self) -> Option<&str> {
        self.0.series.as_deref()
    }

    async fn data_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::DatasetDataTypes, self.0.id).await
    }

    async fn subjects(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        value_list(ctx, ValueList::DatasetSubjects, self.0.id).await
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// True for generated records (demo and benchmark data), never for catalogued ones.
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }

    /// Principal investigators' institutions, funders, distributors, ...
    async fn producers(
        &self,
        ctx: &Context<'_>,
        role: Option<ProducerRole>,
    ) -> ApiResult<Vec<ProducerCredit>> {
        credits(ctx, CreditTable::Dataset, self.0.id, role).await
    }

    /// Publications that use or describe this dataset, with how they relate on each edge.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn related_publications(
        &self,
        ctx: &Context<'_>,
        relation_type: Option<Vec<RelationType>>,
        filter: Option<PublicationFilter>,
        order_by: Option<Vec<PublicationOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<DatasetPublicationConnection> {
        let link = Link::DatasetPublications {
            relation_types: relation_types_filter(relation_type),
        };
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
}
