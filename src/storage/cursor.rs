//! A place in the log, in the order every reader walks it: by the transaction that wrote an
//! event, then by position. Appends on PostgreSQL commit side by side, so positions become
//! visible out of order; a reader that also stops before the oldest transaction still running
//! ([`SETTLED_POSTGRES`]) never sees an event appear behind a place it has passed (migration
//! 0010 says more). On SQLite, with its one writer, every `xact_id` is 0 and this is position
//! order.

use std::time::{Duration, Instant};

use super::conn::Conn;
use super::Db;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub xact_id: i64,
    pub position: i64,
}

/// The condition that an event comes after the cursor bound as `$1`, `$2`.
pub const AFTER: &str = "(xact_id, position) > ($1, $2)";
/// The order of [`Cursor`]s.
pub const ORDER: &str = "ORDER BY xact_id, position";
/// The condition that no event can still commit before this one in [`ORDER`]: every
/// transaction that could write one has ended.
pub const SETTLED_POSTGRES: &str = " AND xact_id < clara_settled_below()";

/// [`SETTLED_POSTGRES`] where `db` needs it (SQLite commits in position order).
pub fn settled(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(..) => "",
        Db::Postgres(_) => SETTLED_POSTGRES,
    }
}

/// For a client that resumes after `position` (export, history): waits until what committed
/// before the call is settled, and returns where to read from with the condition that keeps
/// the read to settled events.
pub async fn resume(db: &Db, position: i64) -> Result<(Cursor, &'static str), sqlx::Error> {
    settle(db).await?;
    Ok((after_position(db, position).await?, settled(db)))
}

/// Where a reader resumes after `position`, a position it was given: the event's own place,
/// or for a position no event holds (made up, or a gap) the latest place at or before it.
pub async fn after_position(db: &Db, position: i64) -> Result<Cursor, sqlx::Error> {
    let sql = "SELECT COALESCE((SELECT xact_id FROM events WHERE position = $1), \
        (SELECT MAX(xact_id) FROM events WHERE position <= $1), 0)";
    let xact_id: i64 = crate::with_pool!(db, pool => sqlx::query_scalar(sql).bind(position).fetch_one(pool).await?);
    Ok(Cursor { xact_id, position })
}

/// How long [`settle`] waits at most: past it, a transaction this old is stuck (idle in
/// transaction), and a reader goes on with what is settled rather than wait for it.
const SETTLE_WITHIN: Duration = Duration::from_secs(2);

/// Waits until every event committed before the call is settled (every transaction that
/// could still commit one before it has ended), so that a reader that starts now gets them:
/// at once in the usual case, within milliseconds while older transactions finish. Returns
/// false if it gave up after [`SETTLE_WITHIN`]. SQLite has nothing to wait for.
pub async fn settle(db: &Db) -> Result<bool, sqlx::Error> {
    let Db::Postgres(pool) = db else {
        return Ok(true);
    };
    let (newest, mut oldest_running): (i64, i64) =
        sqlx::query_as("SELECT COALESCE(MAX(xact_id), 0), clara_settled_below() FROM events")
            .fetch_one(pool)
            .await?;
    let since = Instant::now();
    while oldest_running <= newest {
        if since.elapsed() > SETTLE_WITHIN {
            tracing::warn!(
                oldest_running,
                "a database transaction has been open for seconds: readers of the event log \
                 leave the events committed since it began until it ends"
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        oldest_running = sqlx::query_scalar("SELECT clara_settled_below()")
            .fetch_one(pool)
            .await?;
    }
    Ok(true)
}

/// Raises the offset of recorded transaction ids (migration 0011) when the log holds ids at
/// or above this server's: a log restored into another PostgreSQL server. Appends wait
/// while it moves, so none records an id under the old offset afterwards; returns whether it
/// moved. SQLite records no ids.
pub async fn keep_ids_ahead(db: &Db) -> Result<bool, sqlx::Error> {
    let Db::Postgres(pool) = db else {
        return Ok(false);
    };
    let behind = "SELECT COALESCE(MAX(xact_id), 0) >= \
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint + clara_xact_offset() FROM events";
    if !sqlx::query_scalar::<_, bool>(behind)
        .fetch_one(pool)
        .await?
    {
        return Ok(false);
    }
    let mut tx = pool.begin().await?;
    tx.exclude_appends().await?;
    let (highest, next, offset): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(MAX(xact_id), 0), pg_current_xact_id()::text::bigint, \
         clara_xact_offset() FROM events",
    )
    .fetch_one(&mut *tx)
    .await?;
    let moved = highest >= next + offset;
    if moved {
        // A number this process computed, written as a literal: a function body takes no
        // parameters.
        let raised = highest - next + 1;
        let sql = format!(
            "CREATE OR REPLACE FUNCTION clara_xact_offset() RETURNS bigint \
             LANGUAGE sql IMMUTABLE AS $$ SELECT {raised}::bigint $$"
        );
        sqlx::query(&sql).execute(&mut *tx).await?;
        tracing::warn!(offset = raised, "the log holds transaction ids of another PostgreSQL server (restored from a dump?); new events are numbered after them");
    }
    tx.commit().await?;
    Ok(moved)
}
