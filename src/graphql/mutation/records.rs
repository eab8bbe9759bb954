//! One generic create / update / delete for the three record kinds: each kind says how its
//! input applies to a draft and which upsert function writes it ([`Kind`]); the flow — ids,
//! not-found, one transaction, user errors, the payload — is written once here.

use std::future::Future;

use async_graphql::{Context, ID, SimpleObject};
use sea_orm::{DatabaseTransaction, DbErr};

use super::user_errors::{Code, UserError, UserErrors};
use crate::db::Db;
use crate::db::entities::Record;
use crate::db::lookup;
use crate::db::revision;
use crate::db::rows;
use crate::graphql::errors::{ApiError, ApiResult};
use crate::graphql::ids::global_id;
use crate::import::edits::DeleteError;
use crate::import::upsert::{TAKEN, Target, UpsertError};

/// A record kind the API edits.
pub trait Kind: Send + Sync + Sized + 'static {
    /// The stored row.
    type Model: Record;
    /// Everything the write path needs to write one record.
    type Draft: Send;
    /// The GraphQL input's fields (create and update share them).
    type Fields: Send;
    /// How a delete treats what depends on the record (`()` when nothing has to be decided).
    type Rules: Send;
    type Payload: Send;
    /// For messages: "publication".
    const NAME: &'static str;
    /// On PostgreSQL, an advisory lock every write of this kind takes before anything else, so
    /// that such writes run one after another (`None`: they run side by side, each locking the
    /// records it edits).
    const ONE_AT_A_TIME: Option<i64> = None;

    /// A draft for a new record (required fields empty, so that a missing one is reported).
    fn blank() -> Self::Draft;

    /// The stored record as a draft, to apply an update to.
    fn load(
        txn: &DatabaseTransaction,
        row: Self::Model,
    ) -> impl Future<Output = Result<Self::Draft, DbErr>> + Send;

    /// Applies the input's fields to the draft, recording what is wrong with them; `editing` is
    /// the record being updated (none on create).
    fn apply(
        txn: &DatabaseTransaction,
        fields: Self::Fields,
        draft: &mut Self::Draft,
        errors: &mut UserErrors,
        editing: Option<i64>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Writes the draft through the upsert path; returns the record's id.
    fn write(
        txn: &DatabaseTransaction,
        draft: Self::Draft,
        target: Target,
    ) -> impl Future<Output = Result<i64, UpsertError>> + Send;

    /// Deletes the (existing) record and its search entry.
    fn remove(
        txn: &DatabaseTransaction,
        id: i64,
        rules: Self::Rules,
    ) -> impl Future<Output = Result<(), DeleteError>> + Send;

    fn payload(record: Option<Self::Model>, errors: Vec<UserError>) -> Self::Payload;
}

/// What a delete returns.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The global id of the deleted record; null when nothing was deleted.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

/// The row of `R`'s table with this id, read inside the transaction.
pub async fn row<R: Record>(txn: &DatabaseTransaction, id: i64) -> Result<Option<R>, DbErr> {
    Ok(rows::by_ids::<R>(txn, &[id]).await?.remove(&id))
}

/// The record `id` (a global id of `R`'s table) names, or `None` with the reason recorded
/// against `field`. The row stays locked until the mutation ends ([`rows::locked`]): a
/// concurrent update, link or delete of the same record waits for this one, then reads what
/// it wrote (two updates of different fields both land; of two deletes one finds nothing).
pub async fn find<R: Record>(
    txn: &DatabaseTransaction,
    errors: &mut UserErrors,
    field: &str,
    id: &ID,
    what: &str,
) -> Result<Option<R>, DbErr> {
    let Some(number) = errors.id(field, id, R::TABLE) else {
        return Ok(None);
    };
    let found = rows::locked::<R>(txn, number).await?;
    if found.is_none() {
        errors.add(field, Code::NotFound, format!("no {what} has this id"));
    }
    Ok(found)
}

/// Records `TAKEN` on each of a draft's natural keys (field, column, value) that belongs to
/// another record than `editing`: one entry per key, so that a form can mark each.
///
/// On PostgreSQL each look-up sees what had committed when it ran: a key found taken after
/// another was found free may mean a concurrent write committed in between, so the keys are
/// looked up once more and that answer counts (a create that lost a race to an identical one
/// reported only one of its two taken keys).
pub async fn taken_keys<K: Kind>(
    txn: &DatabaseTransaction,
    keys: &[(&str, &str, Option<&str>)],
    editing: Option<i64>,
    errors: &mut UserErrors,
) -> Result<(), DbErr> {
    let taken = async || -> Result<Vec<&str>, DbErr> {
        let mut taken = Vec::new();
        for (field, column, value) in keys {
            let Some(value) = value else { continue };
            let owner = lookup::by_key::<K::Model>(txn, column, value).await?;
            if owner.is_some_and(|row| Some(row.id()) != editing) {
                taken.push(*field);
            }
        }
        Ok(taken)
    };
    let mut fields = taken().await?;
    let given = keys.iter().filter(|key| key.2.is_some()).count();
    if !fields.is_empty() && fields.len() < given {
        fields = taken().await?;
    }
    for field in fields {
        errors.add(field, Code::Taken, format!("{TAKEN} {}", K::NAME));
    }
    Ok(())
}

/// A fresh transaction for one mutation (see [`crate::db::begin_write`]: on SQLite,
/// concurrent mutations queue for the write lock).
pub async fn begin(ctx: &Context<'_>) -> ApiResult<DatabaseTransaction> {
    Ok(crate::db::begin_write(&ctx.data_unchecked::<Db>().conn).await?)
}

/// Takes `K`'s [`Kind::ONE_AT_A_TIME`] lock, when it has one (PostgreSQL; SQLite runs one
/// writer at a time anyway). The lock waits as long as the request may.
async fn one_at_a_time<K: Kind>(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, DatabaseBackend};
    if let Some(key) = K::ONE_AT_A_TIME
        && txn.get_database_backend() == DatabaseBackend::Postgres
    {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
            .await?;
    }
    Ok(())
}

/// Rolls back and returns the user errors (nothing of the mutation is written).
pub async fn rejected<T>(
    txn: DatabaseTransaction,
    errors: UserErrors,
    payload: impl FnOnce(Vec<UserError>) -> T,
) -> ApiResult<T> {
    txn.rollback().await?;
    Ok(payload(errors.into_vec()))
}

/// How many times a mutation runs at most while it keeps losing races to concurrent writes.
const ATTEMPTS: usize = 3;

/// Runs a mutation on `input`, and again when a concurrent write took one of its unique keys,
/// or deleted a record it refers to, between its checks and its write
/// ([`ApiError::LostRace`]; on PostgreSQL, where mutations run side by side). The next run
/// sees that write: it answers `TAKEN` or `NOT_FOUND` as any later mutation would, or succeeds
/// as a repeated link or credit does.
pub async fn retrying<I: Clone, T, F: Future<Output = ApiResult<T>>>(
    input: I,
    run: impl Fn(I) -> F,
) -> ApiResult<T> {
    let mut attempt = 1;
    loop {
        match run(input.clone()).await {
            Err(ApiError::LostRace(_)) if attempt < ATTEMPTS => attempt += 1,
            answer => return answer,
        }
    }
}

/// Creates a record (`id` none) or updates the record `id`, in one transaction.
pub async fn save<K: Kind>(
    ctx: &Context<'_>,
    id: Option<ID>,
    fields: K::Fields,
) -> ApiResult<K::Payload> {
    let txn = begin(ctx).await?;
    one_at_a_time::<K>(&txn).await?;
    let mut errors = UserErrors::default();
    let (target, mut draft) = match id {
        None => (Target::New, K::blank()),
        Some(id) => match find::<K::Model>(&txn, &mut errors, "id", &id, K::NAME).await? {
            Some(row) => (Target::Row(row.id()), K::load(&txn, row).await?),
            None => return rejected(txn, errors, |e| K::payload(None, e)).await,
        },
    };
    let editing = match target {
        Target::Row(id) => Some(id),
        _ => None,
    };
    K::apply(&txn, fields, &mut draft, &mut errors, editing).await?;
    if !errors.is_empty() {
        return rejected(txn, errors, |e| K::payload(None, e)).await;
    }
    let id = match K::write(&txn, draft, target).await {
        Ok(id) => id,
        Err(err) => {
            errors.refused(err)?;
            return rejected(txn, errors, |e| K::payload(None, e)).await;
        }
    };
    let saved = row::<K::Model>(&txn, id).await?;
    revision::commit_write(txn).await?;
    Ok(K::payload(saved, Vec::new()))
}

/// Deletes the record `id` under `rules`, in one transaction.
pub async fn delete<K: Kind>(
    ctx: &Context<'_>,
    id: ID,
    rules: K::Rules,
) -> ApiResult<DeletePayload> {
    let refused = |user_errors| DeletePayload {
        deleted_id: None,
        user_errors,
    };
    let txn = begin(ctx).await?;
    one_at_a_time::<K>(&txn).await?;
    let mut errors = UserErrors::default();
    let Some(row) = find::<K::Model>(&txn, &mut errors, "id", &id, K::NAME).await? else {
        return rejected(txn, errors, refused).await;
    };
    match K::remove(&txn, row.id(), rules).await {
        Ok(()) => {}
        Err(DeleteError::Db(err)) => return Err(ApiError::from(err)),
        Err(DeleteError::InUse { subunits, credits }) => {
            if subunits > 0 {
                errors.add(
                    "onSubunits",
                    Code::InUse,
                    format!(
                        "the {} has {subunits} subunit(s); set onSubunits: REPARENT to move them up to its parent",
                        K::NAME
                    ),
                );
            }
            if credits > 0 {
                errors.add(
                    "onCredits",
                    Code::InUse,
                    format!(
                        "the {} is credited {credits} time(s); set onCredits: REMOVE to remove those credits",
                        K::NAME
                    ),
                );
            }
        }
        Err(DeleteError::NameClash(name)) => errors.add(
            "onSubunits",
            Code::Taken,
            format!(
                "its subunit \"{name}\" would sit next to a producer its name, abbreviation or an alias names"
            ),
        ),
    }
    if !errors.is_empty() {
        return rejected(txn, errors, refused).await;
    }
    revision::commit_write(txn).await?;
    Ok(DeletePayload {
        deleted_id: Some(global_id(K::Model::TABLE, row.id())),
        user_errors: Vec::new(),
    })
}
