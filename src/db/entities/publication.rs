//! A publication: a report, article or bulletin, with a date as precise as its source.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publication")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ncj_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    /// Lowercased title, for the TITLE order (the same on both backends).
    pub title_key: String,
    pub subtitle: Option<String>,
    pub publication_type: Option<String>,
    pub published_year: Option<i32>,
    pub published_month: Option<i32>,
    pub published_day: Option<i32>,
    /// See [`crate::dates::PartialDateValue::key`].
    pub published_key: Option<i64>,
    #[sea_orm(column_name = "abstract")]
    pub abstract_text: Option<String>,
    pub physical_description: Option<String>,
    pub place_of_production: Option<String>,
    pub language: Option<String>,
    pub url: Option<String>,
    pub synthetic: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
