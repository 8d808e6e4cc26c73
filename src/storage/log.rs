//! Reading the event log in its order (see `cursor`), across every aggregate.

use super::conn::Conn;
pub use super::conn::{LogRecord, Reading};
use super::cursor::Cursor;
use super::sealing::Opener;
use super::Db;
use crate::with_pool;

/// Up to `limit` events after `after`, in log order, their personal data opened.
pub async fn read_after(
    db: &Db,
    opener: &mut Opener,
    after: Cursor,
    limit: i64,
    reading: Reading,
) -> Result<Vec<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => {
        let mut conn = pool.acquire().await?;
        let mut records = conn.read_after(after, limit, reading).await?;
        let payloads = records.iter_mut().map(|record| &mut record.payload);
        opener.open_payloads(&mut *conn, payloads).await?;
        Ok(records)
    })
}

/// The event at `position`, its personal data opened.
pub async fn read_at(
    db: &Db,
    opener: &mut Opener,
    position: i64,
) -> Result<Option<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => {
        let mut conn = pool.acquire().await?;
        let mut record = conn.read_at(position).await?;
        let payloads = record.iter_mut().map(|record| &mut record.payload);
        opener.open_payloads(&mut *conn, payloads).await?;
        Ok(record)
    })
}

/// The highest position in the log (0 when empty).
pub async fn last_position(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COALESCE(MAX(position), 0) FROM events";
    with_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await)
}

/// How many events the log holds.
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(pool).await)
}

/// Whether the account `user_id` has been deleted (its log holds `AccountDeleted`).
pub async fn account_deleted(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT count(*) FROM events WHERE aggregate_type = 'User' \
        AND aggregate_id = $1 AND event_type = 'AccountDeleted'";
    let found: i64 =
        with_pool!(db, pool => sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await?);
    Ok(found > 0)
}
