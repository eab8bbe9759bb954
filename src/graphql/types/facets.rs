//! Facets of connections: counts by year, type, subject, producer (optionally rolled up the
//! hierarchy) and relation type, computed in SQL over the whole filtered list and batched
//! across parents like every other relationship. Facets by a single-valued column come from
//! the connection's joint counts (one statement for all of them); the others are a statement
//! each, run side by side.

use std::sync::Arc;

use async_graphql::{Context, Lookahead, Object, SimpleObject};

use crate::db::entities::{CreditTable, ValueList};
use crate::db::facets::{Dimension, JointCounts, UNKNOWN, applies};
use crate::db::pages::{ListSpec, Table};
use crate::graphql::connection::ConnectionExtra;
use crate::graphql::errors::{ApiError, ApiResult};
use crate::graphql::ids::global_id;
use crate::graphql::loaders::{FacetOf, Loaders};

/// One bucket of a facet. `key` is stable (a producer's global id, a year, a type);
/// `label` is for people. Rows without a value are counted under the key "unknown".
#[derive(SimpleObject, Clone, Debug)]
pub struct FacetBucket {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// Largest number of buckets a facet returns.
pub(crate) const MAX_BUCKETS: i32 = 1000;
/// Buckets a facet with `first` returns when it is left out or null.
const DEFAULT_BUCKETS: i32 = 20;

/// The bucket limit of a facet with `first` ([`DEFAULT_BUCKETS`] when it is left out or null).
fn top(first: Option<i32>) -> Option<i32> {
    Some(first.unwrap_or(DEFAULT_BUCKETS))
}

/// Counts of one parent's list by one dimension.
async fn buckets(
    ctx: &Context<'_>,
    scope: &Scope,
    dimension: Dimension,
    first: Option<i32>,
) -> ApiResult<Vec<FacetBucket>> {
    let limit = match first {
        None => None,
        Some(n) if (0..=MAX_BUCKETS).contains(&n) => Some(n as usize),
        Some(n) => {
            return Err(ApiError::bad_input(format!(
                "`first` must be between 0 and {MAX_BUCKETS} (got {n})"
            )));
        }
    };
    let counted = match (dimension, &scope.joint) {
        (Dimension::Column(column), Some(joint)) => joint.marginal(column),
        _ => None,
    };
    let groups = match counted {
        Some(mut groups) => {
            if let Some(limit) = limit {
                groups.truncate(limit);
            }
            groups
        }
        None => ctx
            .data_unchecked::<Loaders>()
            .load_one(FacetOf {
                spec: scope.spec.clone(),
                dimensions: vec![dimension],
                limit,
                parent: scope.parent,
            })
            .await?
            .unwrap_or_default(),
    };
    Ok(groups
        .into_iter()
        .map(|group| {
            let (key, label) = group.keys.into_iter().next().unwrap_or_default();
            let key = match key.parse::<i64>() {
                Ok(id) if dimension.is_producer() && key != UNKNOWN => {
                    global_id(Table::Producer, id).0
                }
                _ => key,
            };
            FacetBucket {
                key,
                label,
                count: group.count,
            }
        })
        .collect())
}

/// Buckets in key order (years), "unknown" last.
fn chronological(mut buckets: Vec<FacetBucket>) -> Vec<FacetBucket> {
    buckets.sort_by(|a, b| (a.key == UNKNOWN, &a.key).cmp(&(b.key == UNKNOWN, &b.key)));
    buckets
}

/// The list a facets object counts: its definition, its parent, and its counts by the
/// selection's column facets when they were read with the page.
#[derive(Clone)]
struct Scope {
    spec: ListSpec,
    parent: i64,
    joint: Option<Arc<JointCounts>>,
}

fn relation_dimension(spec: &ListSpec) -> Dimension {
    if applies(Dimension::EdgeRelationType, spec) {
        Dimension::EdgeRelationType
    } else {
        Dimension::RelationType
    }
}

fn level(level: Option<i32>) -> ApiResult<Option<u8>> {
    match level {
        None => Ok(None),
        Some(l) if (0..=16).contains(&l) => Ok(Some(l as u8)),
        Some(l) => Err(ApiError::bad_input(format!(
            "`level` must be between 0 (roots) and 16 (got {l})"
        ))),
    }
}

/// Facets of a list of publications.
pub struct PublicationFacets(Scope);

#[Object]
impl PublicationFacets {
    /// By year of publication, in year order.
    async fn years(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        Ok(chronological(
            buckets(ctx, &self.0, Dimension::Column("published_year"), None).await?,
        ))
    }

    async fn publication_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, Dimension::Column("publication_type"), None).await
    }

    async fn languages(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, Dimension::Column("language"), None).await
    }

    /// The most frequent subjects (a publication counts once under each of its subjects).
    async fn subjects(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        buckets(
            ctx,
            &self.0,
            Dimension::List(ValueList::PublicationSubjects),
            top(first),
        )
        .await
    }

    /// The most frequent producers; with `level`, each counts for its ancestor at that depth
    /// (0 = the roots), so "publications per agency" counts an institute's under its agency.
    /// A credit to a producer above that depth counts for that producer itself: its bucket
    /// holds only its own credits, so it drills down with `producerIds` alone (with
    /// `includeSubunits`, every other bucket's key finds exactly its count).
    async fn producers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
        level: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        let dimension = Dimension::Producer {
            credits: CreditTable::Publication,
            level: self::level(level)?,
        };
        buckets(ctx, &self.0, dimension, top(first)).await
    }

    /// By relation type: of the edges in a publication↔dataset list, else of the publications'
    /// links (a publication counts once per type it has).
    async fn relation_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, relation_dimension(&self.0.spec), None).await
    }
}

/// Facets of a list of datasets.
pub struct DatasetFacets(Scope);

#[Object]
impl DatasetFacets {
    /// By year of release, in year order.
    async fn release_years(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        Ok(chronological(
            buckets(ctx, &self.0, Dimension::Column("released_year"), None).await?,
        ))
    }

    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, Dimension::Column("series"), top(first)).await
    }

    async fn subjects(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        buckets(
            ctx,
            &self.0,
            Dimension::List(ValueList::DatasetSubjects),
            top(first),
        )
        .await
    }

    async fn data_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        buckets(
            ctx,
            &self.0,
            Dimension::List(ValueList::DatasetDataTypes),
            top(first),
        )
        .await
    }

    async fn geographic_coverage(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        buckets(
            ctx,
            &self.0,
            Dimension::List(ValueList::DatasetCoverage),
            top(first),
        )
        .await
    }

    /// As for publications, with `level` rolling producers up the hierarchy.
    async fn producers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_BUCKETS)")] first: Option<i32>,
        level: Option<i32>,
    ) -> ApiResult<Vec<FacetBucket>> {
        let dimension = Dimension::Producer {
            credits: CreditTable::Dataset,
            level: self::level(level)?,
        };
        buckets(ctx, &self.0, dimension, top(first)).await
    }

    async fn relation_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, relation_dimension(&self.0.spec), None).await
    }
}

/// Facets of a list of producers.
pub struct ProducerFacets(Scope);

#[Object]
impl ProducerFacets {
    async fn kinds(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetBucket>> {
        buckets(ctx, &self.0, Dimension::Column("kind"), None).await
    }
}

/// The `facets` field a connection carries.
#[derive(SimpleObject)]
#[graphql(concrete(name = "PublicationFacetsField", params(PublicationFacets)))]
#[graphql(concrete(name = "DatasetFacetsField", params(DatasetFacets)))]
#[graphql(concrete(name = "ProducerFacetsField", params(ProducerFacets)))]
pub struct WithFacets<F: async_graphql::OutputType> {
    /// Counts over the whole list (with its filter and search), not only this page.
    facets: F,
}

/// The facets of each kind that count by a single-valued column with few values, as (field,
/// column): the ones a selection asks for are counted together with the list's length.
const PUBLICATION_COLUMNS: &[(&str, &str)] = &[
    ("years", "published_year"),
    ("publicationTypes", "publication_type"),
    ("languages", "language"),
];
const DATASET_COLUMNS: &[(&str, &str)] = &[("releaseYears", "released_year")];
const PRODUCER_COLUMNS: &[(&str, &str)] = &[("kinds", "kind")];

macro_rules! facets_extra {
    ($($facets:ident: $columns:ident),*) => {$(
        impl ConnectionExtra for WithFacets<$facets> {
            fn joint_columns(connection: &Lookahead<'_>) -> Vec<&'static str> {
                let facets = connection.field("facets");
                $columns
                    .iter()
                    .filter(|(field, _)| facets.field(field).exists())
                    .map(|(_, column)| *column)
                    .collect()
            }

            fn new(spec: &ListSpec, parent: i64, joint: Option<Arc<JointCounts>>) -> Self {
                Self { facets: $facets(Scope { spec: spec.clone(), parent, joint }) }
            }
        }
    )*};
}
facets_extra!(
    PublicationFacets: PUBLICATION_COLUMNS,
    DatasetFacets: DATASET_COLUMNS,
    ProducerFacets: PRODUCER_COLUMNS
);
