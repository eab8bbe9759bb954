//! The write path's single edits, beside [`super::upsert`]: deleting records (producers by
//! explicit rules for their subunits and credits), removing a link, adding or removing one
//! producer credit. Used by the API's mutations inside their transaction; nothing here commits.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, FromQueryResult};

use crate::db::entities::{CreditTable, ValueList, producer};
use crate::db::lookup;
use crate::db::pages::Table;
use crate::db::search;
use crate::db::sql::Sql;

/// What to do with the credits of a producer being deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnCredits {
    /// Refuse to delete a producer that is still credited anywhere.
    #[default]
    Error,
    /// Remove its credits from every publication and dataset.
    Remove,
}

/// What to do with the subunits of a producer being deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnSubunits {
    /// Refuse to delete a producer that has subunits.
    #[default]
    Error,
    /// Move its subunits up to its own parent (they become roots under a root).
    Reparent,
}

/// Why a producer was not deleted.
#[derive(Debug)]
pub enum DeleteError {
    /// It still has what a rule says not to delete it with: `subunits` (under
    /// [`OnSubunits::Error`]) and `credits` (under [`OnCredits::Error`]), each 0 when that rule
    /// does not refuse; both are counted, so one answer names both.
    InUse {
        subunits: i64,
        credits: i64,
    },
    /// Reparenting would put this subunit next to a producer one of its names (name,
    /// abbreviation, alias) names.
    NameClash(String),
    Db(DbErr),
}

impl From<DbErr> for DeleteError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

async fn count(txn: &DatabaseTransaction, sql: Sql) -> Result<i64, DbErr> {
    Ok(match txn.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

async fn execute(txn: &DatabaseTransaction, sql: Sql) -> Result<u64, DbErr> {
    Ok(txn.execute_raw(sql.build()).await?.rows_affected())
}

/// Deletes a publication or dataset with its lists, links and credits (the foreign keys
/// cascade), and its search entry. Returns whether it existed.
pub async fn delete_record(
    txn: &DatabaseTransaction,
    table: Table,
    id: i64,
) -> Result<bool, DbErr> {
    debug_assert!(
        table != Table::Producer,
        "producers go through delete_producer"
    );
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("DELETE FROM ")
        .push(table.name())
        .push(" WHERE id = ")
        .bind(id);
    search::forget(txn, table, id).await?;
    Ok(execute(txn, sql).await? > 0)
}

/// Deletes the producer `id` (which must exist) with its aliases and search entry, applying
/// the rules to its subunits and credits.
pub async fn delete_producer(
    txn: &DatabaseTransaction,
    id: i64,
    on_credits: OnCredits,
    on_subunits: OnSubunits,
) -> Result<(), DeleteError> {
    let backend = txn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT * FROM producer WHERE id = ").bind(id);
    let Some(row) = txn.query_one_raw(sql.build()).await? else {
        return Ok(());
    };
    let deleted = producer::Model::from_query_result(&row, "")?;

    let mut sql = Sql::new(backend);
    sql.push("SELECT * FROM producer WHERE parent_id = ")
        .bind(id)
        .push(" ORDER BY id");
    let subunits: Vec<producer::Model> = txn
        .query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| producer::Model::from_query_result(row, ""))
        .collect::<Result<_, _>>()?;

    let mut sql = Sql::new(backend);
    sql.push("SELECT (SELECT COUNT(*) FROM publication_producer WHERE producer_id = ")
        .bind(id)
        .push(") + (SELECT COUNT(*) FROM dataset_producer WHERE producer_id = ")
        .bind(id)
        .push(") AS n");
    let credits = count(txn, sql).await?;
    let refused = (
        if on_subunits == OnSubunits::Error {
            subunits.len() as i64
        } else {
            0
        },
        if on_credits == OnCredits::Error {
            credits
        } else {
            0
        },
    );
    if refused != (0, 0) {
        return Err(DeleteError::InUse {
            subunits: refused.0,
            credits: refused.1,
        });
    }

    // Subunits move up one level; their names stay unique under their new parent: neither
    // the name nor the abbreviation or an alias of one may name a new sibling (as the import
    // refuses it; a graph left with such siblings exported a file that did not import).
    let ids: Vec<i64> = subunits.iter().map(|unit| unit.id).collect();
    let aliases = crate::db::rows::value_lists(txn, ValueList::ProducerAliases, &ids).await?;
    for unit in &subunits {
        let names = std::iter::once(&unit.name)
            .chain(&unit.abbreviation)
            .chain(aliases.get(&unit.id).into_iter().flatten());
        for name in names {
            let siblings = lookup::producers_named(txn, name, Some(deleted.parent_id)).await?;
            if siblings.iter().any(|p| p.id != id) {
                return Err(DeleteError::NameClash(unit.name.clone()));
            }
        }
    }
    if !subunits.is_empty() {
        // A subunit may bear the deleted producer's own name ("Field Office" under "Field
        // Office"): the deleted row steps out of its parent's names first (no parent key is
        // negative), or the move would meet it in the unique name indexes.
        let mut sql = Sql::new(backend);
        sql.push("UPDATE producer SET parent_key = ")
            .bind(-id)
            .push(" WHERE id = ")
            .bind(id);
        execute(txn, sql).await?;
        let mut sql = Sql::new(backend);
        sql.push("UPDATE producer SET parent_id = ")
            .bind(deleted.parent_id)
            .push(", parent_key = ")
            .bind(deleted.parent_key)
            .push(" WHERE parent_id = ")
            .bind(id);
        execute(txn, sql).await?;
    }
    for table in ["publication_producer", "dataset_producer"] {
        let mut sql = Sql::new(backend);
        sql.push("DELETE FROM ")
            .push(table)
            .push(" WHERE producer_id = ")
            .bind(id);
        execute(txn, sql).await?;
    }
    let mut sql = Sql::new(backend);
    sql.push("DELETE FROM producer WHERE id = ").bind(id);
    execute(txn, sql).await?;
    search::forget(txn, Table::Producer, id).await?;
    Ok(())
}

/// Removes the link between a publication and a dataset; returns whether there was one.
pub async fn unlink(
    txn: &DatabaseTransaction,
    publication_id: i64,
    dataset_id: i64,
) -> Result<bool, DbErr> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("DELETE FROM publication_dataset WHERE publication_id = ")
        .bind(publication_id)
        .push(" AND dataset_id = ")
        .bind(dataset_id);
    Ok(execute(txn, sql).await? > 0)
}

/// Credits `producer` in `role` (a stored role name) for a record; returns whether the credit
/// is new (crediting twice changes nothing).
pub async fn credit(
    txn: &DatabaseTransaction,
    table: CreditTable,
    owner: i64,
    producer: i64,
    role: &str,
) -> Result<bool, DbErr> {
    let (name, owner_column, _) = table.table();
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT COUNT(*) AS n FROM ")
        .push(name)
        .push(" WHERE ")
        .push(owner_column)
        .push(" = ")
        .bind(owner)
        .push(" AND producer_id = ")
        .bind(producer)
        .push(" AND role = ")
        .bind(role.to_owned());
    if count(txn, sql).await? > 0 {
        return Ok(false);
    }
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("INSERT INTO ")
        .push(name)
        .push(" (")
        .push(owner_column)
        .push(", producer_id, role) VALUES (")
        .bind(owner)
        .push(", ")
        .bind(producer)
        .push(", ")
        .bind(role.to_owned())
        .push(")");
    execute(txn, sql).await?;
    Ok(true)
}

/// Removes one credit; returns whether it existed.
pub async fn uncredit(
    txn: &DatabaseTransaction,
    table: CreditTable,
    owner: i64,
    producer: i64,
    role: &str,
) -> Result<bool, DbErr> {
    let (name, owner_column, _) = table.table();
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("DELETE FROM ")
        .push(name)
        .push(" WHERE ")
        .push(owner_column)
        .push(" = ")
        .bind(owner)
        .push(" AND producer_id = ")
        .bind(producer)
        .push(" AND role = ")
        .bind(role.to_owned());
    Ok(execute(txn, sql).await? > 0)
}
