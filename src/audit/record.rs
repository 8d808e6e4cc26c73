//! One event as history and export show it: who caused it, through which request, and its
//! data in the current shape with every secret field redacted.

use clara_aggregates::redaction::{decisions, shown};
use clara_aggregates::upcast::upcast;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;

use crate::clock::http_date;
use crate::storage::cursor::Cursor;

/// The columns [`AuditEvent::from_row`] reads.
pub const COLUMNS: &str =
    "xact_id, position, aggregate_type, aggregate_id, event_type, event_version, payload, metadata, recorded_at";

/// An event as shown; fields in alphabetical order, as the contract writes objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub actor: Option<String>,
    pub aggregate: String,
    pub aggregate_id: String,
    pub data: Map<String, Value>,
    pub position: i64,
    /// With `position`, the event's place in the log's order (see `storage::cursor`).
    #[serde(skip)]
    pub xact_id: i64,
    pub recorded_at: String,
    pub request_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

impl AuditEvent {
    /// The event's place in the log.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            xact_id: self.xact_id,
            position: self.position,
        }
    }

    /// Reads a row of [`COLUMNS`] from either backend.
    pub fn from_row<R: Row>(row: &R) -> Result<Self, sqlx::Error>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> Value: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let aggregate: String = row.try_get("aggregate_type")?;
        let kind: String = row.try_get("event_type")?;
        let version: String = row.try_get("event_version")?;
        let payload = upcast(&aggregate, &kind, &version, row.try_get("payload")?);
        let metadata: Value = row.try_get("metadata")?;
        let text = |key: &str| metadata[key].as_str().map(str::to_string);
        Ok(AuditEvent {
            actor: text("actor"),
            data: shown(decisions(&aggregate), &kind, payload),
            aggregate_id: row.try_get("aggregate_id")?,
            position: row.try_get("position")?,
            xact_id: row.try_get("xact_id")?,
            recorded_at: http_date(row.try_get("recorded_at")?),
            request_id: text("request_id"),
            aggregate,
            kind,
        })
    }
}
