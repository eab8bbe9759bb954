//! studygraph: a GraphQL gateway that links research publications to the datasets they use or
//! describe, and to the producers (agencies, institutes, universities) behind both.
//!
//! Data flows one way: [`http`] → [`graphql`] (schema, resolvers, loaders) → [`db`] (entities,
//! SQL) → SQLite or PostgreSQL. [`import`] loads records; [`demo`] holds the demo data.

pub mod auth;
pub mod config;
pub mod dates;
pub mod db;
pub mod demo;
pub mod export;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod import;
pub mod telemetry;

use anyhow::Context as _;

use config::{Cli, Command, ServeArgs};
use db::Db;

/// Connects to the database and applies pending migrations.
pub async fn open_database(url: &str) -> anyhow::Result<Db> {
    open_database_pooled(url, None).await
}

/// [`open_database`] for commands that only read or change what is there (`export`, `apikey
/// list` and `revoke`): a SQLite file that does not exist is an error, not a new empty database.
pub async fn open_existing_database(url: &str) -> anyhow::Result<Db> {
    if let Some(file) = db::sqlite_file(url)
        && !file.exists()
    {
        anyhow::bail!(
            "no database at {}: this command reads an existing database and does not create one \
             (check --database-url or STUDYGRAPH_DATABASE_URL, and the working directory)",
            file.display()
        );
    }
    open_database(url).await
}

/// [`open_database`] with `pool_size` connections instead of the backend's default.
pub async fn open_database_pooled(url: &str, pool_size: Option<u32>) -> anyhow::Result<Db> {
    let cannot = || format!("cannot open the database {}", db::redact_url(url));
    if let Some(problem) = db::connect_error::before_connecting(url) {
        anyhow::bail!("{}: {problem}", cannot());
    }
    let db = Db::connect_pooled(url, pool_size).await.map_err(|err| {
        anyhow::anyhow!("{}: {}", cannot(), db::connect_error::explain(url, &err))
    })?;
    db.migrate()
        .await
        .context("cannot apply the database migrations")?;
    Ok(db)
}

/// The router over `db`, as served (used by `serve` and by the tests).
pub fn app(db: Db) -> axum::Router {
    app_with(db, AppOptions::default())
}

/// How the operator runs the API (the `serve` flags that shape the router).
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Queries need a valid API key too (any scope); mutations always need a write key.
    pub require_key_for_reads: bool,
    /// Requests per minute (and burst) per API key or client address on `/graphql`; 0 = off.
    pub rate_limit_per_minute: u32,
    /// Browser origins allowed to call `/graphql` cross-site (CORS); empty = none.
    pub cors_origins: Vec<String>,
    /// Depth, complexity, aliases, root fields, run time, introspection.
    pub limits: graphql::limits::Limits,
    /// Largest request body accepted (larger ones get 413).
    pub body_limit_bytes: usize,
    /// `GET /graphql` from a browser gets 404 instead of the playground.
    pub no_playground: bool,
    /// Documents the frontends may send by hash (the `--trusted-documents` manifest).
    pub trusted_documents: std::sync::Arc<http::trusted_documents::TrustedDocuments>,
    /// Only trusted documents run; other query texts are `PERSISTED_QUERY_NOT_ALLOWED`.
    pub persisted_only: bool,
    /// `max-age` of successful anonymous GET-by-hash answers.
    pub cache_max_age_secs: u32,
    /// Most rows one `/export` streams (a longer list needs `&limit=N`).
    pub export_max_rows: usize,
    /// GraphQL executions running at once (others wait their turn).
    pub max_concurrent_requests: usize,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            require_key_for_reads: false,
            rate_limit_per_minute: 0,
            cors_origins: Vec::new(),
            limits: graphql::limits::Limits::default(),
            body_limit_bytes: http::MAX_BODY_BYTES,
            no_playground: false,
            trusted_documents: Default::default(),
            persisted_only: false,
            cache_max_age_secs: config::DEFAULT_CACHE_MAX_AGE_SECS,
            export_max_rows: http::export::MAX_ROWS,
            max_concurrent_requests: config::DEFAULT_MAX_CONCURRENT_REQUESTS as usize,
        }
    }
}

/// [`app`] with options.
pub fn app_with(db: Db, options: AppOptions) -> axum::Router {
    let schema = graphql::schema::build(db.clone(), &options.limits);
    let persisted = http::persisted::PersistedQueries::new(
        options.trusted_documents.clone(),
        options.persisted_only,
    );
    let executions = std::sync::Arc::new(tokio::sync::Semaphore::new(
        options.max_concurrent_requests.max(1),
    ));
    http::router(http::AppState {
        schema,
        executions,
        db,
        options,
        metrics: http::metrics::Metrics::default(),
        persisted,
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args).await,
        Command::ApiKey(command) => {
            let url = command.database().url();
            let db = match command {
                config::ApiKeyCommand::Create { .. } => open_database(url).await?,
                _ => open_existing_database(url).await?,
            };
            auth::run_command(&db, command).await
        }
        Command::Migrate(database) => {
            open_database(database.url()).await?;
            tracing::info!(database = %db::redact_url(database.url()), "migrations applied");
            Ok(())
        }
        Command::ExportSchema { out } => {
            let sdl = graphql::schema::sdl();
            match out {
                Some(path) => std::fs::write(&path, sdl)
                    .with_context(|| format!("cannot write {}", path.display())),
                None => {
                    print!("{sdl}");
                    Ok(())
                }
            }
        }
        Command::Generate {
            publications,
            datasets,
            producers,
            links,
            seed,
            out,
        } => {
            let options = generate::GenerateOptions {
                publications,
                datasets,
                producers,
                links: links.unwrap_or(publications * 2),
                seed,
            };
            let summary = match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    let mut writer = std::io::BufWriter::new(file);
                    let summary = generate::write_graph(&options, &mut writer)?;
                    std::io::Write::flush(&mut writer)?;
                    summary
                }
                None => generate::write_graph(
                    &options,
                    &mut std::io::BufWriter::new(std::io::stdout().lock()),
                )?,
            };
            tracing::info!(
                producers = summary.producers,
                publications = summary.publications,
                datasets = summary.datasets,
                links = summary.links,
                "synthetic graph written"
            );
            Ok(())
        }
        Command::Export {
            database,
            format,
            out,
        } => {
            let db = open_existing_database(database.url()).await?;
            let summary = export::export_to(&db, format, out.as_deref()).await?;
            tracing::info!(%summary, "export finished");
            Ok(())
        }
        Command::Import {
            database,
            format,
            files,
            skip_invalid,
            rejects,
        } => {
            let rejects = match (skip_invalid, rejects) {
                (false, _) => None,
                (true, Some(rejects)) => Some(rejects),
                (true, None) => Some(import::run::default_rejects(&files)?),
            };
            let options = import::run::RunOptions { format, rejects };
            let db = open_database(database.url()).await?;
            let outcome = import::run::import(&db, &files, &options).await?;
            tracing::info!(summary = %outcome.summary, "import finished");
            if let (Some(first), Some(path)) = (outcome.rejected.first(), &options.rejects) {
                anyhow::bail!(
                    "{} records rejected (the others were loaded); each is in {} with its reason. First: {}:{}: {}: {}",
                    outcome.rejected.len(),
                    path.display(),
                    first.file,
                    first.line,
                    first.field,
                    first.reason
                );
            }
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // A bad manifest or flag fails before anything else happens.
    let options = serve_options(&args)?;
    let url = args.database.url();
    let db = open_database_pooled(url, args.db_pool_size).await?;
    if (args.demo || args.database.is_default()) && db.is_empty().await? {
        let summary = demo::load(&db).await.context("cannot load the demo data")?;
        tracing::info!(%summary, "database was empty: demo data loaded");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(database = %db::redact_url(url), "using database");
    let playground = if options.no_playground {
        "no playground"
    } else {
        "playground in a browser"
    };
    tracing::info!("listening on http://{address}/graphql ({playground})");
    if options.require_key_for_reads {
        tracing::info!("every request needs an API key (--require-key-for-reads)");
    }
    let limits = http::server::ServeLimits::default();
    http::server::serve(listener, app_with(db, options), limits, shutdown_signal())
        .await
        .context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// The router's options from the `serve` flags; reads and checks the trusted documents.
fn serve_options(args: &ServeArgs) -> anyhow::Result<AppOptions> {
    let trusted_documents = match &args.trusted_documents {
        Some(path) => {
            let documents = http::trusted_documents::TrustedDocuments::load(path)?;
            tracing::info!(
                documents = documents.len(),
                file = %path.display(),
                persisted_only = args.persisted_only,
                "trusted documents loaded"
            );
            if documents.is_empty() && args.persisted_only {
                tracing::warn!("--persisted-only with an empty manifest: no request can run");
            }
            documents
        }
        None if args.persisted_only => {
            anyhow::bail!("--persisted-only needs --trusted-documents FILE (the manifest)")
        }
        None => Default::default(),
    };
    let limits = &args.limits;
    if limits.request_timeout_secs == 0
        || limits.body_limit_bytes == 0
        || limits.export_max_rows == 0
    {
        anyhow::bail!(
            "--request-timeout-secs, --body-limit-bytes and --export-max-rows must be above 0"
        );
    }
    Ok(AppOptions {
        require_key_for_reads: args.require_key_for_reads,
        rate_limit_per_minute: args.rate_limit,
        cors_origins: args.cors_origins.clone(),
        limits: graphql::limits::Limits {
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
            max_aliases: limits.max_aliases,
            max_root_fields: limits.max_root_fields,
            request_timeout: std::time::Duration::from_secs(limits.request_timeout_secs),
            introspection: !args.no_introspection,
        },
        body_limit_bytes: limits.body_limit_bytes,
        no_playground: args.no_playground,
        trusted_documents: std::sync::Arc::new(trusted_documents),
        persisted_only: args.persisted_only,
        cache_max_age_secs: args.cache_max_age_secs,
        export_max_rows: limits.export_max_rows,
        max_concurrent_requests: args.max_concurrent_requests as usize,
    })
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then drain before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
