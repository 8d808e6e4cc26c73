//! `clara bench`: throughput of the whole stack against plain baselines measured in the same
//! run, on a throw-away SQLite file and, when given, a throw-away PostgreSQL database.

mod analyses;
mod appends;
mod audit;
mod child;
mod debits;
mod load;
mod logins;
mod privacy;
mod reads;
mod storm;
mod writes;

use argon2::Params;

use crate::auth::password::Passwords;
use crate::mail::MailSettings;
use crate::secrets::Secrets;
use crate::state::{AppState, Settings};
use crate::storage::Db;
use crate::with_pool;

/// What to measure and how hard.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Operations per measurement.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Times each comparison alternates its two sides (medians are compared): more rounds
    /// tell smaller differences apart on a noisy machine.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub rounds: u16,
    /// Also bench PostgreSQL: a server URL on which a temporary database is created and dropped.
    #[arg(long, env = "BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Run only these measures (repeat or comma-separate); all of them when absent.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Measure>,
}

/// The measures a run can be limited to.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Register,
    Reads,
    Login,
    Debit,
    Analysis,
    Audit,
    Storm,
    /// PostgreSQL only: appends from one server process against two on the same database.
    Appends,
    /// Register, sign-in and user view with personal data sealed against plain; replay.
    Privacy,
}

impl BenchArgs {
    fn runs(&self, measure: Measure) -> bool {
        self.only.is_empty() || self.only.contains(&measure)
    }
}

/// One line of the report.
pub struct Figure {
    pub backend: &'static str,
    pub measure: &'static str,
    pub clara: f64,
    pub baseline: f64,
    /// The ratio aimed for; 0 when no target is set and the figure is for information.
    pub target: f64,
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let mut figures = Vec::new();
    let dir = std::env::temp_dir().join(format!("clara-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let sqlite_url = format!("sqlite://{}", dir.join("bench.db").display());
    let result = bench_backend("sqlite", &sqlite_url, args, &mut figures).await;
    std::fs::remove_dir_all(&dir).ok();
    result?;
    if let Some(server) = &args.postgres_url {
        let name = format!("clara_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(server).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        let url = format!(
            "{}/{name}",
            server
                .rsplit_once('/')
                .map_or(server.as_str(), |(base, _)| base)
        );
        let result = bench_backend("postgres", &url, args, &mut figures).await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        result?;
    } else {
        println!("(PostgreSQL skipped: pass --postgres-url or set BENCH_POSTGRES_URL)");
    }
    print_report(args, &figures);
    Ok(())
}

async fn bench_backend(
    backend: &'static str,
    url: &str,
    args: &BenchArgs,
    figures: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    // Hashing is excluded from both sides: the cheapest argon2id parameters.
    let cheap = Params::new(8, 1, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let attachments = std::env::temp_dir().join(format!(
        "clara-bench-attachments-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut settings = Settings {
        mail: MailSettings {
            outbox_dir: std::env::temp_dir().join("clara-bench-outbox"),
            ..MailSettings::default()
        },
        // Limits would measure the limiter, not the stack.
        rate_limit_per_second: 0,
        ..Settings::default()
    };
    settings.agent.attachments_url = attachments.display().to_string();
    let state = AppState::new(
        db.clone(),
        Secrets::generate(),
        Passwords::with_params(cheap),
        settings,
    )?;
    let result = measure_all(backend, url, &state, args, figures).await;
    db.close().await;
    std::fs::remove_dir_all(&attachments).ok();
    result
}

async fn measure_all(
    backend: &'static str,
    url: &str,
    state: &AppState,
    args: &BenchArgs,
    figures: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let (state, db) = (state.clone(), &state.db);
    if args.runs(Measure::Register) {
        figures.push(writes::measure(backend, &state, args).await?);
        truncate_log(db).await?;
    }
    if args.runs(Measure::Reads) {
        figures.extend(reads::measure(backend, &state, args).await?);
    }
    if args.runs(Measure::Login) {
        let (login, per_core) = logins::measure(backend, &state, args).await?;
        println!(
            "{backend}: {per_core:.1} logins per second per core (Keycloak publishes 15 per vCPU)"
        );
        figures.push(login);
    }
    if args.runs(Measure::Debit) {
        figures.push(debits::measure(backend, &state).await?);
    }
    if args.runs(Measure::Analysis) {
        figures.push(analyses::measure(backend, &state, args).await?);
    }
    if args.runs(Measure::Storm) {
        storm::measure(backend, url, &state, args.rounds).await?;
    }
    if args.runs(Measure::Privacy) {
        figures.extend(privacy::measure(backend, &state, args).await?);
    }
    if args.runs(Measure::Appends) && backend == "postgres" {
        figures.push(appends::measure(url, &state, args.rounds).await?);
    }
    if args.runs(Measure::Audit) {
        audit::measure(backend, &state, args).await?;
    }
    Ok(())
}

/// Empties the log and views between measurements so each starts from the same place.
async fn truncate_log(db: &Db) -> anyhow::Result<()> {
    with_pool!(db, pool => {
        for statement in ["DELETE FROM events", "DELETE FROM user_views", "UPDATE projector_checkpoints SET position = 0"] {
            sqlx::query(statement).execute(pool).await?;
        }
    });
    // On PostgreSQL the deleted rows would otherwise be vacuumed in the background during
    // the next measurement, on the same cores.
    if let Db::Postgres(pool) = db {
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    }
    Ok(())
}

fn print_report(args: &BenchArgs, figures: &[Figure]) {
    println!(
        "\n{} operations per measurement, {} in flight",
        args.requests, args.concurrency
    );
    println!(
        "{:<9} {:<34} {:>10} {:>10} {:>7} {:>7}",
        "backend", "measure (per second)", "clara", "baseline", "ratio", "target"
    );
    for f in figures {
        let ratio = f.clara / f.baseline;
        let verdict = match f.target {
            0.0 => "",
            target if ratio >= target => "ok",
            _ => "BELOW",
        };
        println!(
            "{:<9} {:<34} {:>10.0} {:>10.0} {:>7.2} {:>5.2} {verdict}",
            f.backend, f.measure, f.clara, f.baseline, ratio, f.target
        );
    }
}
