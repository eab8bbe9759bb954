//! A producer: agency, institute, university or firm, with its parent in the hierarchy.

use sea_orm::entity::prelude::*;

/// Deserializes from a JSON array of the columns in field order (see `db::carried`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "producer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    /// `parent_id` or 0 for roots: makes `(parent_key, name)` unique for roots too.
    pub parent_key: i64,
    pub name: String,
    pub abbreviation: Option<String>,
    pub kind: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    /// Lowercased name, for the NAME order.
    pub name_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
