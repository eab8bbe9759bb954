//! The schema's lists: each names a generic [`Connection`], its edge type, and its facets.

use async_graphql::connection::EmptyFields;

use super::facets::{DatasetFacets, ProducerFacets, PublicationFacets, WithFacets};
use super::{Dataset, Producer, Publication};
use crate::db::entities::{dataset, producer, publication};
use crate::graphql::connection::{Connection, LinkEdgeFields, ListKind, SharedFields};

macro_rules! list_kind {
    ($(#[$doc:meta])* $kind:ident: $row:ty => $node:ty, edge $fields:ty, extra $extra:ty, $conn:literal, $edge:literal) => {
        $(#[$doc])*
        pub struct $kind;
        impl ListKind for $kind {
            type Row = $row;
            type Node = $node;
            type EdgeFields = $fields;
            type Extra = $extra;
            const CONNECTION: &'static str = $conn;
            const EDGE: &'static str = $edge;
        }
    };
}

list_kind!(
    PublicationList: publication::Model => Publication, edge EmptyFields, extra WithFacets<PublicationFacets>,
    "PublicationConnection", "PublicationEdge"
);
list_kind!(
    DatasetList: dataset::Model => Dataset, edge EmptyFields, extra WithFacets<DatasetFacets>,
    "DatasetConnection", "DatasetEdge"
);
list_kind!(
    ProducerList: producer::Model => Producer, edge EmptyFields, extra WithFacets<ProducerFacets>,
    "ProducerConnection", "ProducerEdge"
);
list_kind!(
    /// A publication's datasets, with the link on each edge.
    RelatedDatasets: dataset::Model => Dataset, edge LinkEdgeFields, extra WithFacets<DatasetFacets>,
    "RelatedDatasetConnection", "RelatedDatasetEdge"
);
list_kind!(
    /// A dataset's publications, with the link on each edge.
    DatasetPublications: publication::Model => Publication, edge LinkEdgeFields, extra WithFacets<PublicationFacets>,
    "DatasetPublicationConnection", "DatasetPublicationEdge"
);
list_kind!(
    /// Publications sharing datasets with a publication, most shared first.
    CoUsedPublications: publication::Model => Publication, edge SharedFields, extra EmptyFields,
    "RelatedPublicationConnection", "RelatedPublicationEdge"
);

pub type PublicationConnection = Connection<PublicationList>;
pub type DatasetConnection = Connection<DatasetList>;
pub type ProducerConnection = Connection<ProducerList>;
pub type RelatedDatasetConnection = Connection<RelatedDatasets>;
pub type DatasetPublicationConnection = Connection<DatasetPublications>;
pub type RelatedPublicationConnection = Connection<CoUsedPublications>;
