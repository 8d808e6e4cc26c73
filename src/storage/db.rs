//! The database handle: which backend a URL names, how to connect, migrate and ping it.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Connection;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connection pools to whichever backend `DATABASE_URL` names. Cheap to clone.
///
/// SQLite admits one writer at a time and makes the others sleep-and-poll for the lock, so
/// writes go through a pool of one connection where they queue without polling, and reads
/// use the other pool; see [`Db::writer`].
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, SqlitePool),
    Postgres(PgPool),
}

/// Runs the same sqlx code against whichever pool `$db` holds; the body is compiled once per
/// backend, so a query written once serves both.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($pool, _) => $body,
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:` or `postgres://…`). A SQLite file
    /// is created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, Duration::from_secs(5)).await
    }

    /// [`Db::connect`], where a request waits at most `acquire` for a connection (then the
    /// store is unavailable: 503). SQLite's single writer keeps its own longer queue.
    pub async fn connect_with(url: &str, acquire: Duration) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            let pool = check_when_idle(PgPoolOptions::new())
                .max_connections(16)
                .acquire_timeout(acquire)
                .connect_with(options)
                .await
                .context("cannot connect to PostgreSQL; is it running and does DATABASE_URL name an existing database?")?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid SQLite URL (expected sqlite://PATH)")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged command must survive a power cut, not just a process crash.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true);
            let pool = |size, wait| {
                check_when_idle(SqlitePoolOptions::new())
                    .max_connections(size)
                    .acquire_timeout(wait)
                    .connect_with(options.clone())
            };
            let context = "cannot open the SQLite database named by DATABASE_URL";
            let writer = pool(1, Duration::from_secs(30)).await.context(context)?;
            let readers = pool(8, acquire).await.context(context)?;
            Ok(Db::Sqlite(readers, writer))
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://")
        }
    }

    /// How a transaction that reads before it writes begins: on SQLite it takes the write lock
    /// at once, or another process's commit in between would make its first write fail.
    pub fn begin_writing(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    /// The same database, with every query of `with_pool!` going to the writer connection.
    pub fn writer(&self) -> Db {
        match self {
            Db::Sqlite(_, writer) => Db::Sqlite(writer.clone(), writer.clone()),
            Db::Postgres(pool) => Db::Postgres(pool.clone()),
        }
    }

    /// Applies every embedded migration that has not run yet, and keeps the transaction ids
    /// events record ahead of those in the log (see `cursor::keep_ids_ahead`).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(_, writer) => SQLITE_MIGRATIONS.run(writer).await,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .context("applying database migrations failed")?;
        super::cursor::keep_ids_ahead(self)
            .await
            .context("numbering transactions after those in the log failed")?;
        Ok(())
    }

    /// One round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(readers, writer) => {
                readers.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// A connection idle at least this long is pinged before it is handed out again.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Checks a pooled connection before reuse only when it has sat idle: one that served a
/// query moments ago is alive, and pinging it too cost a round trip per query under load.
/// A connection the server dropped while idle is still found and replaced.
fn check_when_idle<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
