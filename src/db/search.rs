//! Full-text search: one user syntax on both backends — words, "quoted phrases", `OR` between
//! alternatives, `-excluded` words — parsed once and rendered for SQLite FTS5 or for PostgreSQL
//! `to_tsquery`. Words match by stem and as prefixes ("traffic" finds "trafficking").

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::pages::Table;
use super::sql::Sql;

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
            return Err(if excluded.is_empty() {
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

/// Rewrites the search index entry of one row (call after writing the row and its lists).
pub async fn refresh(conn: &impl ConnectionTrait, table: Table, id: i64) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let name = table.name();
    let (title, _) = indexed_text(table);
    let body = body_sql(table, backend);
    if backend == DatabaseBackend::Postgres {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "UPDATE {name} r SET search_vector = setweight(to_tsvector('english', {title}), 'A') \
             || setweight(to_tsvector('english', {body}), 'B') WHERE r.id = "
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
