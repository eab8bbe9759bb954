//! PostgreSQL: pages of a whole-table search ranked from its matches. `ts_rank` reads every
//! match's vector to rank them, and the list's facets read every match's id: two passes over
//! the same heap pages, side by side on two connections (at 200,000 publications, the 38,467
//! matches of "human trafficking": ~80 ms for the page, ~49 ms for the ids). Here one read
//! gives each match's id with its rank, split into two halves of the table's ids scored side by
//! side (each ~50 ms); the page's best rows are chosen in memory and read by id, and the same
//! read serves the facets ([`super::value_index::Matches`]). One pass instead of two: less
//! server CPU per request, and where two backends run side by side at full speed, a faster
//! request (77–80 → 56–62 ms, alternated); on a machine whose backends share too little memory
//! bandwidth it was slower (84 → 91–103 ms).

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};

use super::entities::Record;
use super::list_spec::{Direction, ListSpec, SortKey};
use super::pages::{EdgeData, KeyValue, PageReads, PageRow, PageRows, Position, Window};
use super::revision;
use super::sql::Sql;

/// A list's matches as one read saw them: ids ascending, each with its relevance.
pub struct RankedMatches {
    pub revision: i64,
    pub ids: Arc<Vec<i64>>,
    pub ranks: Arc<Vec<f32>>,
}

/// Whether the list `spec`'s matches are read with their relevance: a whole table searched
/// with no other condition and ordered by relevance alone, on PostgreSQL.
pub fn ranks_its_matches(spec: &ListSpec, backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres
        && spec.search_alone().is_some()
        && spec.order == [(SortKey::Relevance, Direction::Desc)]
}

/// Whether a page of `spec` is chosen from its ranked matches: a forward page (first, or after
/// a cursor) of one such list. Its rows carry no credits: producers its nodes show are read by
/// their own loader, in one batch.
pub fn pages_from_matches(
    spec: &ListSpec,
    window: &Window,
    parents: &[i64],
    backend: DatabaseBackend,
) -> bool {
    ranks_its_matches(spec, backend)
        && parents.len() == 1
        && !window.backward
        && window.before.is_none()
}

/// Reads the matches of `spec` (see [`ranks_its_matches`]) with their ranks: each half of the
/// table's ids by its own statement, side by side; again in one statement if a write came
/// between the two (they must be of one revision).
pub async fn ranked_matches(
    conn: &DatabaseConnection,
    spec: &ListSpec,
) -> Result<RankedMatches, DbErr> {
    let (lower, upper) = futures::future::try_join(
        read_ranked(conn, spec, Some(false)),
        read_ranked(conn, spec, Some(true)),
    )
    .await?;
    let (revision, pairs) = if lower.0 == upper.0 {
        let mut pairs = lower.1;
        pairs.extend(upper.1);
        (lower.0, pairs)
    } else {
        read_ranked(conn, spec, None).await?
    };
    let (ids, ranks) = pairs.into_iter().unzip();
    Ok(RankedMatches {
        revision,
        ids: Arc::new(ids),
        ranks: Arc::new(ranks),
    })
}

/// The revision and the `(id, rank)` of the matches of `spec`, ids ascending; with `upper`,
/// those with ids up to the middle of the table's (`false`) or above it (`true`), the middle
/// read in the same statement.
async fn read_ranked(
    conn: &DatabaseConnection,
    spec: &ListSpec,
    upper: Option<bool>,
) -> Result<(i64, Vec<(i64, f32)>), DbErr> {
    let backend = conn.get_database_backend();
    let (rank, _) = SortKey::Relevance
        .exprs(spec.child_table(), backend)
        .remove(0);
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT {} AS sg_revision, string_agg(CAST(t.id AS TEXT) || ' ' || CAST({rank} AS TEXT), \
         ',' ORDER BY t.id) AS sg_ranked FROM ",
        revision::CURRENT
    ));
    spec.write_narrow_from_joins_where(&mut sql, &[0], &[], &|_| {});
    if let Some(upper) = upper {
        let name = spec.child_table().name();
        sql.push(if upper {
            " AND t.id > "
        } else {
            " AND t.id <= "
        })
        .push(&format!(
            "((SELECT MIN(id) FROM {name}) + (SELECT MAX(id) FROM {name})) / 2"
        ));
    }
    let (revision, items) =
        super::value_index::revision_and_list(conn, sql.build(), "sg_ranked").await?;
    let mut pairs = Vec::new();
    for pair in &items {
        let parsed = pair
            .split_once(' ')
            .and_then(|(id, rank)| Some((id.parse().ok()?, rank.parse().ok()?)));
        pairs.push(parsed.ok_or_else(|| {
            DbErr::Type(format!("a ranked match is not an id and a rank: {pair:?}"))
        })?);
    }
    Ok((revision, pairs))
}

/// The page `window` of a list ordered by relevance (best first, ids breaking ties) from its
/// matches `ids` and their `ranks`: its rows read by id. `None` when a row has gone since the
/// matches were read (the caller then reads the page in SQL).
pub async fn page<M: Record>(
    conn: &impl ConnectionTrait,
    window: &Window,
    ids: &[i64],
    ranks: &[f32],
    reads: &PageReads,
) -> Result<Option<PageRows<M>>, DbErr> {
    let after = window.after.as_ref().map(|position| {
        let rank = match position.keys.first() {
            Some(KeyValue::Float { f }) => f64::from_bits(*f),
            _ => f64::INFINITY,
        };
        (rank, position.id)
    });
    // Best first: higher rank, then lower id (the SQL order of the same list).
    let mut ranked: Vec<(f64, i64)> = ids
        .iter()
        .zip(ranks)
        .map(|(id, rank)| (f64::from(*rank), *id))
        .filter(|(rank, id)| match after {
            Some((after_rank, after_id)) => {
                *rank < after_rank || (*rank == after_rank && *id > after_id)
            }
            None => true,
        })
        .collect();
    let fetch = (window.limit + 1) as usize;
    let best_first = |a: &(f64, i64), b: &(f64, i64)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if ranked.len() > fetch {
        ranked.select_nth_unstable_by(fetch - 1, best_first);
        ranked.truncate(fetch);
    }
    ranked.sort_by(best_first);
    let has_more = ranked.len() > window.limit as usize;
    ranked.truncate(window.limit as usize);
    let columns = if reads.lean {
        M::lean_select_list("t")
    } else {
        M::select_list("t")
    };
    let page_ids: Vec<i64> = ranked.iter().map(|(_, id)| *id).collect();
    let mut rows = super::rows::by_ids_reading::<M>(conn, &page_ids, &columns).await?;
    if rows.len() != ranked.len() {
        return Ok(None);
    }
    let rows = ranked
        .iter()
        .map(|(rank, id)| {
            let row = rows.remove(id).expect("every ranked row was read");
            PageRow {
                row,
                edge: EdgeData::None,
                position: Position {
                    keys: vec![KeyValue::Float { f: rank.to_bits() }],
                    id: *id,
                },
            }
        })
        .collect();
    Ok(Some(PageRows {
        rows,
        has_more,
        total: reads.total.then_some(ids.len() as i64),
    }))
}
