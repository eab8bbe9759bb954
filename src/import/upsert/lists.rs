//! An owner's value lists and producer credits: resolving credits to producer ids and replacing
//! the stored rows.

use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::producers::resolve_producer;
use super::{CreditInput, Result};
use crate::db::entities::{CreditTable, ValueList};
use crate::db::sql::Sql;

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
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO ")
        .push(name)
        .push(" (")
        .push(owner_column)
        .push(", producer_id, role) VALUES ");
    for (i, (producer, role)) in credits.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(owner)
            .push(", ")
            .bind(*producer)
            .push(", ")
            .bind(role.clone())
            .push(")");
    }
    txn.execute_raw(sql.build()).await?;
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
    let mut kept: Vec<&str> = Vec::with_capacity(values.len());
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    if kept.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO ")
        .push(table)
        .push(" (")
        .push(owner_column)
        .push(", position, value) VALUES ");
    for (position, value) in kept.iter().enumerate() {
        sql.push(if position == 0 { "(" } else { ", (" })
            .bind(owner)
            .push(", ")
            .bind(position as i32)
            .push(", ")
            .bind(value.to_string())
            .push(")");
    }
    txn.execute_raw(sql.build()).await?;
    Ok(())
}
