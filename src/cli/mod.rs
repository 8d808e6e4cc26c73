//! The `clara` command line: serve (default), migrate, replay, export, audit, bench.

mod audit;
mod export;
mod replay;

use clap::{Parser, Subcommand};

use crate::config::{redact, Common, Config, SECRET_VARIABLES};
use crate::privacy::upgrade::upgrade_log;
use crate::secrets::Secrets;
use crate::server::{open_database, serve};

#[derive(Parser, Debug)]
#[command(
    name = "clara",
    version,
    about = "Clara: an event-sourced account-and-credits service (auth, users, API keys, credits).",
    long_about = "Clara: an event-sourced account-and-credits service (auth, users, API keys, credits).\n\n\
        Every accepted change is an event in one log; views are rebuilt from it. With no \
        subcommand, `clara` serves HTTP on HOST:PORT using DATABASE_URL (a local SQLite file by default).",
    after_help = SECRET_VARIABLES
)]
pub struct Cli {
    #[command(flatten)]
    common: Common,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP service (the default): applies migrations, catches the views up with the
    /// event log, then serves until SIGTERM or Ctrl-C. Without the subcommand, every setting
    /// comes from the environment.
    Serve(Box<Config>),
    /// Apply the embedded database migrations, move e-mail claims still keyed by address to
    /// hashed ids and seal personal data written before sealing existed (needs DATA_KEY),
    /// and exit.
    Migrate,
    /// Drop every view and rebuild it from the event log, showing progress, then print how
    /// many events and view rows were processed. Readers see the old views until it finishes.
    /// With --verify, change nothing: compare the live views with a fresh fold of the log.
    Replay {
        /// Only check that the live views match the log; exit non-zero if any row differs.
        #[arg(long)]
        verify: bool,
    },
    /// Write the event log to standard output as NDJSON, one event a line in log order
    /// (secrets redacted), with progress on standard error: `clara export > log.ndjson`.
    Export {
        /// Start after this log position (the last one a previous export wrote).
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Print an account's history (user, wallet, tasks) as a table, or with --as-of the user
    /// as they were at that instant.
    Audit {
        /// The account, `user_…`.
        user_id: String,
        /// An instant, as an HTTP-date ("Tue, 01 Dec 2026 10:00:00 GMT") or RFC 3339
        /// ("2026-12-01T10:00:00Z").
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Measure throughput of the whole stack against plain baselines in the same run (on a
    /// temporary SQLite file, and on PostgreSQL with --postgres-url), printing figures and ratios.
    Bench(crate::bench::BenchArgs),
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(Box::new(Config::from_env()?)),
    };
    // sqlx logs every statement at info; keep those out unless asked for. The benchmark
    // measures the stack, not the terminal, so it logs only warnings.
    let default_filter = match command {
        Command::Bench(_) | Command::Export { .. } | Command::Audit { .. } => "warn",
        _ => "info,sqlx=warn",
    };
    let common = &cli.common;
    crate::telemetry::init(common.log_format, default_filter);
    match command {
        Command::Serve(config) => serve(common, &config).await,
        Command::Migrate => {
            let db = open_database(common).await?;
            let secrets = Secrets::resolve(&common.database_url)?;
            let (moved, sealed) = upgrade_log(&db, &secrets).await?;
            println!(
                "Migrations applied to {}; {moved} e-mail claims moved to hashed ids, {sealed} events' personal data sealed.",
                redact(&common.database_url)
            );
            Ok(())
        }
        Command::Replay { verify: false } => replay::run(common).await,
        Command::Replay { verify: true } => replay::verify(common).await,
        Command::Export { after } => export::run(common, after).await,
        Command::Audit {
            user_id,
            as_of,
            json,
        } => audit::run(common, &user_id, as_of.as_deref(), json).await,
        Command::Bench(args) => crate::bench::run(&args).await,
    }
}
