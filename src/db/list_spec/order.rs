//! How a list is ordered: its sort keys as SQL expressions (the row id always breaks ties).

use sea_orm::DatabaseBackend;

use super::Table;

/// How a list is ordered; the row id always breaks ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    PublishedOn,
    ReleasedOn,
    Title,
    Name,
    StudyNumber,
    /// Search relevance (higher first when descending).
    Relevance,
    /// Publications: their datasets; datasets: their publications.
    RelatedCount,
    PublicationCount,
    DatasetCount,
    /// Co-use: datasets shared with the parent publication.
    SharedDatasets,
}

/// The SQL type of a sort key's value, to read it back for cursors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Int,
    Float,
    Text,
}

impl SortKey {
    /// The key's SQL expressions (one or more) and their types.
    pub fn exprs(self, table: Table, backend: DatabaseBackend) -> Vec<(String, KeyType)> {
        let collate = |column: &str| match backend {
            DatabaseBackend::Postgres => format!("{column} COLLATE \"C\""),
            _ => column.to_owned(),
        };
        let count = |links: &str, owner: &str| {
            format!("(SELECT COUNT(*) FROM {links} x WHERE x.{owner} = t.id)")
        };
        let credited = |credits: &str, record: &str| {
            format!(
                "(SELECT COUNT(DISTINCT x.{record}) FROM {credits} x WHERE x.producer_id = t.id)"
            )
        };
        match self {
            Self::PublishedOn => vec![("t.published_key".into(), KeyType::Int)],
            Self::ReleasedOn => vec![("t.released_key".into(), KeyType::Int)],
            Self::Title => vec![(collate("t.title_key"), KeyType::Text)],
            Self::Name => vec![(collate("t.name_key"), KeyType::Text)],
            // Numeric study numbers in numeric order: by length, then by text.
            Self::StudyNumber => vec![
                ("length(t.study_number)".into(), KeyType::Int),
                (collate("t.study_number"), KeyType::Text),
            ],
            Self::Relevance => vec![(relevance_expr(table, backend), KeyType::Float)],
            Self::RelatedCount => match table {
                Table::Dataset => vec![(count("publication_dataset", "dataset_id"), KeyType::Int)],
                _ => vec![(count("publication_dataset", "publication_id"), KeyType::Int)],
            },
            // Records credited, each once: a record credited in two roles is one record, as
            // the producer's own `publications { totalCount }` counts it.
            Self::PublicationCount => vec![(
                credited("publication_producer", "publication_id"),
                KeyType::Int,
            )],
            Self::DatasetCount => vec![(credited("dataset_producer", "dataset_id"), KeyType::Int)],
            Self::SharedDatasets => vec![("l.shared".into(), KeyType::Int)],
        }
    }
}

/// The relevance of row `t` for the list's search (higher is better); on PostgreSQL the
/// search's words without its exclusions are `sg_q.r` (see
/// [`SearchQuery::rank_tsquery_literal`]).
fn relevance_expr(table: Table, backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Postgres => "ts_rank(t.search_vector, sg_q.r)".to_owned(),
        _ => format!("({})", fts_relevance(table)),
    }
}

/// SQLite: the relevance of a row of the table's FTS5 index in a `MATCH` over that index alone
/// (the same value [`SortKey::Relevance`] orders by).
pub fn fts_relevance(table: Table) -> String {
    format!("-bm25({}_fts, 10.0, 1.0)", table.name())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Asc,
    Desc,
}
