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
    /// Print the GraphQL schema (SDL), or write it to a file.
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load records from files (native JSON Lines, see docs/import-format.md, or DCAT-US
    /// data.json), all in one transaction.
    Import {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The files' format; guessed from the first file's content when not given.
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// Files to load, in order, in one transaction.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Formats `import` reads.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// studygraph's JSON Lines (one record per line).
    Native,
    /// Project Open Data v1.1 `data.json`, as US federal agencies publish it.
    DcatUs,
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
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 8000).into(),
            database: DatabaseArgs::default(),
            demo: false,
        }
    }
}
