//! Reading the event log in commit order, across every aggregate.

use super::conn::Conn;
pub use super::conn::LogRecord;
use super::sealing::Opener;
use super::Db;
use crate::with_pool;

/// Up to `limit` events after `position`, oldest first, their personal data opened.
pub async fn read_after(
    db: &Db,
    opener: &mut Opener,
    position: i64,
    limit: i64,
) -> Result<Vec<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => {
        let mut conn = pool.acquire().await?;
        let mut records = conn.read_after(position, limit).await?;
        let payloads = records.iter_mut().map(|record| &mut record.payload);
        opener.open_payloads(&mut *conn, payloads).await?;
        Ok(records)
    })
}

/// Whether the account `user_id` has been deleted (its log holds `AccountDeleted`).
pub async fn account_deleted(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT count(*) FROM events WHERE aggregate_type = 'User' \
        AND aggregate_id = $1 AND event_type = 'AccountDeleted'";
    let found: i64 =
        with_pool!(db, pool => sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await?);
    Ok(found > 0)
}
