//! One read, one state of the graph. A request's statements run side by side on several pooled
//! connections and level by level (a page beside its count and facets, then the rows it points
//! at), each seeing the graph as it is when it starts: a write that commits in between would
//! make one answer disagree with itself (a `totalCount` that is not the nodes', facets that do
//! not add up). So a read notes the graph's revision before and after it runs; when a write
//! moved it, the read runs again, up to [`ATTEMPTS`] times in all. The last run holds writes
//! back while it runs ([`WritesHeld`]; reads do not hold each other back), so that a read
//! answers consistently even under writes that never pause. Mutations run once.

use async_graphql::{Request, Response};

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use super::AppState;
use crate::auth::Caller;
use crate::db::{Db, in_background, revision};

/// Runs of one read at most.
pub const ATTEMPTS: u32 = 3;

/// What it takes to run a request again: its text, variables, operation and extensions (a
/// request's data cannot be copied: the caller is given back to it; the document is parsed
/// again through the schema's cache of parsed documents, only when a read runs again).
struct Again {
    query: String,
    variables: async_graphql::Variables,
    operation_name: Option<String>,
    extensions: async_graphql::Extensions,
}

impl Again {
    fn of(request: &Request) -> Self {
        Self {
            query: request.query.clone(),
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
            extensions: request.extensions.clone(),
        }
    }

    fn request(&self, state: &AppState, caller: Caller) -> Request {
        let mut request = Request::new(self.query.clone()).variables(self.variables.clone());
        request.operation_name = self.operation_name.clone();
        request.extensions = self.extensions.clone();
        state.schema.parse(&mut request);
        request.data(caller)
    }
}

/// Runs the read `request` for `caller` until no write committed while it ran (see the module
/// documentation).
pub async fn read(
    state: &AppState,
    operation: Option<&str>,
    request: Request,
    caller: Caller,
) -> Response {
    let again = Again::of(&request);
    let mut first = Some(request.data(caller.clone()));
    until_unmoved(
        || revision_now(state),
        |attempt| {
            let request = first
                .take()
                .unwrap_or_else(|| again.request(state, caller.clone()));
            async move {
                let held = match attempt {
                    ATTEMPTS => Some(WritesHeld::take(&state.db).await),
                    _ => None,
                };
                let response = state.execute(operation, request).await;
                if let Some(held) = held {
                    held.release().await;
                }
                response
            }
        },
    )
    .await
}

/// Runs `run` (given its attempt's number, from 1) until `revision` reads the same before and
/// after it, [`ATTEMPTS`] times at most; the last run's answer. A revision that cannot be read
/// counts as unmoved.
async fn until_unmoved<T, Rev, Run>(
    revision: impl Fn() -> Rev,
    mut run: impl FnMut(u32) -> Run,
) -> T
where
    Rev: std::future::Future<Output = Option<i64>>,
    Run: std::future::Future<Output = T>,
{
    let mut attempt = 1;
    loop {
        let before = revision().await;
        let answer = run(attempt).await;
        let after = revision().await;
        let moved = matches!((before, after), (Some(before), Some(after)) if before != after);
        if !moved || attempt == ATTEMPTS {
            return answer;
        }
        tracing::debug!(attempt, "the graph changed during a read: reading it again");
        attempt += 1;
    }
}

/// Every write to the graph held back while it lives, without holding readers back: this
/// process's commits wait for it ([`revision::hold_commits`], shared by every read that holds
/// writes), and on PostgreSQL so do other processes' (a share lock on the row each writer
/// raises the revision of just before it commits, [`revision::commit_write`]). Another
/// process's write to a SQLite file (an import) is not held back. Its statements are not
/// counted with the request's.
pub struct WritesHeld {
    _commits: tokio::sync::RwLockReadGuard<'static, ()>,
    row: Option<DatabaseTransaction>,
}

impl WritesHeld {
    /// Holds writes back (on PostgreSQL, unless the database refuses the row lock: then this
    /// process's writes only).
    pub async fn take(db: &Db) -> Self {
        let commits = revision::hold_commits().await;
        let row = match db.backend() {
            sea_orm::DatabaseBackend::Postgres => {
                in_background(async {
                    let txn = db.conn.begin().await.ok()?;
                    txn.execute_unprepared(
                        "SELECT revision FROM graph_revision WHERE id = 1 FOR SHARE",
                    )
                    .await
                    .ok()?;
                    Some(txn)
                })
                .await
            }
            _ => None,
        };
        Self {
            _commits: commits,
            row,
        }
    }

    pub async fn release(self) {
        if let Some(row) = self.row
            && let Err(err) = in_background(row.rollback()).await
        {
            tracing::warn!(%err, "could not release the writes a read held back");
        }
    }
}

/// The graph's revision, or `None` when it cannot be read (the read's own statements report
/// any database trouble). Not counted with the request's statements: it checks the request,
/// it is not part of what the request asks.
async fn revision_now(state: &AppState) -> Option<i64> {
    in_background(revision::current(&state.db.conn)).await.ok()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    /// A read during which `writes` attempts each saw a write commit.
    async fn read_with_writes(writes: u32) -> (u32, u32) {
        let revision = AtomicI64::new(1);
        let runs = std::sync::atomic::AtomicU32::new(0);
        let answer = until_unmoved(
            || async { Some(revision.load(Ordering::SeqCst)) },
            |attempt| {
                runs.fetch_add(1, Ordering::SeqCst);
                let revision = &revision;
                async move {
                    if attempt <= writes {
                        revision.fetch_add(1, Ordering::SeqCst);
                    }
                    attempt
                }
            },
        )
        .await;
        (answer, runs.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_read_runs_again_while_writes_commit_during_it() {
        assert_eq!(read_with_writes(0).await, (1, 1), "no write: one run");
        assert_eq!(read_with_writes(1).await, (2, 2), "the second run's answer");
        assert_eq!(read_with_writes(2).await, (3, 3));
        assert_eq!(
            read_with_writes(10).await,
            (ATTEMPTS, ATTEMPTS),
            "at most ATTEMPTS runs"
        );
    }

    #[tokio::test]
    async fn an_unreadable_revision_counts_as_unmoved() {
        let runs = std::sync::atomic::AtomicU32::new(0);
        let answer = until_unmoved(
            || async { None },
            |attempt| {
                runs.fetch_add(1, Ordering::SeqCst);
                async move { attempt }
            },
        )
        .await;
        assert_eq!((answer, runs.load(Ordering::SeqCst)), (1, 1));
    }
}
