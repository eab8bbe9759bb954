//! Counts by dimension over a whole filtered list, in SQL: the facets of connections (one
//! dimension, per parent; or several single-valued columns at once, [`JointCounts`]) and the
//! group-by stats of dashboards (several dimensions at once).
//! Rows without a value fall in an "unknown" bucket, so single-valued buckets add up to the
//! list's total.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::entities::{CreditTable, ValueList};
use super::list_spec::{Link, ListSpec};
use super::sql::{MAX_IN_LIST, Sql};

/// The key of the bucket of rows without a value.
pub const UNKNOWN: &str = "unknown";

/// Something to count rows by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// A column of the row itself (`published_year`, `publication_type`, `language`, ...).
    Column(&'static str),
    /// A value of one of the row's lists (subjects, data types, coverage).
    List(ValueList),
    /// A credited producer, optionally rolled up to its ancestor at `level` (0 = root).
    Producer {
        credits: CreditTable,
        level: Option<u8>,
    },
    /// The relation types of the row's publication↔dataset links.
    RelationType,
    /// The relation type of the edge itself, in a publication↔dataset list.
    EdgeRelationType,
}

impl Dimension {
    /// Whether the key is a producer id (clients see a global id instead).
    pub fn is_producer(self) -> bool {
        matches!(self, Self::Producer { .. })
    }

    /// Whether a row can have several values (a list, credits, links): counting those in SQL
    /// joins and sorts every match's values, so whole-table lists count them in memory where
    /// they can ([`super::value_index`]).
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            Self::List(_) | Self::Producer { .. } | Self::RelationType
        )
    }

    /// `SELECT t.id AS sg_owner, <key> AS sg_key0` for every value of the rows of `spec`'s
    /// table with `lo < id <= hi`, in id order (rows without a value have no row here).
    pub(super) fn write_row_keys(self, sql: &mut Sql, spec: &ListSpec, lo: i64, hi: i64) {
        let value = self.value(0);
        let (key, _) = self.key_label(&value);
        sql.push("SELECT t.id AS sg_owner, ")
            .push(&key)
            .push(" AS sg_key0 FROM ")
            .push(spec.child_table().name())
            .push(" t");
        self.write_join(sql, 0, spec);
        sql.push(" WHERE t.id > ")
            .bind(lo)
            .push(" AND t.id <= ")
            .bind(hi)
            .push(" AND ")
            .push(&value)
            .push(" IS NOT NULL ORDER BY t.id");
    }

    /// `SELECT sg_key, sg_label` for every value the rows of `spec`'s table have.
    pub(super) fn write_labels(self, sql: &mut Sql, spec: &ListSpec) {
        let (key, label) = self.key_label("g.sg_v");
        sql.push(&format!(
            "SELECT {key} AS sg_key, {label} AS sg_label FROM (SELECT DISTINCT "
        ))
        .push(&self.value(0))
        .push(" AS sg_v FROM ")
        .push(spec.child_table().name())
        .push(" t");
        self.write_join(sql, 0, spec);
        sql.push(") g WHERE g.sg_v IS NOT NULL");
    }

    /// Writes the joins this dimension needs (aliases `d{i}`, `r{i}`).
    fn write_join(self, sql: &mut Sql, i: usize, spec: &ListSpec) {
        let links_owner = match spec.child_table() {
            super::list_spec::Table::Dataset => "dataset_id",
            _ => "publication_id",
        };
        match self {
            Self::Column(_) | Self::EdgeRelationType => {}
            Self::List(list) => {
                let (table, owner) = list.table();
                sql.push(&format!(" LEFT JOIN {table} d{i} ON d{i}.{owner} = t.id"));
            }
            Self::RelationType => {
                sql.push(&format!(
                    " LEFT JOIN publication_dataset d{i} ON d{i}.{links_owner} = t.id"
                ));
            }
            Self::Producer { credits, level } => {
                let (table, owner, _) = credits.table();
                sql.push(&format!(" LEFT JOIN {table} d{i} ON d{i}.{owner} = t.id"));
                if let Some(level) = level {
                    sql.push(" LEFT JOIN (WITH RECURSIVE up(id, ancestor, hops) AS (SELECT id, id, 0 FROM producer ")
                        .push("UNION ALL SELECT up.id, p.parent_id, up.hops + 1 FROM up JOIN producer p ON p.id = up.ancestor ")
                        .push("WHERE p.parent_id IS NOT NULL), depth AS (SELECT id, MAX(hops) AS d FROM up GROUP BY id) ")
                        .push("SELECT up.id, up.ancestor FROM up JOIN depth ON depth.id = up.id WHERE depth.d - up.hops = ")
                        .bind(level as i32)
                        .push(" OR (depth.d < ")
                        .bind(level as i32)
                        .push(&format!(" AND up.hops = 0)) r{i} ON r{i}.id = d{i}.producer_id"));
                }
            }
        }
    }

    /// The value rows are grouped by (a column, a list value, a producer id), over the row `t`
    /// and this dimension's joins.
    fn value(self, i: usize) -> String {
        match self {
            Self::Column(column) => format!("t.{column}"),
            Self::List(_) => format!("d{i}.value"),
            Self::RelationType => format!("d{i}.relation_type"),
            Self::EdgeRelationType => "l.relation_type".into(),
            Self::Producer { level, .. } => {
                if level.is_some() {
                    format!("r{i}.ancestor")
                } else {
                    format!("d{i}.producer_id")
                }
            }
        }
    }

    /// The key expression (text) and the label expression of a grouped value `value`, read
    /// once per group (a producer's name is looked up per group, not per counted row).
    fn key_label(self, value: &str) -> (String, String) {
        match self {
            Self::Column(_) => (
                format!("CAST({value} AS TEXT)"),
                format!("CAST({value} AS TEXT)"),
            ),
            Self::List(_) | Self::RelationType | Self::EdgeRelationType => {
                (value.to_owned(), value.to_owned())
            }
            Self::Producer { .. } => (
                format!("CAST({value} AS TEXT)"),
                format!("(SELECT name FROM producer WHERE id = {value})"),
            ),
        }
    }
}

/// One group: its key and label per dimension, and how many rows fall in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub keys: Vec<(String, String)>,
    pub count: i64,
}

/// Counts each parent's rows by `dimensions`, largest groups first (ties by key), at most
/// `limit` groups per parent when given.
pub async fn group_counts(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    parents: &[i64],
    dimensions: &[Dimension],
    limit: Option<usize>,
) -> Result<HashMap<i64, Vec<Group>>, DbErr> {
    let mut out: HashMap<i64, Vec<Group>> = HashMap::new();
    let parent = spec.link.parent_expr();
    for chunk in parents.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        // Group by the raw values, then turn each group's values into keys and labels.
        sql.push("SELECT g.sg_parent");
        for (i, dimension) in dimensions.iter().enumerate() {
            let (key, label) = dimension.key_label(&format!("g.sg_v{i}"));
            sql.push(&format!(", {key} AS sg_key{i}, {label} AS sg_label{i}"));
        }
        sql.push(", g.sg_count FROM (SELECT ")
            .push(parent)
            .push(" AS sg_parent");
        for (i, dimension) in dimensions.iter().enumerate() {
            sql.push(&format!(", {} AS sg_v{i}", dimension.value(i)));
        }
        // Each row of a whole table counts once in a group of its own columns: no DISTINCT
        // (which would sort every match's id) unless a dimension joins several rows per row.
        let rows_unique = matches!(spec.link, Link::All(_))
            && dimensions.iter().all(|d| matches!(d, Dimension::Column(_)));
        sql.push(if rows_unique {
            ", COUNT(*) AS sg_count FROM "
        } else {
            ", COUNT(DISTINCT t.id) AS sg_count FROM "
        });
        write_with_joins(&mut sql, spec, chunk, dimensions);
        sql.push(" GROUP BY ").push(parent);
        for i in 0..dimensions.len() {
            sql.push(&format!(", sg_v{i}"));
        }
        sql.push(") g");
        for row in conn.query_all_raw(sql.build()).await? {
            let mut keys = Vec::with_capacity(dimensions.len());
            for i in 0..dimensions.len() {
                let key: Option<String> = row.try_get("", &format!("sg_key{i}"))?;
                let label: Option<String> = row.try_get("", &format!("sg_label{i}"))?;
                keys.push(match key {
                    Some(key) => (key.clone(), label.unwrap_or(key)),
                    None => (UNKNOWN.to_owned(), "Unknown".to_owned()),
                });
            }
            let group = Group {
                keys,
                count: row.try_get("", "sg_count")?,
            };
            out.entry(row.try_get("", "sg_parent")?)
                .or_default()
                .push(group);
        }
    }
    for groups in out.values_mut() {
        rank(groups, limit);
    }
    Ok(out)
}

/// Puts groups in facet order, largest first (ties by key), and keeps at most `limit`.
pub fn rank(groups: &mut Vec<Group>, limit: Option<usize>) {
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.keys.cmp(&b.keys)));
    if let Some(limit) = limit {
        groups.truncate(limit);
    }
}

/// A list counted by several single-valued columns of its rows at once (one statement, one
/// pass over the matches): every facet by one of these columns, and the list's length, are
/// sums over these groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JointCounts {
    columns: Vec<&'static str>,
    groups: Vec<Group>,
}

impl JointCounts {
    /// Counts by `columns` together: `groups` hold one key per column.
    pub fn new(columns: Vec<&'static str>, groups: Vec<Group>) -> Self {
        Self { columns, groups }
    }

    /// How many distinct rows the list has (each falls in exactly one group); a link list
    /// that links a pair twice has more edges than that, so it keeps its own count.
    pub fn total(&self) -> i64 {
        self.groups.iter().map(|group| group.count).sum()
    }

    /// The counts by `column` alone (largest first, ties by key), if it is one of the columns.
    pub fn marginal(&self, column: &str) -> Option<Vec<Group>> {
        let i = self.columns.iter().position(|c| *c == column)?;
        let mut sums: HashMap<&(String, String), i64> = HashMap::new();
        for group in &self.groups {
            *sums.entry(&group.keys[i]).or_default() += group.count;
        }
        let mut groups: Vec<Group> = sums
            .into_iter()
            .map(|(key, count)| Group {
                keys: vec![key.clone()],
                count,
            })
            .collect();
        rank(&mut groups, None);
        Some(groups)
    }
}

/// Each parent's rows counted by `columns` together (see [`JointCounts`]); a parent with no
/// rows gets none.
pub async fn joint_counts(
    conn: &impl ConnectionTrait,
    spec: &ListSpec,
    parents: &[i64],
    columns: &[&'static str],
) -> Result<HashMap<i64, JointCounts>, DbErr> {
    let dimensions: Vec<Dimension> = columns.iter().map(|c| Dimension::Column(c)).collect();
    let found = group_counts(conn, spec, parents, &dimensions, None).await?;
    Ok(found
        .into_iter()
        .map(|(parent, groups)| {
            let columns = columns.to_vec();
            (parent, JointCounts { columns, groups })
        })
        .collect())
}

/// `FROM` + dimension joins + `WHERE` of the list.
fn write_with_joins(sql: &mut Sql, spec: &ListSpec, parents: &[i64], dimensions: &[Dimension]) {
    let joins = |sql: &mut Sql| {
        for (i, dimension) in dimensions.iter().enumerate() {
            dimension.write_join(sql, i, spec);
        }
    };
    // Columns of `t` the dimensions read (the others read only `t.id`, or the link).
    let columns: Vec<&str> = dimensions
        .iter()
        .filter_map(|d| match d {
            Dimension::Column(column) => Some(*column),
            _ => None,
        })
        .collect();
    spec.write_narrow_from_joins_where(sql, parents, &columns, &joins);
}

/// Whether `dimension` makes sense for rows of this list.
pub fn applies(dimension: Dimension, spec: &ListSpec) -> bool {
    match dimension {
        Dimension::EdgeRelationType => matches!(
            spec.link,
            Link::PublicationDatasets { .. } | Link::DatasetPublications { .. }
        ),
        _ => true,
    }
}
