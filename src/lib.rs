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
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", db::redact_url(url)))?;
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
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Queries need a valid API key too (any scope); mutations always need a write key.
    pub require_key_for_reads: bool,
    /// Requests per minute (and burst) per API key or client address on `/graphql`; 0 = off.
    pub rate_limit_per_minute: u32,
    /// Browser origins allowed to call `/graphql` cross-site (CORS); empty = none.
    pub cors_origins: Vec<String>,
}

/// [`app`] with options.
pub fn app_with(db: Db, options: AppOptions) -> axum::Router {
    let schema = graphql::schema::build(db.clone());
    http::router(http::AppState {
        schema,
        db,
        options,
        metrics: http::metrics::Metrics::default(),
        persisted: http::persisted::PersistedQueries::default(),
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args).await,
        Command::ApiKey(command) => {
            let db = open_database(command.database().url()).await?;
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
            let db = open_database(database.url()).await?;
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
            let format = match format {
                Some(format) => format,
                None => import::guess_format(&files[0])?,
            };
            let db = open_database(database.url()).await?;
            let options = import::native::ImportOptions { skip_invalid };
            let outcome = match format {
                config::ImportFormat::Native => {
                    import::native::import_files(&db, &files, options).await?
                }
                config::ImportFormat::DcatUs => {
                    if skip_invalid {
                        anyhow::bail!("--skip-invalid is not available for dcat-us catalogs yet");
                    }
                    let summary = import::dcat::import_files(&db, &files).await?;
                    import::native::Outcome {
                        summary,
                        rejected: Vec::new(),
                    }
                }
                config::ImportFormat::Scholix | config::ImportFormat::Csv => {
                    if skip_invalid {
                        anyhow::bail!("--skip-invalid is not available for link files yet");
                    }
                    let summary = match format {
                        config::ImportFormat::Scholix => {
                            import::scholix::import_files(&db, &files).await?
                        }
                        _ => import::csv_links::import_files(&db, &files).await?,
                    };
                    import::native::Outcome {
                        summary,
                        rejected: Vec::new(),
                    }
                }
            };
            tracing::info!(summary = %outcome.summary, "import finished");
            if !outcome.rejected.is_empty() {
                let path = rejects.unwrap_or_else(|| {
                    let mut name = files[0].clone().into_os_string();
                    name.push(".rejected.jsonl");
                    name.into()
                });
                let lines: Vec<String> = outcome
                    .rejected
                    .iter()
                    .map(serde_json::to_string)
                    .collect::<Result<_, _>>()?;
                std::fs::write(&path, lines.join("\n") + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let first = &outcome.rejected[0];
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
    let url = args.database.url();
    let db = open_database(url).await?;
    if (args.demo || args.database.is_default()) && db.is_empty().await? {
        let summary = demo::load(&db).await.context("cannot load the demo data")?;
        tracing::info!(%summary, "database was empty: demo data loaded");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(database = %db::redact_url(url), "using database");
    tracing::info!("listening on http://{address}/graphql (playground in a browser)");
    let options = AppOptions {
        require_key_for_reads: args.require_key_for_reads,
        rate_limit_per_minute: args.rate_limit,
        cors_origins: args.cors_origins.clone(),
    };
    if options.require_key_for_reads {
        tracing::info!("every request needs an API key (--require-key-for-reads)");
    }
    let service =
        app_with(db, options).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")?;
    tracing::info!("stopped");
    Ok(())
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
