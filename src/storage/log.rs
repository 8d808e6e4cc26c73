//! Reading the event log in commit order, across every aggregate.

use serde_json::Value;

use super::Db;
use crate::with_pool;

/// One row of the event log.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at_ms: i64,
}

const SELECT_AFTER: &str = "SELECT position, aggregate_type, aggregate_id, sequence, \
    event_type, event_version, payload, metadata, recorded_at \
    FROM events WHERE position > ? ORDER BY position LIMIT ?";

/// Up to `limit` events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> Result<Vec<LogRecord>, sqlx::Error> {
    let sql = db.sql(SELECT_AFTER);
    with_pool!(db, pool => {
        let rows = sqlx::query(&sql).bind(position).bind(limit).fetch_all(pool).await?;
        rows.iter().map(|row| {
            use sqlx::Row as _;
            Ok(LogRecord {
            position: row.try_get("position")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
                recorded_at_ms: row.try_get("recorded_at")?,
            })
        }).collect()
    })
}
