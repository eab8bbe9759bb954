//! The `studygraph` command: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    studygraph::telemetry::init();
    let cli = studygraph::config::Cli::parse();
    match studygraph::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("studygraph: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
