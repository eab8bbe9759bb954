//! sea-orm entities: one module per table that has a row type of its own. List-valued
//! attributes (subjects, authors, aliases, ...) are rows in small tables described by
//! [`ValueList`], read and written through generic SQL.

pub mod dataset;
pub mod producer;
pub mod publication;
pub mod publication_dataset;

/// A table of `(owner_id, position, value)` rows holding one ordered list per owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueList {
    ProducerAliases,
    PublicationAuthors,
    PublicationSubjects,
    DatasetSubjects,
    DatasetCoverage,
    DatasetDataTypes,
}

impl ValueList {
    /// `(table, owner column)`.
    pub fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::ProducerAliases => ("producer_alias", "producer_id"),
            Self::PublicationAuthors => ("publication_author", "publication_id"),
            Self::PublicationSubjects => ("publication_subject", "publication_id"),
            Self::DatasetSubjects => ("dataset_subject", "dataset_id"),
            Self::DatasetCoverage => ("dataset_coverage", "dataset_id"),
            Self::DatasetDataTypes => ("dataset_data_type", "dataset_id"),
        }
    }
}

/// A table crediting producers for a record, with a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreditTable {
    Publication,
    Dataset,
}

impl CreditTable {
    /// `(table, owner column, owner table)`.
    pub fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Publication => ("publication_producer", "publication_id", "publication"),
            Self::Dataset => ("dataset_producer", "dataset_id", "dataset"),
        }
    }
}

/// A row type that global ids and connections can point at.
pub trait Record:
    sea_orm::FromQueryResult + sea_orm::ModelTrait + Clone + Send + Sync + 'static
{
    const TABLE: crate::db::pages::Table;
    fn id(&self) -> i64;

    /// The table crediting producers for these records, if they have credits.
    const CREDITS: Option<CreditTable> = None;

    /// The entity's columns as a select list qualified by `alias` ("t.id, t.title, …"). Never
    /// `*`: on PostgreSQL that would also ship each row's search vector.
    fn select_list(alias: &str) -> String {
        select_list::<<Self as sea_orm::ModelTrait>::Entity>(alias, &[])
    }

    /// Long text columns that lists leave out unless a client asks for them, each with the
    /// GraphQL field that shows it: `(column, field)`.
    const DEFERRED: &'static [(&'static str, &'static str)] = &[];

    /// [`Self::select_list`] with the [`Self::DEFERRED`] columns read as NULL (their resolvers
    /// fetch a missing value through the `DeferredText` loader).
    fn lean_select_list(alias: &str) -> String {
        let deferred: Vec<&str> = Self::DEFERRED.iter().map(|(column, _)| *column).collect();
        select_list::<<Self as sea_orm::ModelTrait>::Entity>(alias, &deferred)
    }
}

/// `alias.column AS {prefix}column` for every column of `E`: a second row of one table in the
/// same statement, read back with `from_query_result(row, prefix)`.
pub fn prefixed_select_list<E: sea_orm::EntityTrait>(alias: &str, prefix: &str) -> String {
    use sea_orm::{IdenStatic, Iterable};
    E::Column::iter()
        .map(|column| format!("{alias}.{0} AS {prefix}{0}", column.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `alias.column` for every column of `E`, comma-separated; the `nulled` columns as
/// `CAST(NULL AS TEXT) AS column`.
pub fn select_list<E: sea_orm::EntityTrait>(alias: &str, nulled: &[&str]) -> String {
    use sea_orm::{IdenStatic, Iterable};
    E::Column::iter()
        .map(|column| match column.as_str() {
            name if nulled.contains(&name) => format!("CAST(NULL AS TEXT) AS {name}"),
            name => format!("{alias}.{name}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Record for publication::Model {
    const TABLE: crate::db::pages::Table = crate::db::pages::Table::Publication;
    const DEFERRED: &'static [(&'static str, &'static str)] = &[("abstract", "abstract")];
    const CREDITS: Option<CreditTable> = Some(CreditTable::Publication);
    fn id(&self) -> i64 {
        self.id
    }
}

impl Record for dataset::Model {
    const TABLE: crate::db::pages::Table = crate::db::pages::Table::Dataset;
    const DEFERRED: &'static [(&'static str, &'static str)] = &[("summary", "summary")];
    const CREDITS: Option<CreditTable> = Some(CreditTable::Dataset);
    fn id(&self) -> i64 {
        self.id
    }
}

impl Record for producer::Model {
    const TABLE: crate::db::pages::Table = crate::db::pages::Table::Producer;
    fn id(&self) -> i64 {
        self.id
    }
}
