//! Spawning the app on a fresh database per test (a temporary SQLite file, or a new
//! UUID-named PostgreSQL database), and sending it GraphQL over HTTP in-process.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use studygraph::db::Db;
use tower::ServiceExt;

pub const POSTGRES_ENV: &str = "STUDYGRAPH_TEST_POSTGRES_URL";

/// The real justice.gov catalog (DCAT-US data.json) in the shared data, beside the repository.
const REAL_CATALOG: &str =
    "../shared/data/real/doj_datajson/justice_datajson_2025-02-01_reconstructed.json";

/// ICPSR's organization thesaurus (the names ICPSR gives producers), in the shared data.
const REAL_ORG_THESAURUS: &str = "../shared/data/real/icpsr_thesauri/icpsr_org_thesaurus.xml";

/// The real justice.gov catalog's text, or `None` (skip) when it is missing outside CI.
pub fn real_catalog() -> Option<String> {
    real_data(REAL_CATALOG)
}

/// ICPSR's organization thesaurus's text, or `None` (skip) when it is missing outside CI.
pub fn real_org_thesaurus() -> Option<String> {
    real_data(REAL_ORG_THESAURUS)
}

/// A shared real data file's text, or `None` (skip) when it is missing outside CI.
fn real_data(relative: &str) -> Option<String> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{}: {err} (required under CI=true)", path.display())
        }
        Err(err) => {
            eprintln!("skipped: cannot read {} ({err})", path.display());
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub router: Router,
    pub db: Db,
    /// The database's URL (for the binary run as a separate process).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// Runs `$case(app)` as two tests, `sqlite` and `postgres`, in a module named after it.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite, true).await {
                    super::$case(&app).await;
                    app.finish().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres, true).await {
                    super::$case(&app).await;
                    app.finish().await;
                }
            }
        }
    )*};
}

/// The same as [`on_both_backends`] on an empty (migrated) database.
#[macro_export]
macro_rules! on_both_backends_empty {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite, false).await {
                    super::$case(&app).await;
                    app.finish().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres, false).await {
                    super::$case(&app).await;
                    app.finish().await;
                }
            }
        }
    )*};
}

/// A migrated fresh database (with the demo data when `demo`), or `None` when PostgreSQL was
/// asked for but not configured outside CI.
pub async fn spawn_app(backend: Backend, demo: bool) -> Option<TestApp> {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = studygraph::telemetry::init(); // logs; the guard only matters for trace export
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (url, cleanup) = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("studygraph-test-{id}.db"));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Cleanup::SqliteFile(path),
            )
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "{POSTGRES_ENV} must be set under CI=true (the PostgreSQL run is required)"
                    );
                }
                eprintln!("skipped: set {POSTGRES_ENV} to run this test on PostgreSQL");
                return None;
            };
            let name = format!("studygraph_test_{id}");
            let admin = Db::connect(&admin_url)
                .await
                .expect("connect to the PostgreSQL admin database");
            admin
                .conn
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.conn.close_by_ref().await.ok();
            (
                database_url_with_name(&admin_url, &name),
                Cleanup::PostgresDatabase { admin_url, name },
            )
        }
    };
    let db = studygraph::open_database(&url)
        .await
        .expect("open and migrate the test database");
    if demo {
        studygraph::demo::load(&db)
            .await
            .expect("load the demo data");
    }
    Some(TestApp {
        router: studygraph::app(db.clone()),
        db,
        url,
        cleanup,
    })
}

fn database_url_with_name(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a valid PostgreSQL URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A raw HTTP answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends `request` to `router` (e.g. one built with `studygraph::app_with` and other options).
pub async fn send_to(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Answer {
        send_to(&self.router, request).await
    }

    /// POSTs a GraphQL query (with variables) and returns the parsed response.
    pub async fn post(&self, query: &str, variables: Value) -> Answer {
        self.post_body(json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs a whole GraphQL request body (`query`, `variables`, `extensions`, …).
    pub async fn post_body(&self, body: Value) -> Answer {
        let body = body.to_string();
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The `data` of a query that must succeed.
    pub async fn data(&self, query: &str) -> Value {
        self.data_with(query, json!({})).await
    }

    pub async fn data_with(&self, query: &str, variables: Value) -> Value {
        let answer = self.post(query, variables).await;
        let body = answer.json();
        assert!(
            body.get("errors").is_none(),
            "unexpected errors: {body:#}\nquery: {query}"
        );
        assert_eq!(answer.status, StatusCode::OK);
        body["data"].clone()
    }

    /// The `extensions.code` of the first error of a query that must fail.
    pub async fn error_code(&self, query: &str) -> (String, String) {
        let body = self.post(query, json!({})).await.json();
        let error = &body["errors"][0];
        assert!(
            !error.is_null(),
            "expected an error: {body:#}\nquery: {query}"
        );
        (
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            error["message"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// Statements run by the app's pool while `query` executes.
    pub async fn statements_for(&self, query: &str) -> u64 {
        let before = self.db.statement_count();
        self.data(query).await;
        self.db.statement_count() - before
    }

    /// The rows a plain SQL statement reads from the app's database (a test's direct count to
    /// compare an answer with).
    pub async fn sql_rows(&self, sql: impl Into<String>) -> Vec<sea_orm::QueryResult> {
        let sql = sql.into();
        self.db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.backend(),
                sql.clone(),
            ))
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    }

    /// PostgreSQL: the lexemes some stored search vector holds that the list of lexemes
    /// (`search_lexeme`, from which searches write their prefix words out) lacks (the first 50); a search
    /// for a prefix of one of them would miss its rows. Always empty on SQLite.
    pub async fn unlisted_lexemes(&self) -> Vec<String> {
        if self.db.conn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Vec::new();
        }
        let sql = "SELECT DISTINCT l FROM (\
              SELECT search_vector AS v FROM publication UNION ALL \
              SELECT search_vector FROM dataset UNION ALL SELECT search_vector FROM producer\
            ) r CROSS JOIN LATERAL unnest(tsvector_to_array(r.v)) AS l \
            WHERE NOT EXISTS (SELECT 1 FROM search_lexeme s WHERE s.lexeme = l) ORDER BY l LIMIT 50";
        self.sql_rows(sql)
            .await
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect()
    }

    /// The global id of a record found by a lookup query returning `{ id }`.
    pub async fn id_of(&self, lookup: &str) -> String {
        let data = self.data(&format!("{{ x: {lookup} {{ id }} }}")).await;
        data["x"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no record for {lookup}"))
            .to_owned()
    }

    pub async fn finish(self) {
        self.db.conn.close_by_ref().await.ok();
        match self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(admin) = Db::connect(&admin_url).await {
                    let _ = admin
                        .conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.conn.close_by_ref().await.ok();
                }
            }
        }
    }
}
