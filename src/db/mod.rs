//! Database access: connecting to SQLite or PostgreSQL, migrating, and the entities and SQL
//! helpers that loaders and the importer share.

pub mod carried;
pub mod connect_error;
pub mod entities;
pub mod facets;
pub mod graph;
pub mod keys;
pub mod list_spec;
pub mod lookup;
pub mod pages;
pub mod producer_names;
pub mod ranked;
pub mod revision;
pub mod rows;
pub mod search;
pub mod sql;
pub mod value_index;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, IsolationLevel, TransactionTrait,
};

use value_index::ValueIndexes;

/// PostgreSQL cancels any statement running longer than this.
pub const STATEMENT_TIMEOUT: &str = "10s";

/// The planner's cost of a random page read on our PostgreSQL sessions (see `connect_pooled`);
/// the usual value for SSDs and cached data. `options=-c random_page_cost=N` in the URL wins.
pub const RANDOM_PAGE_COST: &str = "1.1";

/// A PostgreSQL URL to this machine that does not choose `sslmode` (nor does `PGSSLMODE`):
/// such connections skip TLS, which buys nothing on loopback and costs CPU on both ends, and
/// (sqlx sets no `TCP_NODELAY`) a ~40 ms Nagle stall for every statement over one TLS record.
fn is_loopback_without_ssl_choice(url: &str) -> bool {
    if url.contains("sslmode") || std::env::var_os("PGSSLMODE").is_some() {
        return false;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    parsed.scheme().starts_with("postgres")
        && matches!(
            parsed.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        )
}

tokio::task_local! {
    /// Set while background work runs (facet index builds): its statements are not counted
    /// with the requests' (see [`Db::statement_count`]).
    static BACKGROUND: ();
}

/// Runs `work` as background work, whose statements [`Db::statement_count`] leaves out.
pub async fn in_background<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

/// A connected database plus a counter of the SQL statements it has run (for tests and
/// metrics) and the facet value indexes kept for it.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
    value_indexes: Arc<ValueIndexes>,
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), with per-connection SQLite pragmas.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_pooled(url, None).await
    }

    /// [`Self::connect`] with `pool_size` connections instead of the backend's default.
    pub async fn connect_pooled(url: &str, pool_size: Option<u32>) -> Result<Self, DbErr> {
        let default_size = if url.starts_with("sqlite:") { 8 } else { 16 };
        let own_page_cost = !url.contains("random_page_cost");
        let plain_loopback = is_loopback_without_ssl_choice(url);
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(pool_size.unwrap_or(default_size))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            // Statements are logged by the metric callback below (`studygraph::sql=trace`).
            .sqlx_logging(false)
            // A statement may not outlive the request that runs it (see graphql::REQUEST_TIMEOUT).
            .map_sqlx_postgres_opts(move |opts| {
                let mut opts = opts.options([("statement_timeout", STATEMENT_TIMEOUT)]);
                if plain_loopback {
                    opts = opts.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable);
                }
                // Our reads are index probes into a working set that is cached (or on SSD):
                // with the default random_page_cost of 4 the planner hash-joins whole tables
                // for a batch of a few hundred credits. A URL that sets it itself wins.
                if own_page_cost {
                    opts.options([("random_page_cost", RANDOM_PAGE_COST)])
                } else {
                    opts
                }
            })
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // A statement inside a transaction keeps the pages it changes in a
                    // statement journal, to undo itself alone; past 64 KiB SQLite spilled it
                    // to a temporary file. An import's 5,000-row inserts wrote 4.3 GB there
                    // for the 642,000-record benchmark file (13 → 8 s of system time).
                    // Temporary tables and sorts stay in memory too.
                    .pragma("temp_store", "memory")
            });
        let mut conn = sea_orm::Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |info| {
            if BACKGROUND.try_with(|_| ()).is_err() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            tracing::trace!(target: "studygraph::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
        });
        Ok(Self {
            conn,
            statements,
            value_indexes: Arc::default(),
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        if self.backend() != DatabaseBackend::Postgres {
            return Migrator::up(&self.conn, None).await;
        }
        // Processes started at once on a new database (imports, servers) migrate one after
        // another, in one transaction holding a lock: their `CREATE TABLE`s raced, and all but
        // one stopped with a duplicate-key error from PostgreSQL's catalog.
        let txn = self.conn.begin().await?;
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// The in-memory indexes facets of whole-table lists count multi-valued dimensions with.
    pub fn value_indexes(&self) -> &Arc<ValueIndexes> {
        &self.value_indexes
    }

    /// How many SQL statements this connection pool has run so far for requests and commands
    /// (background work, [`in_background`], is left out).
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// True when the graph holds no producers, publications or datasets.
    pub async fn is_empty(&self) -> Result<bool, DbErr> {
        let sql = "SELECT (SELECT COUNT(*) FROM producer) + (SELECT COUNT(*) FROM publication) \
                   + (SELECT COUNT(*) FROM dataset) AS n";
        let row = self
            .conn
            .query_one_raw(sea_orm::Statement::from_string(self.backend(), sql))
            .await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        Ok(n == 0)
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }
}

/// A transaction that writes the graph. On SQLite it takes the database's one write lock at
/// once (`BEGIN IMMEDIATE`, waiting up to the busy timeout for a writer before it), so that
/// concurrent writers queue: a deferred transaction that has read cannot take the lock while
/// another holds it, and fails at once with "database is locked".
pub async fn begin_write(conn: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    conn.begin_with_options(options).await
}

/// The PostgreSQL advisory lock key migrations take (see [`Db::migrate`]).
const MIGRATION_LOCK: i64 = 0x5354_5544_594d_4947; // "STUDYMIG"

/// One read transaction that sees the database as it was when it began.
pub async fn snapshot(conn: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match conn.get_database_backend() {
        DatabaseBackend::Postgres => {
            conn.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        // SQLite (WAL): the first read of a deferred transaction fixes its snapshot.
        _ => conn.begin().await,
    }
}

/// Refuses to write `path` (an export, a rejects file) when it is the SQLite database's own
/// file or its write-ahead log: writing there destroyed the database, and the command
/// reported success.
pub async fn refuse_to_overwrite(db: &Db, path: &std::path::Path) -> anyhow::Result<()> {
    if db.conn.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    let rows = db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT file FROM pragma_database_list",
        ))
        .await?;
    let target = std::fs::canonicalize(path).ok();
    for row in rows {
        let file: String = row.try_get("", "file")?;
        if file.is_empty() {
            continue;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let candidate = std::path::PathBuf::from(format!("{file}{suffix}"));
            let same = match (&target, std::fs::canonicalize(&candidate)) {
                (Some(target), Ok(candidate)) => *target == candidate,
                _ => path == candidate,
            };
            if same {
                anyhow::bail!(
                    "{} is the database's own file; writing there would destroy the database",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// The file a SQLite URL names (`sqlite://FILE?…`, `sqlite:FILE`), or `None` for PostgreSQL and
/// in-memory databases.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr as _;
    let rest = url.strip_prefix("sqlite:")?;
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = database.trim_start_matches('/') == ":memory:"
        || params.split('&').any(|param| param == "mode=memory");
    if in_memory {
        return None;
    }
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_owned())
}

/// The URL with its password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_without_ssl_choice as plain;

    #[test]
    fn only_loopback_urls_without_an_ssl_choice_skip_tls() {
        assert!(plain("postgres://postgres@127.0.0.1:5432/test"));
        assert!(plain(
            "postgresql://u:p@localhost/db?options=-c%20search_path%3Ds"
        ));
        assert!(!plain("postgres://postgres@127.0.0.1/test?sslmode=require"));
        assert!(!plain("postgres://postgres@db.example.org/test"));
        assert!(!plain("sqlite://studygraph.db?mode=rwc"));
    }
}
