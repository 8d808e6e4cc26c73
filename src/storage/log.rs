//! Reading the event log in commit order, across every aggregate.

use super::conn::Conn;
pub use super::conn::LogRecord;
use super::Db;
use crate::with_pool;

/// Up to `limit` events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> Result<Vec<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => pool.acquire().await?.read_after(position, limit).await)
}
