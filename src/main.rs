//! The `clara` binary: reads `.env`, then hands over to the command line.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Before parsing, so `.env` values serve as defaults for every flag.
    dotenvy::dotenv().ok();
    match clara::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
