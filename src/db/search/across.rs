//! The root search: matches of one query in several tables ranked together, each with a score
//! and a snippet, paged by their position in the ranking, and counted.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::SearchQuery;
use super::marks::{marked_html, marks};
use crate::db::pages::Table;
use crate::db::sql::Sql;

/// One match of a search across tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub table: Table,
    pub id: i64,
    pub score: f64,
    pub snippet: Option<String>,
}

/// Where a hit sits in the ranking: score (higher first), then table, then id. The score is
/// written by its bits: a decimal read back can differ in the last bit, and the next page then
/// starts at the same hit again or past its ties.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HitPosition {
    #[serde(with = "score_bits")]
    pub score: f64,
    pub kind: i64,
    pub id: i64,
}

mod score_bits {
    //! An `f64` as its IEEE 754 bits (a `u64`), which round-trips exactly through JSON.
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(score: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(score.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        u64::deserialize(deserializer).map(f64::from_bits)
    }
}

const TABLES: [Table; 3] = [Table::Publication, Table::Dataset, Table::Producer];

fn kind_of(table: Table) -> i64 {
    TABLES.iter().position(|t| *t == table).unwrap_or(0) as i64
}

/// The table a hit's `kind` stands for.
pub(super) fn table_of_kind(kind: i64) -> Option<Table> {
    usize::try_from(kind)
        .ok()
        .and_then(|k| TABLES.get(k).copied())
}

/// The text a snippet is cut from on PostgreSQL (SQLite uses the indexed text): the title and
/// the abstract or summary, so that a match in either is marked.
fn snippet_source(table: Table) -> &'static str {
    match table {
        Table::Publication => "concat_ws(' — ', r.title, r.abstract)",
        Table::Dataset => "concat_ws(' — ', r.title, r.summary)",
        Table::Producer => "r.name",
    }
}

/// Whether [`search_all`] can count the matches in its own statement: on PostgreSQL, which
/// ranks every match anyway (SQLite computes snippets in the same select, which must not be
/// kept for every match; its FTS count is cheap on its own).
pub fn counts_with_page(backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres
}

/// Matches of `query` in `tables`, best first, `limit` of them after `after`; with `count`
/// (where [`counts_with_page`]), also how many rows match in all, when the page has a row.
pub async fn search_all(
    conn: &impl ConnectionTrait,
    query: &SearchQuery,
    tables: &[Table],
    after: Option<HitPosition>,
    limit: u64,
    count: bool,
) -> Result<(Vec<Hit>, Option<i64>), DbErr> {
    let backend = conn.get_database_backend();
    let after = match after {
        Some(after) => Some(super::anchor::anchored_hit(conn, query, after).await?),
        None => None,
    };
    let text = query.render(backend);
    let mut sql = Sql::new(backend);
    let postgres = backend == DatabaseBackend::Postgres;
    let count = count && counts_with_page(backend);
    if count {
        // The ranked matches once: the page reads its rows from them and counts them all.
        sql.push("WITH hits AS (");
        write_hits(&mut sql, query, &text, tables, postgres);
        sql.push(") ");
    }
    sql.push("SELECT page.kind, page.id, page.score");
    if count {
        sql.push(", (SELECT COUNT(*) FROM hits) AS sg_total");
    }
    let marks = marks();
    if postgres {
        sql.push(", CASE page.kind");
        for table in tables {
            sql.push(&format!(
                " WHEN {} THEN (SELECT ts_headline('english', {}, {}, \
                 'StartSel={}, StopSel={}, MaxWords=24, MinWords=8') FROM {} r WHERE r.id = page.id)",
                kind_of(*table),
                snippet_source(*table),
                query.rank_tsquery_literal(),
                marks.start,
                marks.stop,
                table.name()
            ));
        }
        sql.push(" END AS snippet");
    } else {
        sql.push(", page.snippet");
    }
    sql.push(" FROM (SELECT * FROM ");
    if count {
        sql.push("hits");
    } else {
        sql.push("(");
        write_hits(&mut sql, query, &text, tables, postgres);
        sql.push(") hits");
    }
    if let Some(after) = after {
        sql.push(" WHERE score < ")
            .bind(after.score)
            .push(" OR (score = ")
            .bind(after.score)
            .push(" AND (kind > ")
            .bind(after.kind)
            .push(" OR (kind = ")
            .bind(after.kind)
            .push(" AND id > ")
            .bind(after.id)
            .push(")))");
    }
    sql.push(" ORDER BY score DESC, kind, id LIMIT ")
        .bind(limit as i64)
        .push(") page ORDER BY page.score DESC, page.kind, page.id");
    let mut hits = Vec::new();
    let mut total = None;
    for row in conn.query_all_raw(sql.build()).await? {
        let kind: i64 = row.try_get("", "kind")?;
        hits.push(Hit {
            table: TABLES[kind as usize],
            id: row.try_get("", "id")?,
            score: row.try_get("", "score")?,
            snippet: row
                .try_get::<Option<String>>("", "snippet")?
                .map(|snippet| marked_html(&snippet, marks)),
        });
        if count {
            total = Some(row.try_get("", "sg_total")?);
        }
    }
    Ok((hits, total))
}

/// The matches of every table, `(kind, id, score)` (and SQLite's snippet), one `UNION ALL`;
/// `text` is the query rendered for SQLite's `MATCH`.
fn write_hits(sql: &mut Sql, query: &SearchQuery, text: &str, tables: &[Table], postgres: bool) {
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        let name = table.name();
        let kind = kind_of(*table);
        if postgres {
            let (q, rank) = (query.tsquery_literal(), query.rank_tsquery_literal());
            sql.push(&format!(
                "SELECT CAST({kind} AS BIGINT) AS kind, r.id AS id, CAST(ts_rank(r.search_vector, {rank}) \
                 AS DOUBLE PRECISION) AS score FROM {name} r WHERE r.search_vector @@ {q}"
            ));
        } else {
            sql.push(&format!(
                "SELECT CAST({kind} AS BIGINT) AS kind, rowid AS id, -bm25({name}_fts, 10.0, 1.0) AS score, \
                 snippet({name}_fts, -1, '{start}', '{stop}', '…', 16) AS snippet FROM {name}_fts WHERE {name}_fts MATCH ",
                start = marks().start,
                stop = marks().stop,
            ))
            .bind(text.to_owned());
        }
    }
}

/// How many rows of `tables` match `query`.
pub async fn count_all(
    conn: &impl ConnectionTrait,
    query: &SearchQuery,
    tables: &[Table],
) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    let text = query.render(backend);
    let mut sql = Sql::new(backend);
    sql.push("SELECT ");
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            sql.push(" + ");
        }
        let name = table.name();
        match backend {
            DatabaseBackend::Postgres => sql.push(&format!(
                "(SELECT COUNT(*) FROM {name} WHERE search_vector @@ {})",
                query.tsquery_literal()
            )),
            _ => sql
                .push(&format!(
                    "(SELECT COUNT(*) FROM {name}_fts WHERE {name}_fts MATCH "
                ))
                .bind(text.clone())
                .push(")"),
        };
    }
    sql.push(" AS n");
    let row = conn.query_one_raw(sql.build()).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

impl Hit {
    pub fn position(&self) -> HitPosition {
        HitPosition {
            score: self.score,
            kind: kind_of(self.table),
            id: self.id,
        }
    }
}
