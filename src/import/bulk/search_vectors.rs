//! The search vectors of a batch's new rows on PostgreSQL, and the row `INSERT` that stores
//! them.

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, QueryResult,
};

use super::super::vectors::Lexicon;
use super::records::{NewRow, Shape};
use super::statements::array_literal;
use crate::db::search;
use crate::db::sql::Sql;

/// Where new rows' search vectors come from on PostgreSQL: assembled here from the chunks
/// PostgreSQL has looked up ([`Lexicon`]), else computed by PostgreSQL (for a batch's later
/// half on the connection beside the transaction while it inserts the earlier half, for the
/// earlier half by the insert itself).
#[derive(Default)]
pub(super) struct SearchVectors {
    /// A connection beside the import's transaction (PostgreSQL only).
    beside: Option<DatabaseConnection>,
    lexicon: Lexicon,
}

/// New rows per batch from which preparing the later half's search vectors beside the transaction
/// pays for the extra statement.
const PARALLEL_VECTORS_MIN: usize = 200;

impl SearchVectors {
    /// Vectors that may also be computed on `pool` (PostgreSQL only: on SQLite another
    /// connection would wait for the transaction's write lock).
    pub(super) fn beside(pool: &DatabaseConnection) -> Self {
        Self {
            beside: (pool.get_database_backend() == DatabaseBackend::Postgres)
                .then(|| pool.clone()),
            lexicon: Lexicon::default(),
        }
    }

    /// Inserts `rows` (whose search texts are `texts`) with their vectors, each statement
    /// followed by `returning`; the statements' results in order. With a connection beside
    /// the transaction, that connection prepares the later half's vectors (looking up new
    /// chunks, computing what cannot be assembled) while the transaction inserts the earlier
    /// half: PostgreSQL works on both cores. Rows stay in file order (their ids are those of
    /// the per-record path).
    pub(super) async fn insert(
        &mut self,
        txn: &DatabaseTransaction,
        shape: &Shape,
        rows: &[NewRow],
        texts: &[(String, String)],
        returning: &str,
    ) -> Result<Vec<Vec<QueryResult>>, sea_orm::DbErr> {
        let side = self
            .beside
            .clone()
            .filter(|_| rows.len() >= PARALLEL_VECTORS_MIN);
        let split = if side.is_some() {
            rows.len() / 2
        } else {
            rows.len()
        };
        let (earlier, later) = texts.split_at(split);
        let earlier_vectors = match &side {
            Some(pool) => self.prepare(pool, earlier, false).await?,
            None => self.prepare(txn, earlier, false).await?,
        };
        let first = insert_pg(shape, &rows[..split], &earlier_vectors, earlier, returning);
        let Some(pool) = side else {
            let results = vec![txn.query_all_raw(first).await?];
            self.note_lexemes(txn, &earlier_vectors, earlier).await?;
            return Ok(results);
        };
        let (first, later_vectors) =
            tokio::join!(txn.query_all_raw(first), self.prepare(&pool, later, true));
        let (first, later_vectors) = (first?, later_vectors?);
        let second = insert_pg(shape, &rows[split..], &later_vectors, later, returning);
        let results = vec![first, txn.query_all_raw(second).await?];
        let vectors: Vec<RowVector> = earlier_vectors.into_iter().chain(later_vectors).collect();
        self.note_lexemes(txn, &vectors, texts).await?;
        Ok(results)
    }

    /// Notes, in the import's transaction, the lexemes of the vectors just inserted (see
    /// [`search::note_lexemes`]): those of the chunks looked up since the last note, and of
    /// the vectors not assembled from chunks (from their text). In the transaction, never on
    /// the connection beside it: a lexeme the transaction noted itself (a record rewritten by
    /// [`search::refresh`]) holds that connection's insert of the same lexeme until the
    /// import commits, and the import would wait for it.
    async fn note_lexemes(
        &mut self,
        txn: &DatabaseTransaction,
        vectors: &[RowVector],
        texts: &[(String, String)],
    ) -> Result<(), sea_orm::DbErr> {
        search::note_lexemes(txn, &self.lexicon.take_fresh()).await?;
        let unassembled: Vec<(String, String)> = vectors
            .iter()
            .zip(texts)
            .filter(|(vector, _)| !matches!(vector, RowVector::Parts(..)))
            .map(|(_, text)| text.clone())
            .collect();
        search::note_lexemes_of_texts(txn, &unassembled).await
    }

    /// The vectors of rows with these `(title, body)` texts: assembled where the lexicon can
    /// (after looking up, on `conn`, the chunks it has not seen), else computed on `conn` when
    /// `compute` says so, else left to the insert.
    async fn prepare(
        &mut self,
        conn: &impl ConnectionTrait,
        texts: &[(String, String)],
        compute: bool,
    ) -> Result<Vec<RowVector>, sea_orm::DbErr> {
        let all = texts.iter().flat_map(|(t, b)| [t.as_str(), b.as_str()]);
        self.lexicon.learn(conn, all).await?;
        let mut prepared: Vec<RowVector> = texts
            .iter()
            .map(
                |(title, body)| match (self.lexicon.vector(title), self.lexicon.vector(body)) {
                    (Some(title), Some(body)) => RowVector::Parts(title, body),
                    _ => RowVector::FromText,
                },
            )
            .collect();
        let left: Vec<usize> = (0..texts.len())
            .filter(|at| matches!(prepared[*at], RowVector::FromText))
            .collect();
        if compute && !left.is_empty() {
            let pairs: Vec<(String, String)> = left.iter().map(|at| texts[*at].clone()).collect();
            for (at, vector) in left.into_iter().zip(search_vectors(conn, &pairs).await?) {
                prepared[at] = RowVector::Whole(vector);
            }
        }
        Ok(prepared)
    }
}

/// Where one inserted row's search vector comes from.
enum RowVector {
    /// Its title's and body's vectors, assembled ([`Lexicon::vector`]), as `tsvector` text.
    Parts(String, String),
    /// The whole vector, computed beforehand ([`search_vectors`]), as `tsvector` text.
    Whole(String),
    /// Computed by the insert from the row's title and body text.
    FromText,
}

/// A pick of one text column of [`insert_pg`]'s vector sources.
type Pick = for<'a> fn(&'a RowVector, &'a (String, String)) -> Option<&'a str>;

/// One `INSERT ... SELECT FROM unnest(...)` of `rows` with their search vectors (`vectors`,
/// from `texts` where they say so), then `returning`.
fn insert_pg(
    shape: &Shape,
    rows: &[NewRow],
    vectors: &[RowVector],
    texts: &[(String, String)],
    returning: &str,
) -> sea_orm::Statement {
    let columns = shape.columns.join(", ");
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    let vector = format!(
        "COALESCE({}, CAST(sg_vector AS tsvector), {})",
        search::vector_of_parts("sg_title_vector", "sg_body_vector"),
        search::vector_of("sg_title", "sg_body")
    );
    sql.push(&format!(
        "INSERT INTO {} ({columns}, search_vector) SELECT {columns}, {vector} FROM unnest(",
        shape.table.name()
    ));
    for (i, ty) in shape.types.iter().enumerate() {
        sql.bind(array_literal(rows.iter().map(|row| &row.values[i])))
            .push(&format!("::{ty}[], "));
    }
    let picks: [Pick; 5] = [
        |vector, _| match vector {
            RowVector::Parts(title, _) => Some(title),
            _ => None,
        },
        |vector, _| match vector {
            RowVector::Parts(_, body) => Some(body),
            _ => None,
        },
        |vector, _| match vector {
            RowVector::Whole(whole) => Some(whole),
            _ => None,
        },
        |vector, text| match vector {
            RowVector::FromText => Some(&text.0),
            _ => None,
        },
        |vector, text| match vector {
            RowVector::FromText => Some(&text.1),
            _ => None,
        },
    ];
    for (i, pick) in picks.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(array_literal(
            vectors
                .iter()
                .zip(texts)
                .map(|(vector, text)| pick(vector, text)),
        ))
        .push("::text[]");
    }
    sql.push(&format!(
        ") AS u({columns}, sg_title_vector, sg_body_vector, sg_vector, sg_title, sg_body){returning}"
    ));
    sql.build()
}

/// The search vectors of rows with these title and body texts, in order, as `tsvector` text
/// (which reads back as the same vector), computed on `conn`.
async fn search_vectors(
    conn: &impl ConnectionTrait,
    texts: &[(String, String)],
) -> Result<Vec<String>, sea_orm::DbErr> {
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    sql.push(&format!(
        "SELECT CAST({} AS TEXT) AS v FROM unnest(",
        search::vector_of("sg_title", "sg_body")
    ));
    bind_texts(&mut sql, texts);
    sql.push(") WITH ORDINALITY AS u(sg_title, sg_body, sg_n) ORDER BY sg_n");
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter().map(|row| row.try_get("", "v")).collect()
}

/// Binds the titles and the bodies of `texts` as two `text[]` arrays (for `unnest`).
fn bind_texts(sql: &mut Sql, texts: &[(String, String)]) {
    sql.bind(array_literal(texts.iter().map(|t| t.0.as_str())))
        .push("::text[], ")
        .bind(array_literal(texts.iter().map(|t| t.1.as_str())))
        .push("::text[]");
}
