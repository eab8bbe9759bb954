//! The `studygraph` command: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc instead of the system allocator: a GraphQL response is thousands of small
/// allocations, and glibc's malloc spent a third of the server's CPU on them (and on its arena
/// locks) under load; see bench/README.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Dropped when main returns (after the server stops): flushes spans still to be exported.
    let _telemetry = studygraph::telemetry::init();
    let cli = studygraph::config::Cli::parse();
    match studygraph::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("studygraph: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
