//! Group-by for dashboards: `publicationStats` and `datasetStats` count a filtered, searched
//! list by one or several dimensions at once (publications per producer per year, ...).

use async_graphql::{Context, Enum, SimpleObject};

use super::errors::{ApiError, ApiResult};
use super::ids::global_id;
use super::loaders::{FacetOf, Loaders};
use crate::db::entities::{CreditTable, ValueList};
use crate::db::facets::{Dimension, UNKNOWN};
use crate::db::pages::{ListSpec, Table};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicationDimension {
    Year,
    PublicationType,
    Producer,
    Subject,
    RelationType,
    Language,
}

impl From<PublicationDimension> for Dimension {
    fn from(d: PublicationDimension) -> Self {
        match d {
            PublicationDimension::Year => Dimension::Column("published_year"),
            PublicationDimension::PublicationType => Dimension::Column("publication_type"),
            PublicationDimension::Producer => Dimension::Producer {
                credits: CreditTable::Publication,
                level: None,
            },
            PublicationDimension::Subject => Dimension::List(ValueList::PublicationSubjects),
            PublicationDimension::RelationType => Dimension::RelationType,
            PublicationDimension::Language => Dimension::Column("language"),
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetDimension {
    ReleaseYear,
    Producer,
    Subject,
    Series,
    DataType,
}

impl From<DatasetDimension> for Dimension {
    fn from(d: DatasetDimension) -> Self {
        match d {
            DatasetDimension::ReleaseYear => Dimension::Column("released_year"),
            DatasetDimension::Producer => Dimension::Producer {
                credits: CreditTable::Dataset,
                level: None,
            },
            DatasetDimension::Subject => Dimension::List(ValueList::DatasetSubjects),
            DatasetDimension::Series => Dimension::Column("series"),
            DatasetDimension::DataType => Dimension::List(ValueList::DatasetDataTypes),
        }
    }
}

/// One group: its key per dimension, in the order asked, and how many records it holds.
#[derive(SimpleObject)]
pub struct StatRow {
    keys: Vec<StatKey>,
    count: i64,
}

#[derive(SimpleObject)]
pub struct StatKey {
    /// The dimension's name, as in the `groupBy` argument ("YEAR", "PRODUCER", ...).
    dimension: String,
    /// Stable: a year, a type, a producer's global id; "unknown" for records without a value.
    key: String,
    label: String,
}

pub const MAX_STAT_ROWS: i32 = 10_000;
/// Rows a stats query returns when its `limit` is left out or null.
pub const DEFAULT_ROWS: i32 = 1_000;

/// Counts `spec`'s rows by `dimensions` (named as the client named them), largest first.
pub async fn group_by(
    ctx: &Context<'_>,
    spec: ListSpec,
    dimensions: Vec<(String, Dimension)>,
    limit: i32,
) -> ApiResult<Vec<StatRow>> {
    if dimensions.is_empty() {
        return Err(ApiError::bad_input(
            "`groupBy` needs at least one dimension",
        ));
    }
    for (i, (name, dimension)) in dimensions.iter().enumerate() {
        if dimensions[..i]
            .iter()
            .any(|(_, earlier)| earlier == dimension)
        {
            return Err(ApiError::bad_input(format!(
                "`groupBy` names {name} twice; name each dimension once"
            )));
        }
    }
    if !(1..=MAX_STAT_ROWS).contains(&limit) {
        return Err(ApiError::bad_input(format!(
            "`limit` must be between 1 and {MAX_STAT_ROWS} (got {limit})"
        )));
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let key = FacetOf {
        spec,
        dimensions: dimensions.iter().map(|(_, d)| *d).collect(),
        limit: Some(limit as usize),
        parent: 0,
    };
    let groups = loaders.load_one(key).await?.unwrap_or_default();
    Ok(groups
        .into_iter()
        .map(|group| StatRow {
            keys: group
                .keys
                .into_iter()
                .zip(&dimensions)
                .map(|((key, label), (name, dimension))| {
                    let key = match key.parse::<i64>() {
                        Ok(id) if dimension.is_producer() && key != UNKNOWN => {
                            global_id(Table::Producer, id).0
                        }
                        _ => key,
                    };
                    StatKey {
                        dimension: name.clone(),
                        key,
                        label,
                    }
                })
                .collect(),
            count: group.count,
        })
        .collect())
}
