//! Full-text search: one user syntax on both backends — words, "quoted phrases", `OR` between
//! alternatives, `-excluded` words — parsed once and rendered for SQLite FTS5 or for PostgreSQL
//! `to_tsquery`. Words match by stem and as prefixes ("traffic" finds "trafficking"). Common
//! words ("the", "of") are left out of the search on both backends, as PostgreSQL leaves them
//! out of its index.

use std::collections::HashSet;
use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::pages::Table;
use super::sql::{MAX_IN_LIST, Sql, insert_rows};

/// One thing to find: a word or a phrase, as lowercase alphanumeric tokens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

/// A parsed search: every group must match (a group matches when any of its terms does), and
/// no excluded term may.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    groups: Vec<Vec<Term>>,
    excluded: Vec<Term>,
}

/// Whether a search leaves `token` (lowercase) out: NLTK's English stop words, which hold every
/// word PostgreSQL's `english` configuration leaves out of its vectors. Ignoring them on SQLite
/// too gives both backends the same answers: FTS5 indexes them, and "the" would otherwise find
/// nearly every record there (and, as a prefix, "theft" and "theory") and nothing on PostgreSQL.
pub fn is_stop_word(token: &str) -> bool {
    static WORDS: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| stop_words::get("en").iter().copied().collect());
    WORDS.contains(token)
}

impl Term {
    /// The term without its stop words ([`is_stop_word`]); `None` when nothing is left. A
    /// phrase loses those at its ends and keeps those inside it: PostgreSQL counts them as gaps
    /// ("police and courts" finds "police, the courts" there), SQLite as the words themselves.
    fn without_stop_words(self) -> Option<Self> {
        match self {
            Term::Word(word) => (!is_stop_word(&word)).then_some(Term::Word(word)),
            Term::Phrase(words) => {
                let first = words.iter().position(|w| !is_stop_word(w))?;
                let last = words.iter().rposition(|w| !is_stop_word(w))?;
                Some(Term::Phrase(words[first..=last].to_vec()))
            }
        }
    }
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl SearchQuery {
    /// Parses the user syntax; the error says why nothing could be searched.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut groups: Vec<Vec<Term>> = Vec::new();
        let mut excluded = Vec::new();
        let mut ignored: Vec<String> = Vec::new();
        let mut pending_or = false;
        let mut chars = input.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let negated = c == '-';
            if negated {
                chars.next();
            }
            let (raw, quoted) = if chars.peek() == Some(&'"') {
                chars.next();
                let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
                (text, true)
            } else {
                let mut text = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
                (text, false)
            };
            if !quoted && !negated && raw == "OR" {
                pending_or = !groups.is_empty();
                continue;
            }
            let words = tokens(&raw);
            let term = match words.len() {
                0 => continue,
                1 if !quoted => Term::Word(words.into_iter().next().unwrap_or_default()),
                _ => Term::Phrase(words),
            };
            let Some(term) = term.without_stop_words() else {
                // "police OR the courts" finds police and courts.
                pending_or = false;
                if !negated {
                    ignored.push(raw);
                }
                continue;
            };
            if negated {
                excluded.push(term);
            } else if pending_or {
                groups.last_mut().expect("OR follows a term").push(term);
                pending_or = false;
            } else {
                groups.push(vec![term]);
            }
        }
        if groups.is_empty() {
            return Err(if !ignored.is_empty() {
                format!(
                    "the search has only common words ({}), which are not indexed; add a more \
                     specific word",
                    ignored.join(", ")
                )
            } else if excluded.is_empty() {
                "the search has no words to find".to_owned()
            } else {
                "the search only excludes words; add at least one word to find".to_owned()
            });
        }
        Ok(Self { groups, excluded })
    }

    /// The query text for the backend: an FTS5 `MATCH` expression, or `to_tsquery` input.
    pub fn render(&self, backend: DatabaseBackend) -> String {
        match backend {
            DatabaseBackend::Postgres => self.render_tsquery(),
            _ => self.render_fts5(),
        }
    }

    /// PostgreSQL: the `to_tsquery` call for this search with its text written as a literal,
    /// so every statement is planned for its own words (a generic plan cannot tell a rare word
    /// from a common one, and picks the same walk of a sort order's index for both).
    pub fn tsquery_literal(&self) -> String {
        format!(
            "to_tsquery('english', '{}')",
            self.render_tsquery().replace('\'', "''")
        )
    }

    fn render_fts5(&self) -> String {
        let term = |t: &Term| match t {
            Term::Word(w) => format!("\"{w}\"*"),
            Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
        };
        let group = |g: &Vec<Term>| {
            let parts: Vec<String> = g.iter().map(term).collect();
            if parts.len() == 1 {
                parts[0].clone()
            } else {
                format!("({})", parts.join(" OR "))
            }
        };
        let mut text = self
            .groups
            .iter()
            .map(group)
            .collect::<Vec<_>>()
            .join(" AND ");
        for t in &self.excluded {
            text = format!("({text}) NOT {}", term(t));
        }
        text
    }

    fn render_tsquery(&self) -> String {
        let term = |t: &Term| match t {
            Term::Word(w) => format!("{w}:*"),
            Term::Phrase(ws) => format!("({})", ws.join(" <-> ")),
        };
        let group =
            |g: &Vec<Term>| format!("({})", g.iter().map(term).collect::<Vec<_>>().join(" | "));
        let mut parts: Vec<String> = self.groups.iter().map(group).collect();
        parts.extend(self.excluded.iter().map(|t| format!("!{}", term(t))));
        parts.join(" & ")
    }
}

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
        sql.push(&format!(
            "UPDATE {name} r SET search_vector = {} WHERE r.id = ",
            vector_of(title, &body)
        ))
        .bind(id);
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

/// One match of a search across tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub table: Table,
    pub id: i64,
    pub score: f64,
    pub snippet: Option<String>,
}

/// Where a hit sits in the ranking: score (higher first), then table, then id.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HitPosition {
    pub score: f64,
    pub kind: i64,
    pub id: i64,
}

const TABLES: [Table; 3] = [Table::Publication, Table::Dataset, Table::Producer];

fn kind_of(table: Table) -> i64 {
    TABLES.iter().position(|t| *t == table).unwrap_or(0) as i64
}

/// The column a snippet is cut from on PostgreSQL (SQLite uses the indexed text).
fn snippet_source(table: Table) -> &'static str {
    match table {
        Table::Publication => "coalesce(r.abstract, r.title)",
        Table::Dataset => "coalesce(r.summary, r.title)",
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
    if postgres {
        sql.push(", CASE page.kind");
        for table in tables {
            sql.push(&format!(
                " WHEN {} THEN (SELECT ts_headline('english', {}, {}, \
                 'StartSel=<mark>, StopSel=</mark>, MaxWords=24, MinWords=8') FROM {} r WHERE r.id = page.id)",
                kind_of(*table),
                snippet_source(*table),
                query.tsquery_literal(),
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
            snippet: row.try_get("", "snippet")?,
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
            let q = query.tsquery_literal();
            sql.push(&format!(
                "SELECT CAST({kind} AS BIGINT) AS kind, r.id AS id, CAST(ts_rank(r.search_vector, {q}) \
                 AS DOUBLE PRECISION) AS score FROM {name} r WHERE r.search_vector @@ {q}"
            ));
        } else {
            sql.push(&format!(
                "SELECT CAST({kind} AS BIGINT) AS kind, rowid AS id, -bm25({name}_fts, 10.0, 1.0) AS score, \
                 snippet({name}_fts, -1, '<mark>', '</mark>', '…', 16) AS snippet FROM {name}_fts WHERE {name}_fts MATCH "
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_or_and_exclusions() {
        let q = SearchQuery::parse(r#"human "law enforcement" victims OR survivors -juvenile"#)
            .unwrap();
        assert_eq!(
            q.render(DatabaseBackend::Sqlite),
            r#"("human"* AND "law enforcement" AND ("victims"* OR "survivors"*)) NOT "juvenile"*"#
        );
        assert_eq!(
            q.render(DatabaseBackend::Postgres),
            "(human:*) & ((law <-> enforcement)) & (victims:* | survivors:*) & !juvenile:*"
        );
    }

    #[test]
    fn punctuation_cannot_inject_syntax() {
        let q = SearchQuery::parse(r#"NEAR(a b) "x" OR* ) : ' ; --"#).unwrap();
        let fts = q.render(DatabaseBackend::Sqlite);
        assert!(
            !fts.contains(':') && !fts.contains(';') && !fts.contains('\''),
            "{fts}"
        );
        assert!(!q.render(DatabaseBackend::Postgres).contains('\''));
    }

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

    #[test]
    fn common_words_are_left_out() {
        let both = |q: &SearchQuery| {
            (
                q.render(DatabaseBackend::Sqlite),
                q.render(DatabaseBackend::Postgres),
            )
        };
        let plain = SearchQuery::parse(r#"police "law and order" -juvenile"#).unwrap();
        for noisy in [
            r#"the police "the law and order of" -juvenile -the"#,
            r#"police OR the "law and order" -juvenile"#,
            r#"The police OF "law and order" -juvenile"#,
        ] {
            let q = SearchQuery::parse(noisy).unwrap();
            assert_eq!(both(&q), both(&plain), "{noisy}");
        }
        // A phrase keeps the common words between its words.
        assert_eq!(
            plain.render(DatabaseBackend::Sqlite),
            r#"("police"* AND "law and order") NOT "juvenile"*"#
        );
        // A dropped word does not join the next word to an OR.
        let q = SearchQuery::parse("police OR the courts").unwrap();
        assert_eq!(
            q.render(DatabaseBackend::Sqlite),
            r#""police"* AND "courts"*"#
        );
        // "U.S." is a phrase of "u" and "s", and "s" a stop word: the exact word "u" is left.
        let q = SearchQuery::parse("U.S. courts").unwrap();
        assert_eq!(q.render(DatabaseBackend::Sqlite), r#""u" AND "courts"*"#);
        let err = SearchQuery::parse(r#"the OR "of the" don't"#).unwrap_err();
        assert!(
            err.contains("only common words (the, of the, don't)"),
            "{err}"
        );
        assert!(!is_stop_word("research") && !is_stop_word("crime") && is_stop_word("between"));
    }

    #[test]
    fn nothing_to_find_is_an_error() {
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse("  --- ").is_err());
        assert!(
            SearchQuery::parse("-only -excluded")
                .unwrap_err()
                .contains("only excludes")
        );
        assert!(SearchQuery::parse("OR").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a user types, the rendered query holds no quote or operator it did not mean.
        #[test]
        fn arbitrary_searches_render_safely(text in ".{0,120}") {
            if let Ok(query) = SearchQuery::parse(&text) {
                let fts = query.render(DatabaseBackend::Sqlite);
                prop_assert!(!fts.contains('\''), "{fts}");
                prop_assert_eq!(fts.matches('"').count() % 2, 0, "balanced quotes: {}", fts);
                let ts = query.render(DatabaseBackend::Postgres);
                prop_assert!(!ts.contains('\'') && !ts.replace(":*", "").contains(':'), "{ts}");
            }
        }
    }
}
