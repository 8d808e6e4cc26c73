//! Reading the event log in commit order, across every aggregate.

use serde_json::Value;

use super::conn::Conn;
use super::Db;
use crate::with_pool;

/// One row of the event log, as the projector and the mailer read it.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub payload: Value,
    pub recorded_at_ms: i64,
}

/// Up to `limit` events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> Result<Vec<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => pool.acquire().await?.read_after(position, limit).await)
}
