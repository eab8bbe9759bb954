//! The schema's lists: each names a generic [`Connection`] and its edge type.

use async_graphql::connection::EmptyFields;

use super::{Dataset, Producer, Publication};
use crate::db::entities::{dataset, producer, publication};
use crate::graphql::connection::{Connection, LinkEdgeFields, ListKind};

macro_rules! list_kind {
    ($(#[$doc:meta])* $kind:ident, $row:ty, $node:ty, $fields:ty, $conn:literal, $edge:literal) => {
        $(#[$doc])*
        pub struct $kind;
        impl ListKind for $kind {
            type Row = $row;
            type Node = $node;
            type EdgeFields = $fields;
            const CONNECTION: &'static str = $conn;
            const EDGE: &'static str = $edge;
        }
    };
}

list_kind!(
    PublicationList,
    publication::Model,
    Publication,
    EmptyFields,
    "PublicationConnection",
    "PublicationEdge"
);
list_kind!(
    DatasetList,
    dataset::Model,
    Dataset,
    EmptyFields,
    "DatasetConnection",
    "DatasetEdge"
);
list_kind!(
    ProducerList,
    producer::Model,
    Producer,
    EmptyFields,
    "ProducerConnection",
    "ProducerEdge"
);
list_kind!(
    /// A publication's datasets, with the link on each edge.
    RelatedDatasets, dataset::Model, Dataset, LinkEdgeFields, "RelatedDatasetConnection", "RelatedDatasetEdge"
);
list_kind!(
    /// A dataset's publications, with the link on each edge.
    DatasetPublications, publication::Model, Publication, LinkEdgeFields, "DatasetPublicationConnection", "DatasetPublicationEdge"
);

pub type PublicationConnection = Connection<PublicationList>;
pub type DatasetConnection = Connection<DatasetList>;
pub type ProducerConnection = Connection<ProducerList>;
pub type RelatedDatasetConnection = Connection<RelatedDatasets>;
pub type DatasetPublicationConnection = Connection<DatasetPublications>;
