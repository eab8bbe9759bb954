//! Producers as a [`Kind`]: a place in the hierarchy (`parentId`, never under itself or one of
//! its subunits), and deletion rules for the subunits and credits a producer may still have.

use async_graphql::{Enum, ID, InputObject, MaybeUndefined, SimpleObject};
use sea_orm::{DatabaseTransaction, DbErr};

use super::records::{Kind, find};
use super::user_errors::{self as patch, Code, UserError, UserErrors};
use crate::db::entities::{ValueList, producer};
use crate::db::rows;
use crate::graphql::types::Producer;
use crate::import::edits::{self, DeleteError};
use crate::import::upsert::{self, ProducerInput, Target, UpsertError};

/// A producer's fields. Creating one needs a `name`, unique under its parent.
#[derive(InputObject, Clone, Default)]
pub struct CreateProducerInput {
    /// Required, and unique under the parent (ignoring case).
    pub name: MaybeUndefined<String>,
    pub abbreviation: MaybeUndefined<String>,
    /// Other names catalogs use for it.
    pub aliases: MaybeUndefined<Vec<String>>,
    /// "government agency", "university", ...
    pub kind: MaybeUndefined<String>,
    pub location: MaybeUndefined<String>,
    pub url: MaybeUndefined<String>,
    /// The producer it is a subunit of; null (or left out on create) for a top-level producer.
    pub parent_id: MaybeUndefined<ID>,
}

/// The producer to change and the fields to change (left out: kept; null: cleared).
#[derive(InputObject, Clone)]
pub struct UpdateProducerInput {
    pub id: ID,
    #[graphql(flatten)]
    pub fields: CreateProducerInput,
}

#[derive(SimpleObject)]
pub struct ProducerPayload {
    /// The producer as saved; null when there are user errors.
    pub producer: Option<Producer>,
    pub user_errors: Vec<UserError>,
}

/// What happens to the credits of a producer being deleted.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[graphql(remote = "edits::OnCredits")]
pub enum DeleteCreditsRule {
    /// Refuse (a user error) while the producer is credited for anything.
    #[default]
    Error,
    /// Remove its credits from every publication and dataset.
    Remove,
}

/// What happens to the subunits of a producer being deleted.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[graphql(remote = "edits::OnSubunits")]
pub enum DeleteSubunitsRule {
    /// Refuse (a user error) while the producer has subunits.
    #[default]
    Error,
    /// Move its subunits up to its own parent.
    Reparent,
}

/// The producer to delete, and what to do with what still depends on it.
#[derive(InputObject, Clone)]
pub struct DeleteProducerInput {
    pub id: ID,
    #[graphql(default)]
    pub on_credits: DeleteCreditsRule,
    #[graphql(default)]
    pub on_subunits: DeleteSubunitsRule,
}

/// A producer to write: the write path's input and the parent's id.
pub struct ProducerDraft {
    input: ProducerInput,
    parent: Option<i64>,
}

/// Applies `parentId`: an existing producer, and (when editing) not the producer itself or
/// one of its subunits.
async fn apply_parent(
    txn: &DatabaseTransaction,
    value: MaybeUndefined<ID>,
    draft: &mut ProducerDraft,
    errors: &mut UserErrors,
    editing: Option<i64>,
) -> Result<(), DbErr> {
    let id = match value {
        MaybeUndefined::Undefined => return Ok(()),
        MaybeUndefined::Null => {
            draft.parent = None;
            return Ok(());
        }
        MaybeUndefined::Value(id) => id,
    };
    let Some(parent) = find::<producer::Model>(txn, errors, "parentId", &id, "producer").await?
    else {
        return Ok(());
    };
    if let Some(editing) = editing {
        // Other producer writes wait (`ONE_AT_A_TIME`), so this reads their moves' results.
        let above = rows::ancestors(txn, &[parent.id]).await?.remove(&parent.id);
        if parent.id == editing || above.unwrap_or_default().iter().any(|p| p.id == editing) {
            errors.add(
                "parentId",
                Code::Invalid,
                "a producer cannot be placed under itself or one of its subunits",
            );
            return Ok(());
        }
    }
    draft.parent = Some(parent.id);
    Ok(())
}

/// The PostgreSQL advisory lock every producer write takes first ([`Kind::ONE_AT_A_TIME`]).
/// Producer writes check the hierarchy and the names of siblings (name, abbreviation,
/// aliases) before they write, which row locks alone cannot keep true: two moves at once (A
/// under B, B under A) each passed the cycle check and made a cycle, opposite moves locked
/// each other's rows and deadlocked, and concurrent creates stored siblings whose
/// abbreviation named each other. Producer writes are few; they take turns.
pub const HIERARCHY_LOCK: i64 = 7_305_841_126_519_270_473;

impl Kind for Producer {
    type Model = producer::Model;
    type Draft = ProducerDraft;
    type Fields = CreateProducerInput;
    type Rules = (edits::OnCredits, edits::OnSubunits);
    type Payload = ProducerPayload;
    const NAME: &'static str = "producer";
    const ONE_AT_A_TIME: Option<i64> = Some(HIERARCHY_LOCK);

    fn blank() -> ProducerDraft {
        ProducerDraft {
            input: ProducerInput {
                name: String::new(),
                abbreviation: None,
                aliases: Vec::new(),
                kind: None,
                location: None,
                url: None,
                parent: None,
            },
            parent: None,
        }
    }

    async fn load(txn: &DatabaseTransaction, row: producer::Model) -> Result<ProducerDraft, DbErr> {
        let aliases = rows::value_lists(txn, ValueList::ProducerAliases, &[row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        Ok(ProducerDraft {
            input: ProducerInput {
                name: row.name,
                abbreviation: row.abbreviation,
                aliases,
                kind: row.kind,
                location: row.location,
                url: row.url,
                parent: None,
            },
            parent: row.parent_id,
        })
    }

    async fn apply(
        txn: &DatabaseTransaction,
        f: CreateProducerInput,
        d: &mut ProducerDraft,
        errors: &mut UserErrors,
        editing: Option<i64>,
    ) -> Result<(), DbErr> {
        patch::required(&mut d.input.name, f.name);
        patch::required_present(&d.input.name, "name", errors);
        patch::text(&mut d.input.abbreviation, f.abbreviation);
        patch::list(&mut d.input.aliases, f.aliases);
        patch::text(&mut d.input.kind, f.kind);
        patch::text(&mut d.input.location, f.location);
        patch::text(&mut d.input.url, f.url);
        apply_parent(txn, f.parent_id, d, errors, editing).await
    }

    async fn write(
        txn: &DatabaseTransaction,
        d: ProducerDraft,
        target: Target,
    ) -> Result<i64, UpsertError> {
        Ok(upsert::producer_under(txn, d.input, d.parent, target)
            .await?
            .0)
    }

    async fn remove(
        txn: &DatabaseTransaction,
        id: i64,
        (on_credits, on_subunits): (edits::OnCredits, edits::OnSubunits),
    ) -> Result<(), DeleteError> {
        edits::delete_producer(txn, id, on_credits, on_subunits).await
    }

    fn payload(record: Option<producer::Model>, user_errors: Vec<UserError>) -> ProducerPayload {
        ProducerPayload {
            producer: record.map(Producer),
            user_errors,
        }
    }
}
