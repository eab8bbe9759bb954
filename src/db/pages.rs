//! Keyset pages of a relationship for many parents at once: one statement returns the first
//! `limit + 1` children of every parent (a window function per parent), so a nested connection
//! costs one statement per level whatever the page size or number of parents.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};

use super::entities::CreditTable;
use super::sql::{MAX_IN_LIST, Sql};

/// The table a page's rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Publication,
    Dataset,
    Producer,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Publication => "publication",
            Self::Dataset => "dataset",
            Self::Producer => "producer",
        }
    }
}

/// How children hang off their parent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// Every row of the table (root lists); the single parent id is 0.
    All(Table),
    /// A publication's datasets, optionally only some relation types.
    PublicationDatasets { relation_types: Vec<String> },
    /// A dataset's publications, optionally only some relation types.
    DatasetPublications { relation_types: Vec<String> },
    /// A producer's direct subunits.
    ProducerChildren,
    /// Records credited to a producer (or, with subunits, to it or any unit below it).
    ProducerCredits {
        table: CreditTable,
        role: Option<String>,
        include_subunits: bool,
    },
}

impl Link {
    /// The table the children live in.
    pub fn child_table(&self) -> Table {
        match self {
            Self::All(table) => *table,
            Self::PublicationDatasets { .. } => Table::Dataset,
            Self::DatasetPublications { .. } => Table::Publication,
            Self::ProducerChildren => Table::Producer,
            Self::ProducerCredits {
                table: CreditTable::Publication,
                ..
            } => Table::Publication,
            Self::ProducerCredits {
                table: CreditTable::Dataset,
                ..
            } => Table::Dataset,
        }
    }

    /// Whether rows carry a publication↔dataset link (relation type, source, date).
    pub fn has_link_fields(&self) -> bool {
        matches!(
            self,
            Self::PublicationDatasets { .. } | Self::DatasetPublications { .. }
        )
    }

    fn parent_expr(&self) -> &'static str {
        match self {
            Self::All(_) => "CAST(0 AS BIGINT)",
            _ => "l.parent_id",
        }
    }

    /// Writes the `FROM` clause: the child table as `t`, joined to a link subquery `l` that yields
    /// `parent_id`, `child_id` and, for publication↔dataset links, the link's own columns.
    fn write_from(&self, sql: &mut Sql, parents: &[i64]) {
        let child = self.child_table().name();
        let source = |sql: &mut Sql, select: &str, types: &[String]| {
            sql.push("(SELECT ")
                .push(select)
                .push(" FROM publication_dataset");
            if !types.is_empty() {
                sql.push(" WHERE relation_type IN ")
                    .bind_list(types.iter().cloned());
            }
            sql.push(") l");
        };
        match self {
            Self::All(_) => {
                sql.push(child).push(" t");
                return;
            }
            Self::PublicationDatasets { relation_types } => source(
                sql,
                "publication_id AS parent_id, dataset_id AS child_id, relation_type, source, linked_on",
                relation_types,
            ),
            Self::DatasetPublications { relation_types } => source(
                sql,
                "dataset_id AS parent_id, publication_id AS child_id, relation_type, source, linked_on",
                relation_types,
            ),
            Self::ProducerChildren => {
                sql.push("(SELECT parent_id, id AS child_id FROM producer) l");
            }
            Self::ProducerCredits {
                table,
                role,
                include_subunits,
            } => {
                let (credits, owner, _) = table.table();
                if *include_subunits {
                    sql.push("(WITH RECURSIVE sub(root_id, id) AS (SELECT id, id FROM producer WHERE id IN ")
                        .bind_list(parents.iter().copied())
                        .push(" UNION ALL ")
                        .push("SELECT sub.root_id, p.id FROM sub JOIN producer p ON p.parent_id = sub.id) ")
                        .push("SELECT DISTINCT sub.root_id AS parent_id, c.")
                        .push(owner)
                        .push(" AS child_id FROM sub JOIN ")
                        .push(credits)
                        .push(" c ON c.producer_id = sub.id");
                } else {
                    sql.push("(SELECT DISTINCT c.producer_id AS parent_id, c.")
                        .push(owner)
                        .push(" AS child_id FROM ")
                        .push(credits)
                        .push(" c");
                }
                if let Some(role) = role {
                    sql.push(" WHERE c.role = ").bind(role.clone());
                }
                sql.push(") l");
            }
        }
        sql.push(" JOIN ")
            .push(child)
            .push(" t ON t.id = l.child_id");
    }
}

/// Which slice of a list to read: `limit` rows after/before cursor ids, forward or backward.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub limit: u64,
    pub backward: bool,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

/// The link's own columns on a publication↔dataset edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFields {
    pub relation_type: String,
    pub source: Option<String>,
    pub linked_on: Option<chrono::NaiveDate>,
}

/// One page of one parent's children, in list order.
#[derive(Clone, Debug)]
pub struct PageRows<M> {
    pub rows: Vec<(M, Option<LinkFields>)>,
    /// More rows exist beyond the window in the reading direction.
    pub has_more: bool,
}

impl<M> Default for PageRows<M> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            has_more: false,
        }
    }
}

/// Reads one page per parent. Parents without children are absent from the map.
pub async fn load_pages<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    link: &Link,
    window: &Window,
    parents: &[i64],
) -> Result<HashMap<i64, PageRows<M>>, DbErr> {
    let mut pages: HashMap<i64, PageRows<M>> = HashMap::new();
    for chunk in parents.chunks(MAX_IN_LIST) {
        let statement = page_statement(conn, link, window, chunk);
        for row in conn.query_all_raw(statement).await? {
            let parent: i64 = row.try_get("", "sg_parent")?;
            let page = pages.entry(parent).or_default();
            if page.rows.len() as u64 == window.limit {
                page.has_more = true;
                continue;
            }
            let fields = if link.has_link_fields() {
                Some(link_fields(&row)?)
            } else {
                None
            };
            page.rows.push((M::from_query_result(&row, "")?, fields));
        }
    }
    if window.backward {
        for page in pages.values_mut() {
            page.rows.reverse();
        }
    }
    Ok(pages)
}

/// Counts every parent's children (ignoring the window). Parents without children are absent.
pub async fn count_children(
    conn: &impl ConnectionTrait,
    link: &Link,
    parents: &[i64],
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut counts = HashMap::new();
    for chunk in parents.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        let parent = link.parent_expr();
        sql.push("SELECT ")
            .push(parent)
            .push(" AS sg_parent, COUNT(*) AS sg_count FROM ");
        link.write_from(&mut sql, chunk);
        if !matches!(link, Link::All(_)) {
            sql.push(" WHERE ")
                .push(parent)
                .push(" IN ")
                .bind_list(chunk.iter().copied());
            sql.push(" GROUP BY ").push(parent);
        }
        for row in conn.query_all_raw(sql.build()).await? {
            counts.insert(
                row.try_get::<i64>("", "sg_parent")?,
                row.try_get::<i64>("", "sg_count")?,
            );
        }
    }
    Ok(counts)
}

fn link_fields(row: &QueryResult) -> Result<LinkFields, DbErr> {
    Ok(LinkFields {
        relation_type: row.try_get("", "sg_relation_type")?,
        source: row.try_get("", "sg_source")?,
        linked_on: row.try_get("", "sg_linked_on")?,
    })
}

fn page_statement(
    conn: &impl ConnectionTrait,
    link: &Link,
    window: &Window,
    parents: &[i64],
) -> sea_orm::Statement {
    let mut sql = Sql::new(conn.get_database_backend());
    let parent = link.parent_expr();
    let order = if window.backward {
        "t.id DESC"
    } else {
        "t.id ASC"
    };
    let link_columns = if link.has_link_fields() {
        ", l.relation_type AS sg_relation_type, l.source AS sg_source, l.linked_on AS sg_linked_on"
    } else {
        ""
    };
    let windowed = parents.len() > 1;
    if windowed {
        sql.push("SELECT * FROM (");
    }
    sql.push("SELECT ")
        .push(parent)
        .push(" AS sg_parent")
        .push(link_columns)
        .push(", t.*");
    if windowed {
        sql.push(", ROW_NUMBER() OVER (PARTITION BY ")
            .push(parent)
            .push(" ORDER BY ")
            .push(order)
            .push(") AS sg_rn");
    }
    sql.push(" FROM ");
    link.write_from(&mut sql, parents);
    sql.push(" WHERE 1 = 1");
    if !matches!(link, Link::All(_)) {
        sql.push(" AND ")
            .push(parent)
            .push(" IN ")
            .bind_list(parents.iter().copied());
    }
    if let Some(after) = window.after {
        sql.push(" AND t.id > ").bind(after);
    }
    if let Some(before) = window.before {
        sql.push(" AND t.id < ").bind(before);
    }
    let fetch = (window.limit + 1) as i64;
    if windowed {
        sql.push(") x WHERE x.sg_rn <= ")
            .bind(fetch)
            .push(" ORDER BY x.sg_parent, x.sg_rn");
    } else {
        sql.push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .bind(fetch);
    }
    sql.build()
}
