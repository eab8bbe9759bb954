//! The multi-row statements of the bulk path: inserts of many rows and lookups of many keys,
//! on PostgreSQL with one array parameter per column.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Value};

use super::super::native::ImportError;
use crate::db::lookup::doi_key_sql;
use crate::db::sql::{Sql, insert_rows};

/// Multi-row INSERTs of three-column rows (see [`insert_columns`]).
pub(super) async fn insert_triples(
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
pub(super) async fn insert_columns<const N: usize>(
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
pub(super) fn push_in<V: Into<Value>>(
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
pub(super) fn by_key_or_doi(
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
    let doi = doi_key_sql(sql.backend(), "doi");
    push_in(sql, &doi, "text", dois);
}

/// One element of a PostgreSQL array literal.
pub(super) trait Element {
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
pub(in crate::import) fn text_array<'a>(values: impl Iterator<Item = &'a str>) -> String {
    crate::db::sql::text_array_literal(values)
}

/// The PostgreSQL array literal (`{"a","b",NULL}`) of `values`, bound as one text parameter
/// and cast to the column's array type.
pub(super) fn array_literal<E: Element>(values: impl Iterator<Item = E>) -> String {
    let mut out = String::from("{");
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match value.element() {
            None => out.push_str("NULL"),
            Some((text, false)) => out.push_str(&text),
            Some((text, true)) => crate::db::sql::push_array_text(&mut out, &text),
        }
    }
    out.push('}');
    out
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
