//! Which rows of a list qualify: one [`Condition`] per filter, each written as SQL over the
//! list's row `t`.

use super::Table;
use crate::db::entities::{CreditTable, ValueList};
use crate::db::sql::Sql;

/// A condition on the list's rows `t` (all of a list's conditions must hold).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `column` between `min` and `max` (inclusive; either open).
    Between {
        column: &'static str,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// `column` is one of `values`; the facet key "unknown" among them also matches rows
    /// without a value (a facet bucket's key drills down to that bucket's rows).
    OneOf {
        column: &'static str,
        values: Vec<String>,
    },
    /// The row's list holds at least one of `values`; "unknown" among them also matches rows
    /// whose list is empty.
    ListHasAny {
        list: ValueList,
        values: Vec<String>,
    },
    /// The row is credited to one of `producers` (or a unit below one, with subunits), or
    /// (`or_uncredited`) to no producer at all.
    CreditedTo {
        table: CreditTable,
        producers: Vec<i64>,
        include_subunits: bool,
        or_uncredited: bool,
    },
    /// The year `column` is one of `years`, or (`or_unknown`) the row has no year: the years
    /// facet's keys.
    YearIn {
        column: &'static str,
        years: Vec<i32>,
        or_unknown: bool,
    },
    /// The row has a publication↔dataset link of one of `types`, or (`or_unlinked`) no link
    /// at all: the relation types facet's keys.
    LinkTypeIn {
        types: Vec<String>,
        or_unlinked: bool,
    },
    /// The row has (or has no) publication↔dataset links.
    HasLinks(bool),
    /// The row is linked to one of these records of the other side.
    LinkedTo(Vec<i64>),
    /// The dataset's time period overlaps `[start, end]` (either open).
    PeriodOverlaps {
        start: Option<i32>,
        end: Option<i32>,
    },
    /// The producer's parent is this one (`None`: it is a root).
    ParentIs(Option<i64>),
    /// The lowercased title contains this lowercased text.
    TitleContains(String),
}

/// `t.id IN (…)`: the rows credited to one of `producers` (or to a unit below one).
fn write_credited_to(
    sql: &mut Sql,
    credit_table: &str,
    owner: &str,
    producers: &[i64],
    include_subunits: bool,
) {
    sql.push("t.id IN (");
    if include_subunits {
        sql.push("WITH RECURSIVE sub(id) AS (SELECT id FROM producer WHERE id IN ")
            .bind_list(producers.iter().copied())
            .push(" UNION ALL SELECT p.id FROM sub JOIN producer p ON p.parent_id = sub.id) SELECT c.")
            .push(owner)
            .push(" FROM ")
            .push(credit_table)
            .push(" c JOIN sub ON sub.id = c.producer_id");
    } else {
        sql.push("SELECT ")
            .push(owner)
            .push(" FROM ")
            .push(credit_table)
            .push(" WHERE producer_id IN ")
            .bind_list(producers.iter().copied());
    }
    sql.push(")");
}

/// Whether a filter's values name the facets' bucket of rows without a value.
fn names_unknown(values: &[String]) -> bool {
    values
        .iter()
        .any(|value| value == crate::db::facets::UNKNOWN)
}

pub(super) fn write_condition(sql: &mut Sql, condition: &Condition, table: Table) {
    let (links_owner, links_other) = match table {
        Table::Dataset => ("dataset_id", "publication_id"),
        _ => ("publication_id", "dataset_id"),
    };
    match condition {
        Condition::Between { column, min, max } => {
            sql.push("(t.").push(column).push(" IS NOT NULL");
            if let Some(min) = min {
                sql.push(" AND t.").push(column).push(" >= ").bind(*min);
            }
            if let Some(max) = max {
                sql.push(" AND t.").push(column).push(" <= ").bind(*max);
            }
            sql.push(")");
        }
        Condition::TitleContains(text) => {
            sql.push("t.title_key LIKE ")
                .bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
        Condition::OneOf { column, values } => {
            sql.push("(t.")
                .push(column)
                .push(" IN ")
                .bind_list(values.iter().cloned());
            if names_unknown(values) {
                sql.push(" OR t.").push(column).push(" IS NULL");
            }
            sql.push(")");
        }
        Condition::ListHasAny { list, values } => {
            let (list_table, owner) = list.table();
            sql.push("(t.id IN (SELECT ")
                .push(owner)
                .push(" FROM ")
                .push(list_table)
                .push(" WHERE value IN ")
                .bind_list(values.iter().cloned())
                .push(")");
            if names_unknown(values) {
                sql.push(" OR NOT EXISTS (SELECT 1 FROM ")
                    .push(list_table)
                    .push(" l WHERE l.")
                    .push(owner)
                    .push(" = t.id)");
            }
            sql.push(")");
        }
        Condition::CreditedTo {
            table: credits,
            producers,
            include_subunits,
            or_uncredited,
        } => {
            let (credit_table, owner, _) = credits.table();
            sql.push("(");
            if !producers.is_empty() || !or_uncredited {
                write_credited_to(sql, credit_table, owner, producers, *include_subunits);
            }
            if *or_uncredited {
                if !producers.is_empty() {
                    sql.push(" OR ");
                }
                sql.push("NOT EXISTS (SELECT 1 FROM ")
                    .push(credit_table)
                    .push(" c WHERE c.")
                    .push(owner)
                    .push(" = t.id)");
            }
            sql.push(")");
        }
        Condition::YearIn {
            column,
            years,
            or_unknown,
        } => {
            sql.push("(t.")
                .push(column)
                .push(" IN ")
                .bind_list(years.iter().copied());
            if *or_unknown {
                sql.push(" OR t.").push(column).push(" IS NULL");
            }
            sql.push(")");
        }
        Condition::LinkTypeIn { types, or_unlinked } => {
            sql.push("(t.id IN (SELECT ")
                .push(links_owner)
                .push(" FROM publication_dataset WHERE relation_type IN ")
                .bind_list(types.iter().cloned())
                .push(")");
            if *or_unlinked {
                sql.push(" OR NOT EXISTS (SELECT 1 FROM publication_dataset x WHERE x.")
                    .push(links_owner)
                    .push(" = t.id)");
            }
            sql.push(")");
        }
        Condition::HasLinks(present) => {
            sql.push(if *present { "EXISTS" } else { "NOT EXISTS" })
                .push(" (SELECT 1 FROM publication_dataset x WHERE x.")
                .push(links_owner)
                .push(" = t.id)");
        }
        Condition::LinkedTo(ids) => {
            sql.push("t.id IN (SELECT ")
                .push(links_owner)
                .push(" FROM publication_dataset WHERE ")
                .push(links_other)
                .push(" IN ")
                .bind_list(ids.iter().copied())
                .push(")");
        }
        Condition::PeriodOverlaps { start, end } => {
            sql.push("(COALESCE(t.time_period_start, t.time_period_end) IS NOT NULL");
            if let Some(start) = start {
                sql.push(" AND COALESCE(t.time_period_end, t.time_period_start) >= ")
                    .bind(*start);
            }
            if let Some(end) = end {
                sql.push(" AND COALESCE(t.time_period_start, t.time_period_end) <= ")
                    .bind(*end);
            }
            sql.push(")");
        }
        Condition::ParentIs(Some(parent)) => {
            sql.push("t.parent_id = ").bind(*parent);
        }
        Condition::ParentIs(None) => {
            sql.push("t.parent_id IS NULL");
        }
    }
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards in it taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
