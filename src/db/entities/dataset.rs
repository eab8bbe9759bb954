//! A dataset (study), such as an ICPSR study with its study number and DOI.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dataset")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub study_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    /// Lowercased title, for the TITLE order (the same on both backends).
    pub title_key: String,
    pub summary: Option<String>,
    pub time_period_start: Option<i32>,
    pub time_period_end: Option<i32>,
    pub released_year: Option<i32>,
    pub released_month: Option<i32>,
    pub released_day: Option<i32>,
    /// See [`crate::dates::PartialDateValue::key`].
    pub released_key: Option<i64>,
    pub version: Option<String>,
    pub series: Option<String>,
    pub url: Option<String>,
    pub synthetic: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
