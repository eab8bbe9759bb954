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
    fn empty_list_matches_nothing() {
        let mut sql = Sql::new(DatabaseBackend::Sqlite);
        sql.push("x IN ").bind_list(Vec::<i64>::new());
        assert_eq!(sql.build().sql, "x IN (NULL)");
    }
}
