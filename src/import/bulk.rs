//! The bulk write path of the native importer (runs that stop at the first bad record):
//! consecutive publications, datasets or links are gathered into batches and written with a few
//! multi-row statements per batch instead of several statements per record. Records that are
//! not plainly new (their natural key exists, repeats in the batch, or is missing) go through
//! the per-record [`upsert`] functions at their place in the batch, so ids, counts, errors and
//! the stored graph are exactly those of the per-record path.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Value};

use super::native::{ImportError, Input, apply_input};
use super::upsert::{self, UpsertError, invalid};
use super::vectors::Lexicon;
use super::{RecordError, Summary};
use crate::db::pages::Table;
use crate::db::search;
use crate::db::sql::{Sql, insert_rows};

/// Records per batch.
const BATCH: usize = 5_000;

/// How large PostgreSQL lets a search index's pending entries grow during a bulk run before it
/// merges them into the index (its default, 4 MB, merges every few hundred publications:
/// inserting 50,000 generated publications took 6.2 s with it, 4.4-4.7 s with 16 MB and the
/// final merge included; 64 MB or more was no faster).
const GIN_PENDING_LIST: &str = "16MB";

/// One gathered record and where it came from.
struct Entry {
    file: String,
    line: usize,
    input: Input,
}

impl Entry {
    fn error(&self, err: UpsertError) -> ImportError {
        located(&self.file, self.line, err)
    }
}

/// A record's own problem, located on its line; a database failure as is.
fn located(file: &str, line: usize, err: UpsertError) -> ImportError {
    match err {
        UpsertError::Invalid { field, reason } => RecordError {
            file: file.to_owned(),
            line,
            field,
            reason,
        }
        .into(),
        UpsertError::Db(err) => err.into(),
    }
}

/// Writes one record through the per-record path.
async fn one(
    txn: &DatabaseTransaction,
    entry: Entry,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let Entry { file, line, input } = entry;
    apply_input(txn, input, summary)
        .await
        .map_err(|err| located(&file, line, err))
}

/// Consecutive records of one type waiting to be written.
#[derive(Default)]
pub(super) struct Batch {
    entries: Vec<Entry>,
    vectors: SearchVectors,
}

/// Where new rows' search vectors come from on PostgreSQL: assembled here from the chunks
/// PostgreSQL has looked up ([`Lexicon`]), else computed by PostgreSQL (for a batch's later
/// half on the connection beside the transaction while it inserts the earlier half, for the
/// earlier half by the insert itself).
#[derive(Default)]
struct SearchVectors {
    /// A connection beside the import's transaction (PostgreSQL only).
    beside: Option<DatabaseConnection>,
    lexicon: Lexicon,
}

fn kind(input: &Input) -> u8 {
    match input {
        Input::Producer(_) => 0,
        Input::Publication(_) => 1,
        Input::Dataset(_) => 2,
        Input::Link(_) => 3,
    }
}

impl Batch {
    /// A batch whose search vectors may be computed on `pool` too (PostgreSQL only: on SQLite
    /// another connection would wait for the transaction's write lock).
    pub(super) fn beside(pool: &DatabaseConnection) -> Self {
        Self {
            entries: Vec::new(),
            vectors: SearchVectors {
                beside: (pool.get_database_backend() == DatabaseBackend::Postgres)
                    .then(|| pool.clone()),
                lexicon: Lexicon::default(),
            },
        }
    }

    /// Prepares the run's transaction for bulk writes: on PostgreSQL new search index entries
    /// gather in a larger pending list before they are merged into the GIN indexes.
    pub(super) async fn begin(&self, txn: &DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(&format!(
                "SET LOCAL gin_pending_list_limit = '{GIN_PENDING_LIST}'"
            ))
            .await?;
        }
        Ok(())
    }

    /// Writes what is left and, on PostgreSQL, merges the search indexes' pending entries (a
    /// search right after the import would otherwise read them one by one). Only the indexes'
    /// owner may merge them: an import by a role that merely writes leaves them to autovacuum.
    pub(super) async fn finish(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        self.flush(txn, summary).await?;
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(
                "SELECT gin_clean_pending_list(CAST(c.oid AS regclass)) FROM pg_class c \
                 WHERE c.oid IN (to_regclass('publication_search_idx'), \
                   to_regclass('dataset_search_idx'), to_regclass('producer_search_idx')) \
                 AND pg_has_role(c.relowner, 'USAGE')",
            )
            .await?;
        }
        Ok(())
    }

    /// Adds a publication, dataset or link (a producer is written at once, after a flush).
    pub(super) async fn push(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
        file: &str,
        line: usize,
        input: Input,
    ) -> Result<(), ImportError> {
        if self
            .entries
            .first()
            .is_some_and(|first| kind(&first.input) != kind(&input))
        {
            self.flush(txn, summary).await?;
        }
        self.entries.push(Entry {
            file: file.to_owned(),
            line,
            input,
        });
        if self.entries.len() >= BATCH {
            self.flush(txn, summary).await?;
        }
        Ok(())
    }

    /// Writes what is gathered.
    pub(super) async fn flush(
        &mut self,
        txn: &DatabaseTransaction,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        let entries = std::mem::take(&mut self.entries);
        let Some(first) = entries.first() else {
            return Ok(());
        };
        match first.input {
            Input::Publication(_) | Input::Dataset(_) => {
                records(txn, &mut self.vectors, entries, summary).await
            }
            Input::Link(_) => links(txn, entries, summary).await,
            Input::Producer(_) => {
                for entry in entries {
                    one(txn, entry, summary).await?;
                }
                Ok(())
            }
        }
    }
}

/// How one record type is stored.
struct Shape {
    table: Table,
    /// The first natural key's column (`ncj_number`, `study_number`); the second is `doi`.
    key: &'static str,
    columns: &'static [&'static str],
    /// The PostgreSQL type of each column (for the `unnest` of a batch).
    types: &'static [&'static str],
    lists: &'static [(&'static str, &'static str)],
    credits: (&'static str, &'static str),
}

const PUBLICATION: Shape = Shape {
    table: Table::Publication,
    key: "ncj_number",
    columns: &[
        "ncj_number",
        "doi",
        "title_key",
        "title",
        "subtitle",
        "publication_type",
        "published_year",
        "published_month",
        "published_day",
        "published_key",
        "abstract",
        "physical_description",
        "place_of_production",
        "language",
        "url",
        "synthetic",
    ],
    types: &[
        "text", "text", "text", "text", "text", "text", "integer", "integer", "integer", "bigint",
        "text", "text", "text", "text", "text", "boolean",
    ],
    lists: &[
        ("publication_author", "publication_id"),
        ("publication_subject", "publication_id"),
    ],
    credits: ("publication_producer", "publication_id"),
};

const DATASET: Shape = Shape {
    table: Table::Dataset,
    key: "study_number",
    columns: &[
        "study_number",
        "doi",
        "title_key",
        "title",
        "summary",
        "time_period_start",
        "time_period_end",
        "released_year",
        "released_month",
        "released_day",
        "released_key",
        "version",
        "series",
        "url",
        "synthetic",
    ],
    types: &[
        "text", "text", "text", "text", "text", "integer", "integer", "integer", "integer",
        "integer", "bigint", "text", "text", "text", "boolean",
    ],
    lists: &[
        ("dataset_subject", "dataset_id"),
        ("dataset_coverage", "dataset_id"),
        ("dataset_data_type", "dataset_id"),
    ],
    credits: ("dataset_producer", "dataset_id"),
};

/// A brand-new record ready for the multi-row statements.
struct NewRow {
    /// `(column, value)` the row is found by after the insert: the first key, else the DOI
    /// (lowercased).
    found_by: (bool, String),
    values: Vec<Value>,
    lists: Vec<Vec<String>>,
    credits: Vec<(i64, String)>,
}

/// The natural keys of a publication or dataset entry: (first key, lowercased DOI).
fn keys(input: &Input) -> (Option<String>, Option<String>) {
    match input {
        Input::Publication(p) => (
            p.ncj_number.clone(),
            p.doi.as_ref().map(|d| d.to_lowercase()),
        ),
        Input::Dataset(d) => (
            d.study_number.clone(),
            d.doi.as_ref().map(|d| d.to_lowercase()),
        ),
        _ => (None, None),
    }
}

/// Which of `firsts` (in `column`) and `dois` (lowercased) exist in `table`.
async fn existing_keys(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    firsts: &[String],
    dois: &[String],
) -> Result<(HashSet<String>, HashSet<String>), ImportError> {
    let mut found = (HashSet::new(), HashSet::new());
    if firsts.is_empty() && dois.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(txn.get_database_backend());
    let select = format!("SELECT {column} AS k, lower(doi) AS d FROM {table}");
    by_key_or_doi(&mut sql, &select, column, firsts.to_vec(), dois.to_vec());
    for row in txn.query_all_raw(sql.build()).await? {
        if let Some(k) = row.try_get::<Option<String>>("", "k")? {
            found.0.insert(k);
        }
        if let Some(d) = row.try_get::<Option<String>>("", "d")? {
            found.1.insert(d);
        }
    }
    Ok(found)
}

/// A batch of publications or datasets.
async fn records(
    txn: &DatabaseTransaction,
    vectors: &mut SearchVectors,
    entries: Vec<Entry>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let shape = match entries[0].input {
        Input::Publication(_) => &PUBLICATION,
        _ => &DATASET,
    };
    let keys: Vec<_> = entries.iter().map(|e| keys(&e.input)).collect();
    let mut seen: HashMap<(bool, &str), usize> = HashMap::new();
    for (first, doi) in &keys {
        if let Some(k) = first {
            *seen.entry((true, k)).or_default() += 1;
        }
        if let Some(d) = doi {
            *seen.entry((false, d)).or_default() += 1;
        }
    }
    let firsts: Vec<String> = keys.iter().filter_map(|k| k.0.clone()).collect();
    let dois: Vec<String> = keys.iter().filter_map(|k| k.1.clone()).collect();
    let (known_firsts, known_dois) =
        existing_keys(txn, shape.table.name(), shape.key, &firsts, &dois).await?;
    let mut pending: Vec<NewRow> = Vec::new();
    for (entry, (first, doi)) in entries.into_iter().zip(keys.iter()) {
        let new = (first.is_some() || doi.is_some())
            && first
                .as_ref()
                .is_none_or(|k| seen[&(true, k.as_str())] == 1 && !known_firsts.contains(k))
            && doi.as_ref().is_none_or(|d| {
                d.is_ascii() && seen[&(false, d.as_str())] == 1 && !known_dois.contains(d)
            });
        if !new {
            write_new(txn, vectors, shape, std::mem::take(&mut pending), summary).await?;
            one(txn, entry, summary).await?;
            continue;
        }
        let found_by = match (first, doi) {
            (Some(k), _) => (true, k.clone()),
            (None, Some(d)) => (false, d.clone()),
            (None, None) => unreachable!("checked above"),
        };
        let row = new_row(txn, &entry, found_by)
            .await
            .map_err(|err| entry.error(err))?;
        pending.push(row);
    }
    write_new(txn, vectors, shape, pending, summary).await
}

/// Checks a new record as the per-record path would, and lays out its values.
async fn new_row(
    txn: &DatabaseTransaction,
    entry: &Entry,
    found_by: (bool, String),
) -> Result<NewRow, UpsertError> {
    let (values, lists, producers): (Vec<Value>, Vec<Vec<String>>, _) = match &entry.input {
        Input::Publication(p) => {
            let date = p.published_on;
            (
                vec![
                    p.ncj_number.clone().into(),
                    p.doi.clone().into(),
                    p.title.to_lowercase().into(),
                    p.title.clone().into(),
                    p.subtitle.clone().into(),
                    p.publication_type.clone().into(),
                    date.map(|d| d.year).into(),
                    date.and_then(|d| d.month).into(),
                    date.and_then(|d| d.day).into(),
                    date.map(|d| d.key()).into(),
                    p.abstract_text.clone().into(),
                    p.physical_description.clone().into(),
                    p.place_of_production.clone().into(),
                    p.language.clone().into(),
                    p.url.clone().into(),
                    p.synthetic.into(),
                ],
                vec![
                    upsert::stored_list(&p.authors),
                    upsert::stored_list(&p.subjects),
                ],
                &p.producers,
            )
        }
        Input::Dataset(d) => {
            if let (Some(start), Some(end)) = d.time_period
                && start > end
            {
                return Err(invalid(
                    "timePeriod",
                    format!("start {start} is after end {end}"),
                ));
            }
            let date = d.released_on;
            (
                vec![
                    d.study_number.clone().into(),
                    d.doi.clone().into(),
                    d.title.to_lowercase().into(),
                    d.title.clone().into(),
                    d.summary.clone().into(),
                    d.time_period.0.into(),
                    d.time_period.1.into(),
                    date.map(|d| d.year).into(),
                    date.and_then(|d| d.month).into(),
                    date.and_then(|d| d.day).into(),
                    date.map(|d| d.key()).into(),
                    d.version.clone().into(),
                    d.series.clone().into(),
                    d.url.clone().into(),
                    d.synthetic.into(),
                ],
                vec![
                    upsert::stored_list(&d.subjects),
                    upsert::stored_list(&d.geographic_coverage),
                    upsert::stored_list(&d.data_types),
                ],
                &d.producers,
            )
        }
        _ => unreachable!("publications and datasets only"),
    };
    let mut credits: Vec<(i64, String)> = Vec::with_capacity(producers.len());
    for (i, credit) in producers.iter().enumerate() {
        let producer =
            upsert::resolve_producer(txn, &format!("producers[{i}].producer"), &credit.producer)
                .await?;
        if !credits
            .iter()
            .any(|(id, role)| *id == producer.id && *role == credit.role)
        {
            credits.push((producer.id, credit.role.clone()));
        }
    }
    Ok(NewRow {
        found_by,
        values,
        lists,
        credits,
    })
}

/// The title and body the search index holds for a new row (what `search::refresh` reads back).
fn search_text(shape: &Shape, row: &NewRow) -> (String, String) {
    search::indexed_strings(shape.table, |source| {
        if let Some(at) = shape.columns.iter().position(|c| *c == source) {
            return search::Text::Column(match &row.values[at] {
                Value::String(Some(text)) => Some(text.as_str()),
                Value::String(None) => None,
                other => unreachable!("indexed column {source} holds {other:?}"),
            });
        }
        let at = shape
            .lists
            .iter()
            .position(|(list, _)| *list == source)
            .unwrap_or_else(|| unreachable!("indexed list {source} is not stored"));
        search::Text::List(&row.lists[at])
    })
}

/// Inserts brand-new rows, their lists, credits and search entries.
async fn write_new(
    txn: &DatabaseTransaction,
    vectors: &mut SearchVectors,
    shape: &Shape,
    rows: Vec<NewRow>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let table = shape.table.name();
    let texts: Vec<(String, String)> = rows.iter().map(|row| search_text(shape, row)).collect();
    // The rows, each with its search vector on PostgreSQL; the new ids come back by the key
    // each row was inserted with.
    let returning = format!(" RETURNING id, {} AS k, lower(doi) AS d", shape.key);
    let mut results = Vec::new();
    if postgres {
        // With a connection beside the transaction, that connection prepares the later half's
        // vectors (looking up new chunks, computing what cannot be assembled) while the
        // transaction inserts the earlier half: PostgreSQL works on both cores. Rows stay in
        // file order (their ids are those of the per-record path).
        let side = vectors
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
            Some(pool) => vectors.prepare(pool, earlier, false).await?,
            None => vectors.prepare(txn, earlier, false).await?,
        };
        let first = insert_pg(shape, &rows[..split], &earlier_vectors, earlier, &returning);
        match side {
            Some(pool) => {
                let (first, later_vectors) = tokio::join!(
                    txn.query_all_raw(first),
                    vectors.prepare(&pool, later, true)
                );
                results.push(first?);
                let second = insert_pg(shape, &rows[split..], &later_vectors?, later, &returning);
                results.push(txn.query_all_raw(second).await?);
            }
            None => results.push(txn.query_all_raw(first).await?),
        }
    } else {
        let values = rows.iter().map(|row| row.values.iter().cloned());
        for mut statement in insert_rows(backend, table, shape.columns, values) {
            statement.sql.push_str(&returning);
            results.push(txn.query_all_raw(statement).await?);
        }
    }
    let mut ids_by_key: HashMap<(bool, String), i64> = HashMap::with_capacity(rows.len());
    for result in results {
        for row in result {
            let id: i64 = row.try_get("", "id")?;
            if let Some(k) = row.try_get::<Option<String>>("", "k")? {
                ids_by_key.insert((true, k), id);
            }
            if let Some(d) = row.try_get::<Option<String>>("", "d")? {
                ids_by_key.insert((false, d), id);
            }
        }
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = ids_by_key.get(&row.found_by).copied().ok_or_else(|| {
            sea_orm::DbErr::Custom(format!("inserted {table} \"{}\" not found", row.found_by.1))
        })?;
        ids.push(id);
    }
    for (list, (list_table, owner)) in shape.lists.iter().enumerate() {
        let values = rows.iter().zip(&ids).flat_map(|(row, id)| {
            row.lists[list]
                .iter()
                .enumerate()
                .map(move |(position, value)| {
                    (
                        Value::from(*id),
                        Value::from(position as i32),
                        Value::from(value.clone()),
                    )
                })
        });
        insert_triples(
            txn,
            list_table,
            &[
                (owner, "bigint"),
                ("position", "integer"),
                ("value", "text"),
            ],
            values,
        )
        .await?;
    }
    let (credit_table, owner) = shape.credits;
    let credits = rows.iter().zip(&ids).flat_map(|(row, id)| {
        row.credits.iter().map(move |(producer, role)| {
            (
                Value::from(*id),
                Value::from(*producer),
                Value::from(role.clone()),
            )
        })
    });
    insert_triples(
        txn,
        credit_table,
        &[
            (owner, "bigint"),
            ("producer_id", "bigint"),
            ("role", "text"),
        ],
        credits,
    )
    .await?;
    if !postgres {
        let entries: Vec<(i64, String, String)> = ids
            .iter()
            .zip(texts)
            .map(|(id, (title, body))| (*id, title, body))
            .collect();
        search::insert_many(txn, shape.table, &entries).await?;
    }
    match shape.table {
        Table::Publication => summary.publications += rows.len(),
        _ => summary.datasets += rows.len(),
    }
    Ok(())
}

/// New rows per batch from which preparing the later half's search vectors beside the transaction
/// pays for the extra statement.
const PARALLEL_VECTORS_MIN: usize = 200;

impl SearchVectors {
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

/// Multi-row INSERTs of three-column rows (see [`insert_columns`]).
async fn insert_triples(
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[(&str, &str); 3],
    rows: impl Iterator<Item = (Value, Value, Value)>,
) -> Result<(), ImportError> {
    let rows: Vec<[Value; 3]> = rows.map(|(a, b, c)| [a, b, c]).collect();
    insert_columns(txn, table, columns, &rows).await
}

/// Inserts `rows` into `columns` (`(name, PostgreSQL type)`): on PostgreSQL one `INSERT ...
/// SELECT FROM unnest(...)` with an array per column (a multi-row `VALUES` costs the server
/// far more to parse and plan), on SQLite multi-row `INSERT`s.
async fn insert_columns<const N: usize>(
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[(&str, &str); N],
    rows: &[[Value; N]],
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    if backend == DatabaseBackend::Postgres {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "INSERT INTO {table} ({}) SELECT * FROM unnest(",
            names.join(", ")
        ));
        for (i, (_, ty)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(array_literal(rows.iter().map(|row| &row[i])))
                .push(&format!("::{ty}[]"));
        }
        sql.push(")");
        txn.execute_raw(sql.build()).await?;
    } else {
        for statement in insert_rows(backend, table, &names, rows.iter().cloned()) {
            txn.execute_raw(statement).await?;
        }
    }
    Ok(())
}

/// Appends `expr IN (values)`; on PostgreSQL `expr IN (SELECT unnest($n::ty[]))`, one array
/// parameter (a short statement whatever the batch size, planned as index probes).
fn push_in<V: Into<Value>>(
    sql: &mut Sql,
    expr: &str,
    ty: &str,
    values: impl IntoIterator<Item = V>,
) {
    if sql.backend() == DatabaseBackend::Postgres {
        let values: Vec<Value> = values.into_iter().map(Into::into).collect();
        sql.push(&format!("{expr} IN (SELECT unnest("))
            .bind(array_literal(values.iter()))
            .push(&format!("::{ty}[]))"));
    } else {
        sql.push(&format!("{expr} IN ")).bind_list(values);
    }
}

/// Appends `select` (a `SELECT ... FROM table`) of the rows whose `column` is one of `firsts`
/// or whose lowercased DOI is one of `dois`; on PostgreSQL as two index lookups (a row may come
/// twice), since an `OR` of two subqueries scans the whole table.
fn by_key_or_doi(
    sql: &mut Sql,
    select: &str,
    column: &str,
    firsts: Vec<String>,
    dois: Vec<String>,
) {
    sql.push(select).push(" WHERE ");
    push_in(sql, column, "text", firsts);
    if sql.backend() == DatabaseBackend::Postgres {
        sql.push(" UNION ALL ").push(select).push(" WHERE ");
    } else {
        sql.push(" OR ");
    }
    push_in(sql, "lower(doi)", "text", dois);
}

/// One element of a PostgreSQL array literal.
trait Element {
    /// The element's text: `None` for NULL, else `(text, whether it needs quoting)`.
    fn element(&self) -> Option<(String, bool)>;
}

impl Element for &str {
    fn element(&self) -> Option<(String, bool)> {
        Some(((*self).to_owned(), true))
    }
}

impl Element for &Value {
    fn element(&self) -> Option<(String, bool)> {
        let number = |n: Option<i64>| n.map(|n| (n.to_string(), false));
        match self {
            Value::String(text) => text.as_ref().map(|t| (t.to_string(), true)),
            Value::Bool(b) => b.map(|b| ((if b { "t" } else { "f" }).to_owned(), false)),
            Value::TinyInt(n) => number(n.map(i64::from)),
            Value::SmallInt(n) => number(n.map(i64::from)),
            Value::Int(n) => number(n.map(i64::from)),
            Value::BigInt(n) => number(*n),
            Value::ChronoDate(date) => date.as_ref().map(|d| (d.to_string(), true)),
            other => unreachable!("no array element for {other:?}"),
        }
    }
}

impl Element for Option<&str> {
    fn element(&self) -> Option<(String, bool)> {
        self.map(|text| (text.to_owned(), true))
    }
}

/// The PostgreSQL `text[]` literal of `values`.
pub(super) fn text_array<'a>(values: impl Iterator<Item = &'a str>) -> String {
    array_literal(values)
}

/// The PostgreSQL array literal (`{"a","b",NULL}`) of `values`, bound as one text parameter
/// and cast to the column's array type.
fn array_literal<E: Element>(values: impl Iterator<Item = E>) -> String {
    let mut out = String::from("{");
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match value.element() {
            None => out.push_str("NULL"),
            Some((text, false)) => out.push_str(&text),
            Some((text, true)) => {
                out.push('"');
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}

/// A link's resolved works and values.
struct LinkRow {
    publication: i64,
    dataset: i64,
    relation_type: String,
    source: Option<String>,
    linked_on: Option<chrono::NaiveDate>,
}

/// Ids of the records of `table` named by `keys` (`(column, value)`, DOIs lowercased).
async fn ids_for(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    keys: &[(bool, String)],
) -> Result<HashMap<(bool, String), i64>, ImportError> {
    let mut found = HashMap::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(txn.get_database_backend());
    let select = format!("SELECT id, {column} AS k, lower(doi) AS d FROM {table}");
    let firsts = keys.iter().filter(|k| k.0).map(|k| k.1.clone()).collect();
    let dois = keys.iter().filter(|k| !k.0).map(|k| k.1.clone()).collect();
    by_key_or_doi(&mut sql, &select, column, firsts, dois);
    for row in txn.query_all_raw(sql.build()).await? {
        let id: i64 = row.try_get("", "id")?;
        if let Some(k) = row.try_get::<Option<String>>("", "k")? {
            found.insert((true, k), id);
        }
        if let Some(d) = row.try_get::<Option<String>>("", "d")? {
            found.insert((false, d), id);
        }
    }
    Ok(found)
}

fn link_key(key: &upsert::KeyInput) -> (bool, String) {
    if key.column == "doi" {
        (false, key.value.to_lowercase())
    } else {
        (true, key.value.clone())
    }
}

/// A batch of links.
async fn links(
    txn: &DatabaseTransaction,
    entries: Vec<Entry>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let inputs: Vec<&upsert::LinkInput> = entries
        .iter()
        .map(|e| match &e.input {
            Input::Link(link) => link,
            _ => unreachable!("a batch holds one record type"),
        })
        .collect();
    // A DOI outside ASCII: leave the matching to the database, record by record.
    if inputs.iter().any(|l| {
        (l.publication.column == "doi" && !l.publication.value.is_ascii())
            || (l.dataset.column == "doi" && !l.dataset.value.is_ascii())
    }) {
        for entry in entries {
            one(txn, entry, summary).await?;
        }
        return Ok(());
    }
    let publication_keys: Vec<_> = inputs.iter().map(|l| link_key(&l.publication)).collect();
    let dataset_keys: Vec<_> = inputs.iter().map(|l| link_key(&l.dataset)).collect();
    let publications = ids_for(txn, "publication", "ncj_number", &publication_keys).await?;
    let datasets = ids_for(txn, "dataset", "study_number", &dataset_keys).await?;
    let mut rows = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let link = inputs[i];
        let publication = publications.get(&publication_keys[i]).ok_or_else(|| {
            entry.error(invalid(
                format!("publication.{}", link.publication.field),
                format!("no publication \"{}\"", link.publication.value),
            ))
        })?;
        let dataset = datasets.get(&dataset_keys[i]).ok_or_else(|| {
            entry.error(invalid(
                format!("dataset.{}", link.dataset.field),
                format!("no dataset \"{}\"", link.dataset.value),
            ))
        })?;
        rows.push(LinkRow {
            publication: *publication,
            dataset: *dataset,
            relation_type: link.relation_type.clone(),
            source: link.source.clone(),
            linked_on: link.linked_on,
        });
    }
    // The pairs already stored.
    let mut stored: HashSet<(i64, i64)> = HashSet::new();
    {
        // By publication only (a pair list would make SQLite probe every combination); the
        // few other links of these publications are dropped here.
        let pairs: HashSet<(i64, i64)> = rows.iter().map(|r| (r.publication, r.dataset)).collect();
        let publication_ids: HashSet<i64> = pairs.iter().map(|p| p.0).collect();
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT publication_id, dataset_id FROM publication_dataset WHERE ");
        push_in(&mut sql, "publication_id", "bigint", publication_ids);
        for row in txn.query_all_raw(sql.build()).await? {
            let pair = (
                row.try_get("", "publication_id")?,
                row.try_get("", "dataset_id")?,
            );
            if pairs.contains(&pair) {
                stored.insert(pair);
            }
        }
    }
    // New pairs in first-seen order, each with its last values (a repeat updates the first).
    let mut new: Vec<LinkRow> = Vec::new();
    let mut new_at: HashMap<(i64, i64), usize> = HashMap::new();
    for row in rows {
        let pair = (row.publication, row.dataset);
        if stored.contains(&pair) {
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push("UPDATE publication_dataset SET relation_type = ")
                .bind(row.relation_type)
                .push(", source = ")
                .bind(row.source)
                .push(", linked_on = ")
                .bind(row.linked_on)
                .push(" WHERE publication_id = ")
                .bind(row.publication)
                .push(" AND dataset_id = ")
                .bind(row.dataset);
            txn.execute_raw(sql.build()).await?;
        } else if let Some(&at) = new_at.get(&pair) {
            new[at] = row;
        } else {
            new_at.insert(pair, new.len());
            new.push(row);
        }
    }
    let values: Vec<[Value; 5]> = new
        .iter()
        .map(|row| {
            [
                Value::from(row.publication),
                Value::from(row.dataset),
                Value::from(row.relation_type.clone()),
                Value::from(row.source.clone()),
                Value::from(row.linked_on),
            ]
        })
        .collect();
    let columns = [
        ("publication_id", "bigint"),
        ("dataset_id", "bigint"),
        ("relation_type", "text"),
        ("source", "text"),
        ("linked_on", "date"),
    ];
    insert_columns(txn, "publication_dataset", &columns, &values).await?;
    summary.links += new.len();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_quote_text_and_keep_nulls() {
        let values = [
            Value::from("plain"),
            Value::from(r#"a "quoted" \ back, {brace}"#),
            Value::from(None::<String>),
            Value::from("NULL"),
        ];
        assert_eq!(
            array_literal(values.iter()),
            r#"{"plain","a \"quoted\" \\ back, {brace}",NULL,"NULL"}"#
        );
        let numbers = [
            Value::from(1_i64),
            Value::from(None::<i32>),
            Value::from(true),
        ];
        assert_eq!(array_literal(numbers.iter()), "{1,NULL,t}");
        assert_eq!(array_literal(std::iter::empty::<&str>()), "{}");
    }
}
