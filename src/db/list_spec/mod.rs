//! What a list is, independent of the page read from it: how children hang off their parent
//! ([`Link`]), which rows qualify ([`Condition`]s and a search), and their order ([`SortKey`]s).
//! Pages, counts, facets and stats all write their SQL from one [`ListSpec`], so a filter or
//! order added here works for every list.

mod condition;
mod order;

pub use condition::Condition;
use condition::write_condition;
pub use order::{Direction, KeyType, SortKey, fts_relevance};

use sea_orm::DatabaseBackend;

use super::entities::CreditTable;
use super::search::SearchQuery;
use super::sql::Sql;

/// The table a list's rows come from.
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
    /// Publications sharing at least one dataset with the parent publication.
    CoUse,
}

impl Link {
    /// The table the children live in.
    pub fn child_table(&self) -> Table {
        match self {
            Self::All(table) => *table,
            Self::PublicationDatasets { .. } => Table::Dataset,
            Self::DatasetPublications { .. } | Self::CoUse => Table::Publication,
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

    pub fn parent_expr(&self) -> &'static str {
        match self {
            Self::All(_) => "CAST(0 AS BIGINT)",
            _ => "l.parent_id",
        }
    }

    /// Writes the link subquery `l` (`parent_id`, `child_id`, and the link's own columns)
    /// joined to the child table `t`.
    fn write_join(&self, sql: &mut Sql, parents: &[i64], join_child: bool) {
        self.write_join_hinted(sql, parents, join_child, None);
    }

    /// The same, reading a whole table's rows `t` through `index` (SQLite `INDEXED BY`).
    fn write_join_hinted(
        &self,
        sql: &mut Sql,
        parents: &[i64],
        join_child: bool,
        index: Option<&str>,
    ) {
        let child = self.child_table().name();
        let links = |sql: &mut Sql, select: &str, types: &[String]| {
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
                if let Some(index) = index {
                    sql.push(" INDEXED BY ").push(index);
                }
                return;
            }
            Self::PublicationDatasets { relation_types } => links(
                sql,
                "publication_id AS parent_id, dataset_id AS child_id, relation_type, source, linked_on",
                relation_types,
            ),
            Self::DatasetPublications { relation_types } => links(
                sql,
                "dataset_id AS parent_id, publication_id AS child_id, relation_type, source, linked_on",
                relation_types,
            ),
            Self::ProducerChildren => {
                sql.push("(SELECT parent_id, id AS child_id FROM producer) l");
            }
            Self::CoUse => {
                sql.push("(SELECT a.publication_id AS parent_id, b.publication_id AS child_id, COUNT(*) AS shared ")
                    .push("FROM publication_dataset a JOIN publication_dataset b ON b.dataset_id = a.dataset_id ")
                    .push("AND b.publication_id <> a.publication_id WHERE a.publication_id IN ")
                    .bind_list(parents.iter().copied())
                    .push(" GROUP BY a.publication_id, b.publication_id) l");
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
                        .push(" UNION ALL SELECT sub.root_id, p.id FROM sub JOIN producer p ON p.parent_id = sub.id) ")
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
        if join_child {
            sql.push(" JOIN ")
                .push(child)
                .push(" t ON t.id = l.child_id");
        }
    }
}

/// The covering index `(id, published_year, publication_type, language, published_key)`
/// (migration `m20261128_000004`).
pub const PUBLICATION_ID_COVER: &str = "publication_id_cover_idx";

/// Whose children a statement reads: listed ids, or the one parent of an enclosing lateral join.
#[derive(Clone, Copy)]
enum Parents<'a> {
    Ids(&'a [i64]),
    Outer(&'a str),
}

/// Everything that decides which rows a list holds and in what order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListSpec {
    pub link: Link,
    pub conditions: Vec<Condition>,
    pub search: Option<SearchQuery>,
    pub order: Vec<(SortKey, Direction)>,
}

impl ListSpec {
    /// A list in the default order (id ascending) without conditions.
    pub fn plain(link: Link) -> Self {
        Self {
            link,
            conditions: Vec::new(),
            search: None,
            order: Vec::new(),
        }
    }

    pub fn child_table(&self) -> Table {
        self.link.child_table()
    }

    /// The sort expressions with their directions, ending with the id tiebreaker.
    pub fn sort_exprs(&self, backend: DatabaseBackend) -> Vec<(String, KeyType, Direction)> {
        let table = self.child_table();
        let mut out: Vec<(String, KeyType, Direction)> = self
            .order
            .iter()
            .flat_map(|(key, direction)| {
                key.exprs(table, backend)
                    .into_iter()
                    .map(move |(e, t)| (e, t, *direction))
            })
            .collect();
        out.push(("t.id".into(), KeyType::Int, Direction::Asc));
        out
    }

    /// The types of the sort keys before the id tiebreaker (what a cursor's position holds;
    /// the same on both backends).
    pub fn key_types(&self) -> Vec<KeyType> {
        let table = self.child_table();
        self.order
            .iter()
            .flat_map(|(key, _)| key.exprs(table, DatabaseBackend::Sqlite))
            .map(|(_, key_type)| key_type)
            .collect()
    }

    /// `FROM` and `WHERE` for these parents: the link, the search and every condition.
    pub fn write_from_where(&self, sql: &mut Sql, parents: &[i64]) {
        self.write_from_joins_where(sql, parents, &|_| {});
    }

    /// The same, with more joins (written by `joins`) before the `WHERE`.
    pub fn write_from_joins_where(&self, sql: &mut Sql, parents: &[i64], joins: &dyn Fn(&mut Sql)) {
        self.write_list_from_where(sql, Parents::Ids(parents), joins, None);
    }

    /// The same for a statement that reads no column of `t` but `id` and `columns` (besides
    /// the conditions' own): on SQLite, a searched publication list then reads the matches
    /// through the narrow covering index on `id` instead of the wide rows.
    pub fn write_narrow_from_joins_where(
        &self,
        sql: &mut Sql,
        parents: &[i64],
        columns: &[&str],
        joins: &dyn Fn(&mut Sql),
    ) {
        let index = self.narrow_index(sql.backend(), columns);
        self.write_list_from_where(sql, Parents::Ids(parents), joins, index);
    }

    /// SQLite: the covering index (`id`, then the facet and filter columns) a searched whole
    /// publication list can be read through when it needs only these columns (FTS5 hands
    /// over row ids; looking each up in the wide rows costs more than the matching).
    fn narrow_index(&self, backend: DatabaseBackend, columns: &[&str]) -> Option<&'static str> {
        const COVERED: [&str; 4] = [
            "published_year",
            "publication_type",
            "language",
            "published_key",
        ];
        let covered = |column: &str| COVERED.contains(&column);
        let conditions_covered = self.conditions.iter().all(|condition| match condition {
            Condition::Between { column, .. }
            | Condition::OneOf { column, .. }
            | Condition::YearIn { column, .. } => covered(column),
            Condition::ListHasAny { .. }
            | Condition::LinkTypeIn { .. }
            | Condition::CreditedTo { .. }
            | Condition::HasLinks(_)
            | Condition::LinkedTo(_) => true,
            _ => false,
        });
        (backend != DatabaseBackend::Postgres
            && self.link == Link::All(Table::Publication)
            && self.search.is_some()
            && conditions_covered
            && columns.iter().all(|c| covered(c)))
        .then_some(PUBLICATION_ID_COVER)
    }

    /// The columns a page reads its order from when it picks its rows' ids and sort keys
    /// first and then reads only those wide rows, where ordering the joined rows would carry
    /// every match's wide row through the sort. SQLite: through the narrow covering index (see
    /// `narrow_index`), sorted by publication date and/or relevance, with conditions that
    /// index covers. PostgreSQL: a whole table's search ranked by relevance alone, whose
    /// matches are all ranked (38,467 for "human trafficking" at 200,000 publications: 81 ms
    /// sorting the wide rows, 72 ms sorting ids and ranks).
    pub fn narrow_page_columns(&self, backend: DatabaseBackend) -> Option<Vec<&'static str>> {
        if backend == DatabaseBackend::Postgres {
            let by_relevance = self.order.iter().all(|(key, _)| *key == SortKey::Relevance);
            return (matches!(self.link, Link::All(_)) && self.search.is_some() && by_relevance)
                .then(Vec::new);
        }
        let mut columns = Vec::new();
        for (key, _) in &self.order {
            match key {
                SortKey::PublishedOn => columns.push("published_key"),
                SortKey::Relevance => {}
                _ => return None,
            }
        }
        self.narrow_index(backend, &columns).map(|_| columns)
    }

    /// True when the link can be read for one parent at a time as `l.parent_id = <outer>`
    /// (the parents are not needed inside the link itself).
    pub fn link_takes_outer_parent(&self) -> bool {
        matches!(
            self.link,
            Link::PublicationDatasets { .. }
                | Link::DatasetPublications { .. }
                | Link::ProducerChildren
        )
    }

    /// `FROM` and `WHERE` for the one parent named by the SQL expression `outer` (a lateral
    /// join's column); only for links where [`Self::link_takes_outer_parent`].
    pub fn write_from_where_for_outer(&self, sql: &mut Sql, outer: &str) {
        debug_assert!(self.link_takes_outer_parent());
        self.write_list_from_where(sql, Parents::Outer(outer), &|_| {}, None);
    }

    /// True when a page can take its links first and join only those rows: the list is in
    /// id order (which is the links' child id order) and nothing looks at the children.
    pub fn pages_by_links_alone(&self) -> bool {
        self.order.is_empty()
            && self.conditions.is_empty()
            && self.search.is_none()
            && matches!(
                self.link,
                Link::PublicationDatasets { .. } | Link::DatasetPublications { .. }
            )
    }

    /// The link subquery `l` alone (no child table, no parent condition).
    pub fn write_links(&self, sql: &mut Sql) {
        self.link.write_join(sql, &[], false);
    }

    /// `FROM` and `WHERE` for counting these parents' children: when no condition or search
    /// looks at the children, the links alone (every link points at an existing row).
    /// On SQLite, a search over a whole table with no other condition is counted in its FTS5
    /// index alone (every index entry is a row of the table), never joining the matches to
    /// the wide rows.
    pub fn write_count_from_where(&self, sql: &mut Sql, parents: &[i64]) {
        if let Some(search) = self.search_alone() {
            let backend = sql.backend();
            if backend != DatabaseBackend::Postgres {
                let fts = format!("{}_fts", self.child_table().name());
                sql.push(&fts)
                    .push(" WHERE ")
                    .push(&fts)
                    .push(" MATCH ")
                    .bind(search.render(backend));
                return;
            }
        }
        if self.conditions.is_empty() && self.search.is_none() && !matches!(self.link, Link::All(_))
        {
            self.link.write_join(sql, parents, false);
            sql.push(" WHERE l.parent_id IN ")
                .bind_list(parents.iter().copied());
        } else {
            self.write_narrow_from_joins_where(sql, parents, &[], &|_| {});
        }
    }

    /// The search, when the list is a whole table searched with no other condition.
    pub fn search_alone(&self) -> Option<&SearchQuery> {
        match (&self.link, &self.search) {
            (Link::All(_), Some(search)) if self.conditions.is_empty() => Some(search),
            _ => None,
        }
    }

    fn write_list_from_where(
        &self,
        sql: &mut Sql,
        parents: Parents<'_>,
        joins: &dyn Fn(&mut Sql),
        index: Option<&str>,
    ) {
        let table = self.child_table();
        let backend = sql.backend();
        self.link.write_join_hinted(
            sql,
            match parents {
                Parents::Ids(ids) => ids,
                Parents::Outer(_) => &[],
            },
            true,
            index,
        );
        if let Some(search) = &self.search {
            match backend {
                DatabaseBackend::Postgres => {
                    sql.push(&format!(
                        " CROSS JOIN (SELECT {} AS q, {} AS r) sg_q",
                        search.tsquery_literal(),
                        search.rank_tsquery_literal()
                    ));
                }
                _ => {
                    let fts = format!("{}_fts", table.name());
                    sql.push(&format!(" JOIN {fts} ON {fts}.rowid = t.id"));
                }
            }
        }
        joins(sql);
        sql.push(" WHERE 1 = 1");
        if !matches!(self.link, Link::All(_)) {
            match parents {
                Parents::Ids(ids) => sql
                    .push(" AND l.parent_id IN ")
                    .bind_list(ids.iter().copied()),
                Parents::Outer(outer) => sql.push(" AND l.parent_id = ").push(outer),
            };
        }
        if let Some(search) = &self.search {
            match backend {
                DatabaseBackend::Postgres => sql.push(" AND t.search_vector @@ sg_q.q"),
                _ => sql
                    .push(&format!(" AND {}_fts MATCH ", table.name()))
                    .bind(search.render(backend)),
            };
        }
        for condition in &self.conditions {
            sql.push(" AND ");
            write_condition(sql, condition, table);
        }
    }
}
