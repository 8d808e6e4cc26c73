//! Reading the event log in commit order, across every aggregate.

use serde_json::Value;

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

/// Events after a position, oldest first; bind the position, then the maximum count.
pub const SELECT_AFTER: &str = "SELECT position, aggregate_type, aggregate_id, sequence, \
    event_type, event_version, payload, metadata, recorded_at \
    FROM events WHERE position > ? ORDER BY position LIMIT ?";

/// Decodes one row selected with [`SELECT_AFTER`]; written as a macro because a sqlx row type
/// differs per backend while the column names do not.
#[macro_export]
macro_rules! log_record_from_row {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        Ok::<_, sqlx::Error>($crate::storage::log::LogRecord {
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
    }};
}
