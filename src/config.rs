//! The command line and environment: one typed configuration for every command.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The SQLite file used when no database URL is given (created in the working directory).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://studygraph.db?mode=rwc";

#[derive(Parser, Debug)]
#[command(
    name = "studygraph",
    version,
    about = "GraphQL gateway linking publications, datasets and their producers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API and playground (the default command).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Create, list or revoke API keys (mutations need a `write` key).
    #[command(name = "apikey", subcommand)]
    ApiKey(ApiKeyCommand),
    /// Print the GraphQL schema (SDL), or write it to a file.
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a deterministic synthetic graph in the native format (for benchmarks and scale tests).
    Generate {
        #[arg(long, default_value_t = 1000)]
        publications: usize,
        #[arg(long, default_value_t = 200)]
        datasets: usize,
        #[arg(long, default_value_t = 50)]
        producers: usize,
        /// Publication↔dataset links (default: two per publication).
        #[arg(long)]
        links: Option<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load records from files (native JSON Lines, see docs/import-format.md, DCAT-US
    /// data.json, Scholix links or CSV link sheets), all in one transaction.
    Import {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Every file's format; when not given, each file's is guessed from its content.
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// Files to load, in order, in one transaction.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Load the valid records (lines, rows, links, catalog entries) and write the rejected
        /// ones, with their reasons, to `--rejects` before committing (a run that rejects nothing removes an
        /// earlier rejects file there); the exit code is non-zero when any was rejected.
        #[arg(long)]
        skip_invalid: bool,
        /// Where `--skip-invalid` writes rejected records (default: FIRST_FILE.rejected.jsonl);
        /// not one of the files to import.
        #[arg(long, requires = "skip_invalid")]
        rejects: Option<PathBuf>,
    },
    /// Write the whole graph: native JSON Lines (which `import` reads back into the same graph)
    /// or one Scholix v3 link package per publication-dataset link.
    Export {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long, value_enum, default_value_t = ExportFormat::Native)]
        format: ExportFormat,
        /// Write to this file (complete or not at all) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Formats `export` writes.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// studygraph's JSON Lines, as `import` reads them (docs/import-format.md).
    Native,
    /// Scholix v3 link information packages, one JSON object per line.
    Scholix,
}

/// Formats `import` reads.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// studygraph's JSON Lines (one record per line).
    Native,
    /// Project Open Data v1.1 `data.json`, as US federal agencies publish it.
    DcatUs,
    /// Scholix v3 publication-dataset links: JSON Lines, a JSON array or a ScholeXplorer page.
    Scholix,
    /// A CSV link sheet: publication, dataset, relation_type[, source, linked_on] columns.
    Csv,
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc`, `sqlite::memory:` or `postgres://USER@HOST/DB`.
    /// Default: a SQLite file `studygraph.db` in the working directory.
    #[arg(long, env = "STUDYGRAPH_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    pub fn url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }

    /// True when the user gave no URL, so the embedded default is in use.
    pub fn is_default(&self) -> bool {
        self.database_url.is_none()
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STUDYGRAPH_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Load the demo data into the database if it is empty (always done for the default database).
    #[arg(long)]
    pub demo: bool,
    /// Queries need an API key too (any scope); without this flag only mutations do.
    #[arg(long, env = "STUDYGRAPH_REQUIRE_KEY_FOR_READS")]
    pub require_key_for_reads: bool,
    /// GraphQL requests a minute (also the burst) per API key, or per client address for
    /// requests without a key; 0 turns the limit off.
    #[arg(long, env = "STUDYGRAPH_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// A browser origin allowed to call the API cross-site (repeatable, or comma-separated in
    /// the environment), e.g. `https://dashboard.example.org`. Without any, no CORS headers.
    #[arg(
        long = "cors-origin",
        env = "STUDYGRAPH_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// A JSON manifest of trusted documents (`{"<sha256 hex>": "<document>"}` as GraphQL
    /// Codegen or Relay emit it, or Apollo's persisted-query manifest), checked at start-up.
    /// Clients may then send a document's `documentId` or persisted-query hash instead of its text.
    #[arg(long, env = "STUDYGRAPH_TRUSTED_DOCUMENTS", value_name = "FILE")]
    pub trusted_documents: Option<PathBuf>,
    /// Run only the trusted documents: any other query text is refused with
    /// `PERSISTED_QUERY_NOT_ALLOWED` (needs `--trusted-documents`).
    #[arg(
        long,
        env = "STUDYGRAPH_PERSISTED_ONLY",
        requires = "trusted_documents"
    )]
    pub persisted_only: bool,
    /// `max-age` (seconds) of successful anonymous answers to GET requests by hash.
    #[arg(long, env = "STUDYGRAPH_CACHE_MAX_AGE_SECS", default_value_t = DEFAULT_CACHE_MAX_AGE_SECS)]
    pub cache_max_age_secs: u32,
    /// Database connections in the pool (default 16 for PostgreSQL, 8 for SQLite).
    #[arg(long, env = "STUDYGRAPH_DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: Option<u32>,
    /// GraphQL executions running at once; more requests wait (within their timeout), so
    /// memory stays bounded under many connections.
    #[arg(long, env = "STUDYGRAPH_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrent_requests: u32,
    /// Refuse introspection (`__schema`, `__type`); `__typename` still works.
    #[arg(long, env = "STUDYGRAPH_NO_INTROSPECTION")]
    pub no_introspection: bool,
    /// Do not serve the playground: a browser's `GET /graphql` gets 404.
    #[arg(long, env = "STUDYGRAPH_NO_PLAYGROUND")]
    pub no_playground: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one request may ask for (see `graphql::limits`).
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Deepest selection nesting accepted (the standard introspection query needs 13).
    #[arg(long, env = "STUDYGRAPH_MAX_DEPTH", default_value_t = crate::graphql::limits::MAX_DEPTH)]
    pub max_depth: usize,
    /// Most fields one query may select, aliases and fragment spreads included.
    #[arg(long, env = "STUDYGRAPH_MAX_COMPLEXITY", default_value_t = crate::graphql::limits::MAX_COMPLEXITY)]
    pub max_complexity: usize,
    /// Most aliases one document may use.
    #[arg(long, env = "STUDYGRAPH_MAX_ALIASES", default_value_t = crate::graphql::limits::MAX_ALIASES)]
    pub max_aliases: usize,
    /// Most fields an operation may select at its root.
    #[arg(long, env = "STUDYGRAPH_MAX_ROOT_FIELDS", default_value_t = crate::graphql::limits::MAX_ROOT_FIELDS)]
    pub max_root_fields: usize,
    /// Seconds a request may run before it is cancelled with `TIMEOUT` (PostgreSQL's
    /// statement timeout stays 10 s).
    #[arg(long, env = "STUDYGRAPH_REQUEST_TIMEOUT_SECS", default_value_t = crate::graphql::limits::REQUEST_TIMEOUT.as_secs())]
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, env = "STUDYGRAPH_BODY_LIMIT_BYTES", default_value_t = crate::http::MAX_BODY_BYTES)]
    pub body_limit_bytes: usize,
    /// Most rows one `/export` streams; a longer list is refused unless the request asks for
    /// its first `&limit=N` rows.
    #[arg(long, env = "STUDYGRAPH_EXPORT_MAX_ROWS", default_value_t = crate::http::export::MAX_ROWS)]
    pub export_max_rows: usize,
}

impl Default for LimitArgs {
    fn default() -> Self {
        Self {
            max_depth: crate::graphql::limits::MAX_DEPTH,
            max_complexity: crate::graphql::limits::MAX_COMPLEXITY,
            max_aliases: crate::graphql::limits::MAX_ALIASES,
            max_root_fields: crate::graphql::limits::MAX_ROOT_FIELDS,
            request_timeout_secs: crate::graphql::limits::REQUEST_TIMEOUT.as_secs(),
            body_limit_bytes: crate::http::MAX_BODY_BYTES,
            export_max_rows: crate::http::export::MAX_ROWS,
        }
    }
}

/// Requests a minute per client by default: generous for people and dashboards, a brake on loops.
pub const DEFAULT_RATE_LIMIT: u32 = 600;

/// GraphQL executions at once, by default: enough to keep a pool of 16 connections busy.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 16;

/// How long a CDN or browser may reuse a successful GET-by-hash answer, by default.
pub const DEFAULT_CACHE_MAX_AGE_SECS: u32 = 60;

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 8000).into(),
            database: DatabaseArgs::default(),
            demo: false,
            require_key_for_reads: false,
            rate_limit: DEFAULT_RATE_LIMIT,
            cors_origins: Vec::new(),
            trusted_documents: None,
            persisted_only: false,
            cache_max_age_secs: DEFAULT_CACHE_MAX_AGE_SECS,
            db_pool_size: None,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            no_introspection: false,
            no_playground: false,
            limits: LimitArgs::default(),
        }
    }
}

/// `apikey`: manage the keys clients send as `Authorization: Bearer KEY`.
#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key and print it (only this once; only its hash is stored).
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// A unique name saying who or what uses the key.
        #[arg(long)]
        name: String,
        /// `read` (queries, when the server requires keys for them) or `write` (mutations too).
        #[arg(long, value_enum, default_value = "read")]
        scope: crate::auth::Scope,
    },
    /// List the keys: name, scope, prefix, when created and revoked.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key by name (it stops working at once; the record stays).
    Revoke {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        name: String,
    },
}

impl ApiKeyCommand {
    pub fn database(&self) -> &DatabaseArgs {
        match self {
            Self::Create { database, .. }
            | Self::List { database }
            | Self::Revoke { database, .. } => database,
        }
    }
}
