//! An owner's value lists and producer credits: resolving credits to producer ids and replacing
//! the stored rows.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::producers::resolve_producer;
use super::{CreditInput, Result};
use crate::db::entities::{CreditTable, ValueList};
use crate::db::sql::{Sql, insert_rows};

pub(super) async fn resolve_credits(
    txn: &DatabaseTransaction,
    credits: &[CreditInput],
) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::with_capacity(credits.len());
    for (i, credit) in credits.iter().enumerate() {
        let producer =
            resolve_producer(txn, &format!("producers[{i}].producer"), &credit.producer).await?;
        if !out
            .iter()
            .any(|(id, role)| *id == producer.id && *role == credit.role)
        {
            out.push((producer.id, credit.role.clone()));
        }
    }
    Ok(out)
}

pub(super) async fn replace_credits(
    txn: &DatabaseTransaction,
    fresh: bool,
    table: CreditTable,
    owner: i64,
    credits: &[(i64, String)],
) -> Result<()> {
    let (name, owner_column, _) = table.table();
    // A row inserted in this run has nothing to replace.
    if !fresh {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("DELETE FROM ")
            .push(name)
            .push(" WHERE ")
            .push(owner_column)
            .push(" = ")
            .bind(owner);
        txn.execute_raw(sql.build()).await?;
    }
    if credits.is_empty() {
        return Ok(());
    }
    let rows = credits.iter().map(|(producer, role)| {
        [
            Value::from(owner),
            Value::from(*producer),
            Value::from(role.clone()),
        ]
    });
    for statement in insert_rows(
        txn.get_database_backend(),
        name,
        &[owner_column, "producer_id", "role"],
        rows,
    ) {
        txn.execute_raw(statement).await?;
    }
    Ok(())
}

/// Replaces an owner's list (empty strings dropped, duplicates kept once, order kept).
pub(super) async fn replace_list(
    txn: &DatabaseTransaction,
    fresh: bool,
    list: ValueList,
    owner: i64,
    values: &[String],
) -> Result<()> {
    let (table, owner_column) = list.table();
    // A row inserted in this run has nothing to replace.
    if !fresh {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("DELETE FROM ")
            .push(table)
            .push(" WHERE ")
            .push(owner_column)
            .push(" = ")
            .bind(owner);
        txn.execute_raw(sql.build()).await?;
    }
    let kept = stored_list(values);
    let rows = kept.into_iter().enumerate().map(|(position, value)| {
        [
            Value::from(owner),
            Value::from(position as i32),
            Value::from(value),
        ]
    });
    for statement in insert_rows(
        txn.get_database_backend(),
        table,
        &[owner_column, "position", "value"],
        rows,
    ) {
        txn.execute_raw(statement).await?;
    }
    Ok(())
}

/// A list as stored: values trimmed, empty ones dropped, duplicates kept once, order kept.
pub fn stored_list(values: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(values.len());
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !kept.iter().any(|k| k == value) {
            kept.push(value.to_owned());
        }
    }
    kept
}
