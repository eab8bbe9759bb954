//! Facet counts of whole-table lists from in-memory indexes: for one table, each row's distinct
//! values by a multi-valued dimension (subjects, coverage, data types, credited producers rolled
//! up to a level, relation types), or each row's tuple of single-valued columns (year, type,
//! language: the joint counts of column facets). An index is read in one snapshot together with
//! the graph's revision ([`super::revision`]) and is used while the revision stays the same.
//!
//! A list's facets then cost one statement that reads its matching ids with the revision beside
//! them ([`Matches`], once per request and list) and counts in memory, where counting in SQL
//! matches the list again for every facet and joins and sorts every match's values (at 200,000
//! publications, the subjects of a search's 51,813 matches: 146 ms in SQLite, ~380 ms in
//! PostgreSQL, for 183,725 values).
//!
//! The relation types' index also answers whether a row has links, for lists filtered by it
//! ([`ValueIndexes::counts`]): their ids are read without that condition and kept in memory.
//!
//! An index that is missing or of an older revision is built again in the background (one build
//! per index at a time); until it is ready its facets are counted in SQL as before, so an answer
//! never reflects a graph older than the one the request reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio::sync::OnceCell;

use super::facets::{Dimension, Group, UNKNOWN};
use super::list_spec::{Condition, Link, ListSpec, Table};
use super::revision;
use super::sql::Sql;

/// Rows of the table an index build reads per statement (bounding its memory).
const BUILD_WINDOW: i64 = 20_000;

/// Most indexes kept at once; past it the least recently used is dropped (clients choose what
/// to count: producers at 17 levels, several column sets, both tables). At 200,000
/// publications an index holds 3 MB (a column set) to 5 MB (subjects).
const MOST_INDEXES: usize = 12;

/// What an index holds for each row of its table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Indexed {
    /// The row's distinct values by a multi-valued dimension (none: the unknown bucket).
    Values(Dimension),
    /// The row's values of these single-valued columns, as one tuple (null: unknown).
    Columns(Vec<&'static str>),
}

impl Indexed {
    /// The group keys of a row without an entry in the index.
    fn unknown(&self) -> Vec<(String, String)> {
        let arity = match self {
            Self::Values(_) => 1,
            Self::Columns(columns) => columns.len(),
        };
        vec![(UNKNOWN.to_owned(), "Unknown".to_owned()); arity]
    }
}

/// One table's rows by one [`Indexed`], as of one revision of the graph.
#[derive(Debug)]
pub struct ValueIndex {
    revision: i64,
    /// Ids of the rows with at least one value, ascending.
    ids: Vec<i64>,
    /// `values[starts[i]..starts[i + 1]]` are the distinct values of row `ids[i]`.
    starts: Vec<u32>,
    values: Vec<u32>,
    /// Each value's group keys (key and label, one per dimension or column).
    keys: Vec<Vec<(String, String)>>,
    /// The group keys of rows without a value.
    unknown: Vec<(String, String)>,
}

impl ValueIndex {
    /// Whether row `id` has a value (is in the index).
    pub fn holds(&self, id: i64) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// Counts the distinct rows `rows` by their values (unordered groups); rows without a value
    /// fall in the unknown bucket, as in [`super::facets::group_counts`].
    pub fn count(&self, rows: &[i64]) -> Vec<Group> {
        let mut counts = vec![0_i64; self.keys.len()];
        let mut unknown = 0;
        for id in rows {
            match self.ids.binary_search(id) {
                Ok(i) => {
                    let values = &self.values[self.starts[i] as usize..self.starts[i + 1] as usize];
                    for value in values {
                        counts[*value as usize] += 1;
                    }
                }
                Err(_) => unknown += 1,
            }
        }
        let mut groups: Vec<Group> = counts
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .map(|(value, count)| Group {
                keys: self.keys[value].clone(),
                count,
            })
            .collect();
        if unknown > 0 {
            groups.push(Group {
                keys: self.unknown.clone(),
                count: unknown,
            });
        }
        groups
    }
}

/// The graph's revision and the ids of a whole-table list's rows, as one statement read them.
type Matched = (i64, Arc<Vec<i64>>);

/// A read of a list's matches: [`Matched`], and each match's relevance where a page is
/// chosen from them ([`Matches::rank`]).
#[derive(Clone)]
struct MatchRead {
    matched: Matched,
    ranks: Option<Arc<Vec<f32>>>,
}

/// The matching ids of the lists one request counts or ranks, each read at most once (its
/// column facets beside the page, its other facets after, and a page ranked from them share
/// them).
#[derive(Default)]
pub struct Matches {
    reads: Mutex<HashMap<ListSpec, Arc<OnceCell<MatchRead>>>>,
    /// The lists whose matches are read with their ranks: a page of the request is chosen
    /// from them ([`Matches::rank`]).
    ranked: Mutex<std::collections::HashSet<ListSpec>>,
}

impl Matches {
    /// Notes that a page of the list `spec` is to be chosen from its matches: they are then
    /// read with their ranks, whoever reads them first in the request (a list's facets and
    /// count alone need no ranks).
    pub fn rank(&self, spec: &ListSpec) {
        let mut ranked = self.ranked.lock().unwrap_or_else(|p| p.into_inner());
        ranked.insert(spec.clone());
    }

    /// Whether the matches of `spec` are read with their ranks ([`Matches::rank`]).
    pub fn ranks(&self, spec: &ListSpec) -> bool {
        let ranked = self.ranked.lock().unwrap_or_else(|p| p.into_inner());
        ranked.contains(spec)
    }

    async fn read(&self, conn: &DatabaseConnection, spec: &ListSpec) -> Result<MatchRead, DbErr> {
        let cell = {
            let mut cells = self.reads.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(spec.clone()).or_default().clone()
        };
        let ranks = self.ranks(spec);
        cell.get_or_try_init(|| async {
            if ranks {
                let ranked = super::ranked::ranked_matches(conn, spec).await?;
                Ok(MatchRead {
                    matched: (ranked.revision, ranked.ids),
                    ranks: Some(ranked.ranks),
                })
            } else {
                Ok(MatchRead {
                    matched: matching_ids(conn, spec).await?,
                    ranks: None,
                })
            }
        })
        .await
        .cloned()
    }

    async fn of(&self, conn: &DatabaseConnection, spec: &ListSpec) -> Result<Matched, DbErr> {
        Ok(self.read(conn, spec).await?.matched)
    }

    /// The ids of the list `spec`'s matches and their relevance, in id order, where they were
    /// read with their ranks ([`Matches::rank`]); else `None`.
    pub async fn ranked(
        &self,
        conn: &DatabaseConnection,
        spec: &ListSpec,
    ) -> Result<Option<(Arc<Vec<i64>>, Arc<Vec<f32>>)>, DbErr> {
        let read = self.read(conn, spec).await?;
        Ok(read.ranks.map(|ranks| (read.matched.1, ranks)))
    }
}

#[derive(Default)]
struct Slot {
    index: Option<Arc<ValueIndex>>,
    building: bool,
    /// When a facet last asked for this index (for dropping the least recently used).
    used: Option<std::time::Instant>,
}

/// The server's value indexes, one per (table, [`Indexed`]) that a facet asked for.
#[derive(Default)]
pub struct ValueIndexes {
    slots: Mutex<HashMap<(Table, Indexed), Slot>>,
}

impl ValueIndexes {
    fn slots(&self) -> MutexGuard<'_, HashMap<(Table, Indexed), Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts the whole-table list `spec` by each of `wanted` that has an index of the
    /// revision its matches are read at (unordered groups); the matches come from `matches`.
    /// Those left out are the caller's to count in SQL; their indexes are being built (or
    /// rebuilt, after a write) for later requests.
    pub async fn counts(
        self: &Arc<Self>,
        conn: &DatabaseConnection,
        matches: &Matches,
        spec: &ListSpec,
        wanted: &[Indexed],
    ) -> Result<HashMap<Indexed, Vec<Group>>, DbErr> {
        let Link::All(table) = spec.link else {
            return Ok(HashMap::new());
        };
        let mut built = Vec::new();
        for indexed in wanted {
            match self.index_of(table, indexed) {
                Some(index) => built.push((indexed, index)),
                None => self.rebuild(conn, table, indexed),
            }
        }
        if built.is_empty() {
            return Ok(HashMap::new());
        }
        let (revision, rows) = self.matching_rows(conn, matches, table, spec).await?;
        let mut out = HashMap::new();
        for (indexed, index) in built {
            if index.revision == revision {
                out.insert(indexed.clone(), index.count(&rows));
            } else {
                self.rebuild(conn, table, indexed);
            }
        }
        Ok(out)
    }

    /// The revision and the ids of the rows of the whole-table list `spec` of `table`. Whether
    /// a row has links (`hasRelatedDatasets`, `hasRelatedPublications`) is read from the index
    /// of the table's relation types, whose rows are those with a link, when it is of the
    /// revision the list's other conditions are read at: the statement then reads those
    /// others alone (at 200,000 publications, a date range's 32,610 rows from a covering
    /// index) instead of probing the links of every row in it, and lists that differ only by
    /// it share one read. Otherwise the condition is read in SQL with the rest, as before.
    async fn matching_rows(
        self: &Arc<Self>,
        conn: &DatabaseConnection,
        matches: &Matches,
        table: Table,
        spec: &ListSpec,
    ) -> Result<Matched, DbErr> {
        let wanted: Vec<bool> = spec
            .conditions
            .iter()
            .filter_map(|c| match c {
                Condition::HasLinks(present) => Some(*present),
                _ => None,
            })
            .collect();
        if wanted.is_empty() || !matches!(table, Table::Publication | Table::Dataset) {
            return matches.of(conn, spec).await;
        }
        let linked = Indexed::Values(Dimension::RelationType);
        let Some(links) = self.index_of(table, &linked) else {
            self.rebuild(conn, table, &linked);
            return matches.of(conn, spec).await;
        };
        let mut others = spec.clone();
        others
            .conditions
            .retain(|c| !matches!(c, Condition::HasLinks(_)));
        let (revision, rows) = matches.of(conn, &others).await?;
        if links.revision != revision {
            self.rebuild(conn, table, &linked);
            return matches.of(conn, spec).await;
        }
        let kept = rows
            .iter()
            .copied()
            .filter(|id| {
                let linked = links.holds(*id);
                wanted.iter().all(|present| *present == linked)
            })
            .collect();
        Ok((revision, Arc::new(kept)))
    }

    /// The last index built of `indexed` over `table`, of whatever revision.
    fn index_of(&self, table: Table, indexed: &Indexed) -> Option<Arc<ValueIndex>> {
        let mut slots = self.slots();
        let slot = slots.get_mut(&(table, indexed.clone()))?;
        slot.used = Some(std::time::Instant::now());
        slot.index.clone()
    }

    /// Starts building the index of `indexed` over `table`, unless a build is running.
    fn rebuild(self: &Arc<Self>, conn: &DatabaseConnection, table: Table, indexed: &Indexed) {
        let key = (table, indexed.clone());
        let mut slots = self.slots();
        let slot = slots.entry(key.clone()).or_default();
        if slot.building {
            return;
        }
        slot.building = true;
        let indexes = self.clone();
        let conn = conn.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let built = super::in_background(build(&conn, table, &key.1)).await;
            let mut slots = indexes.slots();
            let slot = slots.entry(key.clone()).or_default();
            slot.building = false;
            slot.used = Some(std::time::Instant::now());
            match built {
                Ok(index) => {
                    tracing::debug!(table = table.name(), of = ?key.1, rows = index.ids.len(),
                        values = index.values.len(), revision = index.revision,
                        elapsed = ?started.elapsed(), "facet index built");
                    slot.index = Some(Arc::new(index));
                }
                Err(err) => tracing::warn!(%err, "could not build a facet index"),
            }
            drop_least_used(&mut slots);
        });
    }

    /// Waits until no index build is running (for tests: the next facets then use them).
    pub async fn settled(&self) {
        while self.slots().values().any(|slot| slot.building) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Drops the indexes least recently asked for beyond [`MOST_INDEXES`].
fn drop_least_used(slots: &mut HashMap<(Table, Indexed), Slot>) {
    let mut held: Vec<_> = slots
        .iter()
        .filter(|(_, slot)| slot.index.is_some())
        .map(|(key, slot)| (slot.used, key.clone()))
        .collect();
    if held.len() <= MOST_INDEXES {
        return;
    }
    held.sort_by_key(|(used, _)| *used);
    for (_, key) in &held[..held.len() - MOST_INDEXES] {
        if let Some(slot) = slots.get_mut(key) {
            slot.index = None;
        }
    }
}

/// The graph's revision and the ids of the rows of the whole-table list `spec`, read by one
/// statement (so the ids are those of that revision).
async fn matching_ids(conn: &DatabaseConnection, spec: &ListSpec) -> Result<Matched, DbErr> {
    let backend = conn.get_database_backend();
    // SQLite: a whole table searched with no other condition has its matches' ids in the FTS5
    // index alone (every entry is a row), read from where its count reads them, never joined
    // to the rows (at 200,000 publications, the 38,467 of "human trafficking": ~5 ms against
    // ~21 ms).
    let fts_alone = backend != sea_orm::DatabaseBackend::Postgres && spec.search_alone().is_some();
    let ids = match backend {
        sea_orm::DatabaseBackend::Postgres => "string_agg(CAST(t.id AS TEXT), ',')",
        _ if fts_alone => "group_concat(rowid, ',')",
        _ => "group_concat(t.id, ',')",
    };
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT {} AS sg_revision, {ids} AS sg_ids FROM ",
        revision::CURRENT
    ));
    if fts_alone {
        spec.write_count_from_where(&mut sql, &[0]);
    } else {
        spec.write_narrow_from_joins_where(&mut sql, &[0], &[], &|_| {});
    }
    let (revision, items) = revision_and_list(conn, sql.build(), "sg_ids").await?;
    let mut rows = Vec::new();
    for id in items {
        rows.push(
            id.parse()
                .map_err(|_| DbErr::Type(format!("a matching row id is not a number: {id:?}")))?,
        );
    }
    Ok((revision, Arc::new(rows)))
}

/// The `sg_revision` and the comma-separated items of `column` of the one row `statement`
/// reads (aggregates over a list, read in the same statement as the revision they belong to).
pub(super) async fn revision_and_list(
    conn: &impl ConnectionTrait,
    statement: sea_orm::Statement,
    column: &str,
) -> Result<(i64, Vec<String>), DbErr> {
    let row = conn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the row of {column}")))?;
    let revision: i64 = row.try_get("", "sg_revision")?;
    let text: Option<String> = row.try_get("", column)?;
    Ok((
        revision,
        text.as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

/// Reads every row's values of `indexed` in one snapshot of the database.
async fn build(
    conn: &DatabaseConnection,
    table: Table,
    indexed: &Indexed,
) -> Result<ValueIndex, DbErr> {
    let spec = ListSpec::plain(Link::All(table));
    let backend = conn.get_database_backend();
    let txn = super::snapshot(conn).await?;
    let revision = revision::current(&txn).await?;
    let mut numbers: HashMap<Vec<Option<String>>, u32> = HashMap::new();
    let mut index = ValueIndex {
        revision,
        ids: Vec::new(),
        starts: vec![0],
        values: Vec::new(),
        keys: Vec::new(),
        unknown: indexed.unknown(),
    };
    let key_columns: Vec<String> = (0..index.unknown.len())
        .map(|i| format!("sg_key{i}"))
        .collect();
    let mut lo = i64::MIN;
    loop {
        // The window's last id: at most BUILD_WINDOW rows of the table after `lo`.
        let mut bound = Sql::new(backend);
        bound
            .push("SELECT MAX(w.id) AS sg_hi FROM (SELECT id FROM ")
            .push(table.name())
            .push(" WHERE id > ")
            .bind(lo)
            .push(&format!(" ORDER BY id LIMIT {BUILD_WINDOW}) w"));
        let hi: Option<i64> = match txn.query_one_raw(bound.build()).await? {
            Some(row) => row.try_get("", "sg_hi")?,
            None => None,
        };
        let Some(hi) = hi else { break };
        let mut sql = Sql::new(backend);
        match indexed {
            Indexed::Values(dimension) => dimension.write_row_keys(&mut sql, &spec, lo, hi),
            Indexed::Columns(columns) => write_row_columns(&mut sql, table, columns, lo, hi),
        }
        for row in txn.query_all_raw(sql.build()).await? {
            let owner: i64 = row.try_get("", "sg_owner")?;
            let mut key = Vec::with_capacity(key_columns.len());
            for column in &key_columns {
                key.push(row.try_get::<Option<String>>("", column)?);
            }
            let next = numbers.len() as u32;
            let value = *numbers.entry(key).or_insert(next);
            if index.ids.last() != Some(&owner) {
                index.ids.push(owner);
                index.starts.push(index.values.len() as u32);
            }
            let start = index.starts[index.starts.len() - 2] as usize;
            if !index.values[start..].contains(&value) {
                index.values.push(value);
                *index.starts.last_mut().expect("one start per row") += 1;
            }
        }
        lo = hi;
    }
    let mut labels: HashMap<String, String> = HashMap::new();
    if let Indexed::Values(dimension) = indexed {
        let mut sql = Sql::new(backend);
        dimension.write_labels(&mut sql, &spec);
        for row in txn.query_all_raw(sql.build()).await? {
            let key: String = row.try_get("", "sg_key")?;
            let label: Option<String> = row.try_get("", "sg_label")?;
            labels.insert(key.clone(), label.unwrap_or(key));
        }
    }
    txn.rollback().await?;
    index.keys = vec![Vec::new(); numbers.len()];
    for (key, number) in numbers {
        index.keys[number as usize] = key
            .into_iter()
            .map(|value| match value {
                Some(key) => {
                    let label = labels.get(&key).cloned().unwrap_or_else(|| key.clone());
                    (key, label)
                }
                None => (UNKNOWN.to_owned(), "Unknown".to_owned()),
            })
            .collect();
    }
    Ok(index)
}

/// `SELECT t.id AS sg_owner, <column i as text> AS sg_key{i}…` for the rows of `table` with
/// `lo < id <= hi`, in id order.
fn write_row_columns(sql: &mut Sql, table: Table, columns: &[&str], lo: i64, hi: i64) {
    sql.push("SELECT t.id AS sg_owner");
    for (i, column) in columns.iter().enumerate() {
        sql.push(&format!(", CAST(t.{column} AS TEXT) AS sg_key{i}"));
    }
    sql.push(" FROM ")
        .push(table.name())
        .push(" t WHERE t.id > ")
        .bind(lo)
        .push(" AND t.id <= ")
        .bind(hi)
        .push(" ORDER BY t.id");
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn empty_index() -> Arc<ValueIndex> {
        Arc::new(ValueIndex {
            revision: 0,
            ids: Vec::new(),
            starts: vec![0],
            values: Vec::new(),
            keys: Vec::new(),
            unknown: Vec::new(),
        })
    }

    #[test]
    fn only_the_most_recently_used_indexes_are_kept() {
        let start = Instant::now();
        let mut slots = HashMap::new();
        let held = MOST_INDEXES + 3;
        for level in 0..held {
            let dimension = Dimension::Producer {
                credits: crate::db::entities::CreditTable::Publication,
                level: Some(level as u8),
            };
            let slot = Slot {
                index: Some(empty_index()),
                building: false,
                used: Some(start + Duration::from_secs(level as u64)),
            };
            slots.insert((Table::Publication, Indexed::Values(dimension)), slot);
        }
        drop_least_used(&mut slots);
        let kept: Vec<u8> = slots
            .iter()
            .filter(|(_, slot)| slot.index.is_some())
            .map(|((_, indexed), _)| match indexed {
                Indexed::Values(Dimension::Producer { level, .. }) => level.unwrap(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(kept.len(), MOST_INDEXES);
        assert!(kept.iter().all(|level| *level >= 3), "the three oldest go");
    }
}
