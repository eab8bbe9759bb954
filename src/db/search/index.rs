//! The search index's upkeep: what text of a row is indexed (its title, weighted above the
//! rest), and writing, rewriting and removing a row's entry (FTS5 rows on SQLite, the
//! `search_vector` column on PostgreSQL).

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use crate::db::pages::Table;
use crate::db::sql::{MAX_IN_LIST, Sql, insert_rows};

/// The searchable text of a table: `(title expression, body expressions)` over the row `r`,
/// with `AGG(col, owner)` standing for the backend's string aggregate of a value list.
fn indexed_text(table: Table) -> (&'static str, &'static [&'static str]) {
    match table {
        Table::Publication => (
            "r.title",
            &[
                "r.subtitle",
                "r.abstract",
                "AGG(publication_subject, publication_id)",
                "AGG(publication_author, publication_id)",
                "r.ncj_number",
            ],
        ),
        Table::Dataset => (
            "r.title",
            &[
                "r.summary",
                "r.series",
                "AGG(dataset_subject, dataset_id)",
                "AGG(dataset_coverage, dataset_id)",
                "r.study_number",
            ],
        ),
        Table::Producer => (
            "r.name",
            &[
                "r.abbreviation",
                "AGG(producer_alias, producer_id)",
                "r.kind",
                "r.location",
            ],
        ),
    }
}

fn body_sql(table: Table, backend: DatabaseBackend) -> String {
    let (_, parts) = indexed_text(table);
    let parts: Vec<String> = parts
        .iter()
        .map(|part| {
            let expr = match part
                .strip_prefix("AGG(")
                .and_then(|rest| rest.strip_suffix(')'))
            {
                Some(args) => {
                    let (list, owner) = args.split_once(", ").expect("AGG(table, owner)");
                    let aggregate = match backend {
                        DatabaseBackend::Postgres => "string_agg(value, ' ')",
                        _ => "group_concat(value, ' ')",
                    };
                    format!("(SELECT {aggregate} FROM {list} WHERE {owner} = r.id)")
                }
                None => part.to_string(),
            };
            format!("coalesce({expr}, '')")
        })
        .collect();
    parts.join(" || ' ' || ")
}

/// The weighted `tsvector` PostgreSQL stores for a row whose title and body text are the SQL
/// expressions `title` and `body`: the title with weight A, the body with weight B.
pub fn vector_of(title: &str, body: &str) -> String {
    format!(
        "setweight(to_tsvector('english', {title}), 'A') || setweight(to_tsvector('english', {body}), 'B')"
    )
}

/// The same vector as [`vector_of`] from the title's and the body's own vectors, the SQL
/// expressions `title` and `body` giving `to_tsvector('english', ...)` of each as text (the
/// bulk importer assembles them: `import::vectors`).
pub fn vector_of_parts(title: &str, body: &str) -> String {
    format!("setweight(CAST({title} AS tsvector), 'A') || setweight(CAST({body} AS tsvector), 'B')")
}

/// Rewrites the search index entry of one row (call after writing the row and its lists).
pub async fn refresh(conn: &impl ConnectionTrait, table: Table, id: i64) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let name = table.name();
    let (title, _) = indexed_text(table);
    let body = body_sql(table, backend);
    if backend == DatabaseBackend::Postgres {
        let mut sql = Sql::new(backend);
        // The vector's lexemes are noted in the same statement (see `note_lexemes`).
        sql.push(&format!(
            "WITH sg_row AS (UPDATE {name} r SET search_vector = {} WHERE r.id = ",
            vector_of(title, &body)
        ))
        .bind(id)
        .push(&format!(
            " RETURNING r.search_vector) {NOTE_LEXEMES} \
             SELECT l FROM sg_row, unnest(tsvector_to_array(search_vector)) AS l \
             ORDER BY l {KEEP_NOTED}"
        ));
        conn.execute_raw(sql.build()).await?;
    } else {
        let mut delete = Sql::new(backend);
        delete
            .push(&format!("DELETE FROM {name}_fts WHERE rowid = "))
            .bind(id);
        conn.execute_raw(delete.build()).await?;
        let mut insert = Sql::new(backend);
        insert
            .push(&format!("INSERT INTO {name}_fts (rowid, title, body) SELECT r.id, {title}, {body} FROM {name} r WHERE r.id = "))
            .bind(id);
        conn.execute_raw(insert.build()).await?;
    }
    Ok(())
}

/// The start of a statement that notes lexemes (see [`note_lexemes`]).
const NOTE_LEXEMES: &str = "INSERT INTO search_lexeme (lexeme)";

/// The end of a [`NOTE_LEXEMES`] statement: lexemes already noted are left as they are.
const KEEP_NOTED: &str = "ON CONFLICT (lexeme) DO NOTHING";

/// PostgreSQL: notes `lexemes` (those of vectors assembled from them) in the list of every
/// lexeme the search vectors hold (table `search_lexeme`, migration 000012), from which a
/// search's prefix words are written as the lexemes they stand for. Whatever writes a vector
/// notes its lexemes in the same transaction, or commits them before that transaction
/// commits: a lexeme missing from the list is a row its prefix cannot find ([`refresh`] notes
/// its own). A lexeme no vector holds any more may stay. Each statement adds its lexemes in
/// byte order, so two writes adding the same new lexemes wait for each other rather than
/// deadlock within one statement (across statements PostgreSQL may still break a lock cycle:
/// a mutation then runs again, an import stops with nothing written).
pub async fn note_lexemes(conn: &impl ConnectionTrait, lexemes: &[String]) -> Result<(), DbErr> {
    if lexemes.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    sql.push(&format!("{NOTE_LEXEMES} SELECT DISTINCT l FROM unnest("))
        .bind_text_array(lexemes.iter().map(String::as_str))
        .push(&format!(") AS l ORDER BY l {KEEP_NOTED}"));
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// PostgreSQL: notes the lexemes of the vectors of rows with these `(title, body)` texts (see
/// [`note_lexemes`]), for vectors computed from their text rather than assembled.
pub async fn note_lexemes_of_texts(
    conn: &impl ConnectionTrait,
    texts: &[(String, String)],
) -> Result<(), DbErr> {
    if texts.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    sql.push(&format!("{NOTE_LEXEMES} SELECT DISTINCT l FROM unnest("))
        .bind_text_array(texts.iter().map(|t| t.0.as_str()))
        .push(", ")
        .bind_text_array(texts.iter().map(|t| t.1.as_str()))
        .push(&format!(
            ") AS u(sg_title, sg_body) CROSS JOIN LATERAL \
         unnest(tsvector_to_array({})) AS l ORDER BY l {KEEP_NOTED}",
            vector_of("sg_title", "sg_body")
        ));
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// One source of a row's searchable text, for a row held in memory.
pub enum Text<'a> {
    /// A column's value (`None` for NULL).
    Column(Option<&'a str>),
    /// A value list's stored values, in position order.
    List(&'a [String]),
}

/// The title and body text [`refresh`] indexes, for a row whose values are in memory (the bulk
/// importer's new rows): the same parts in the same order joined by one space, a NULL column or
/// an empty list as the empty string. `text` gives a column's value by its name (`"title"`) or a
/// list's values by its table (`"publication_subject"`).
pub fn indexed_strings<'a>(table: Table, text: impl Fn(&str) -> Text<'a>) -> (String, String) {
    let (title, parts) = indexed_text(table);
    let part = |expr: &str| {
        let source = match expr
            .strip_prefix("AGG(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            Some(args) => args.split_once(", ").expect("AGG(table, owner)").0,
            None => expr.strip_prefix("r.").expect("a column of the row"),
        };
        match text(source) {
            Text::Column(value) => value.unwrap_or_default().to_owned(),
            Text::List(values) => values.join(" "),
        }
    };
    let body: Vec<String> = parts.iter().map(|expr| part(expr)).collect();
    (part(title), body.join(" "))
}

/// Writes the SQLite search index entries of new rows, `(id, title, body)` with the text from
/// [`indexed_strings`] (on PostgreSQL the row `INSERT` sets the vector: see [`vector_of`]).
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    table: Table,
    rows: &[(i64, String, String)],
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let name = format!("{}_fts", table.name());
    // As in `refresh`: no stale entry may stay under a new row's id.
    for chunk in rows.chunks(MAX_IN_LIST) {
        let mut delete = Sql::new(backend);
        delete
            .push(&format!("DELETE FROM {name} WHERE rowid IN "))
            .bind_list(chunk.iter().map(|row| row.0));
        conn.execute_raw(delete.build()).await?;
    }
    let values = rows
        .iter()
        .map(|(id, title, body)| [(*id).into(), title.clone().into(), body.clone().into()]);
    for statement in insert_rows(backend, &name, &["rowid", "title", "body"], values) {
        conn.execute_raw(statement).await?;
    }
    Ok(())
}

/// Removes a row from the search index (PostgreSQL's column goes with the row).
pub async fn forget(conn: &impl ConnectionTrait, table: Table, id: i64) -> Result<(), DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        let mut delete = Sql::new(conn.get_database_backend());
        delete
            .push(&format!("DELETE FROM {}_fts WHERE rowid = ", table.name()))
            .bind(id);
        conn.execute_raw(delete.build()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_text_follows_the_indexed_parts() {
        let subjects = ["courts".to_owned(), "police".to_owned()];
        let (title, body) = indexed_strings(Table::Publication, |source| match source {
            "title" => Text::Column(Some("A title")),
            "abstract" => Text::Column(Some("An abstract")),
            "publication_subject" => Text::List(&subjects),
            "ncj_number" => Text::Column(Some("123")),
            _ => Text::Column(None),
        });
        assert_eq!(title, "A title");
        assert_eq!(body, " An abstract courts police  123");
    }
}
