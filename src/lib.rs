//! studygraph: a GraphQL gateway that links research publications to the datasets they use or
//! describe, and to the producers (agencies, institutes, universities) behind both.
//!
//! Data flows one way: [`http`] → [`graphql`] (schema, resolvers, loaders) → [`db`] (entities,
//! SQL) → SQLite or PostgreSQL. [`import`] loads records; [`demo`] holds the demo data.

pub mod config;
pub mod dates;
pub mod db;
pub mod demo;
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
    let schema = graphql::schema::build(db.clone());
    http::router(http::AppState { schema, db })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args).await,
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
        Command::Import { database, format, files } => {
            let format = match format {
                Some(format) => format,
                None => import::guess_format(&files[0])?,
            };
            let db = open_database(database.url()).await?;
            let summary = match format {
                config::ImportFormat::Native => import::native::import_files(&db, &files).await?,
                config::ImportFormat::DcatUs => import::dcat::import_files(&db, &files).await?,
            };
            tracing::info!(%summary, "import finished");
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
    axum::serve(listener, app(db))
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
