//! A small SQL text builder that writes the right placeholders for the connected backend
//! (`?` on SQLite, `$n` on PostgreSQL), so hand-written queries run unchanged on both.

use sea_orm::{DatabaseBackend, Statement, Value};

/// Most values bound in one `IN (...)` list; both backends allow far more, and chunking keeps
/// statements well inside their limits.
pub const MAX_IN_LIST: usize = 5_000;

pub struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            text: String::with_capacity(256),
            values: Vec::new(),
        }
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    /// Appends SQL text as is.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends one placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends one placeholder bound to the PostgreSQL `text[]` of `values` (as its literal,
    /// [`text_array_literal`]), cast to `text[]`.
    pub fn bind_text_array<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> &mut Self {
        self.bind(text_array_literal(values)).push("::text[]")
    }

    /// Appends `(p1, p2, ...)` bound to `values`; an empty list becomes `(NULL)`, which matches
    /// nothing.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.text.push('(');
        let mut empty = true;
        for value in values {
            if !empty {
                self.text.push_str(", ");
            }
            self.bind(value);
            empty = false;
        }
        if empty {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Most values bound in one multi-row `INSERT` (SQLite allows 32,766, PostgreSQL 65,535).
pub const MAX_INSERT_BINDS: usize = 15_000;

/// `INSERT INTO table (columns) VALUES (...), (...)` for every row, in as few statements as the
/// bind limit allows. Rows must have one value per column; no rows, no statements.
pub fn insert_rows<R: IntoIterator<Item = Value>>(
    backend: DatabaseBackend,
    table: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> Vec<Statement> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let per_statement = (MAX_INSERT_BINDS / columns.len().max(1)).max(1);
    let mut statements = Vec::new();
    let mut current: Option<(Sql, usize)> = None;
    for row in rows {
        let (sql, count) = current.get_or_insert_with(|| {
            let mut sql = Sql::new(backend);
            sql.push(&head);
            (sql, 0)
        });
        sql.push(if *count == 0 { "(" } else { ", (" });
        for (i, value) in row.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(value);
        }
        sql.push(")");
        *count += 1;
        if *count == per_statement
            && let Some((done, _)) = current.take()
        {
            statements.push(done.build());
        }
    }
    if let Some((done, _)) = current {
        statements.push(done.build());
    }
    statements
}

/// The PostgreSQL array literal of `values` (`{"a","b \"c\""}`), every element quoted.
pub fn text_array_literal<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("{");
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_array_text(&mut out, value);
    }
    out.push('}');
    out
}

/// Appends `text` to an array literal as one quoted element (`"b \"c\""`).
pub fn push_array_text(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        for (backend, expected) in [
            (
                DatabaseBackend::Sqlite,
                "SELECT * FROM t WHERE a = ? AND b IN (?, ?)",
            ),
            (
                DatabaseBackend::Postgres,
                "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)",
            ),
        ] {
            let mut sql = Sql::new(backend);
            sql.push("SELECT * FROM t WHERE a = ")
                .bind(1)
                .push(" AND b IN ")
                .bind_list([2, 3]);
            assert_eq!(sql.build().sql, expected);
        }
    }

    #[test]
    fn insert_rows_chunks_under_the_bind_limit() {
        let rows = (0..MAX_INSERT_BINDS).map(|i| vec![Value::from(i as i64), Value::from("x")]);
        let statements = insert_rows(DatabaseBackend::Sqlite, "t", &["a", "b"], rows);
        assert_eq!(
            statements.len(),
            2,
            "15,000 rows of 2 values fit in 2 statements"
        );
        assert!(
            statements[0]
                .sql
                .starts_with("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)")
        );
        assert!(
            insert_rows(
                DatabaseBackend::Sqlite,
                "t",
                &["a"],
                Vec::<Vec<Value>>::new()
            )
            .is_empty()
        );
    }

    #[test]
    fn empty_list_matches_nothing() {
        let mut sql = Sql::new(DatabaseBackend::Sqlite);
        sql.push("x IN ").bind_list(Vec::<i64>::new());
        assert_eq!(sql.build().sql, "x IN (NULL)");
    }
}
