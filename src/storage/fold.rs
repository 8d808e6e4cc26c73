//! One fold step on a connection: decode a batch of log records, load the views they touch,
//! apply the events, and write the changed views back — inside whatever transaction the
//! caller holds.

use clara_projections::{LoggedEvent, Recorded, ViewSet};
use serde::de::DeserializeOwned;

use super::conn::Conn;
use super::log::LogRecord;
use super::views::{self, Row};

/// Rows written per upsert statement.
pub const UPSERT_CHUNK: usize = 100;

/// Decoded events folded into the stored views they change, read through `conn`.
pub async fn fold(
    conn: &mut impl Conn,
    decoded: &[(Recorded, LoggedEvent)],
) -> Result<ViewSet, sqlx::Error> {
    let ids = ViewSet::to_load(decoded);
    let mut set = ViewSet::default();
    for id in ids.users {
        let view = stored(conn, "user_views", &id).await?;
        set.users.insert(id, view);
    }
    for id in ids.sessions {
        let view = stored(conn, "session_views", &id).await?;
        set.sessions.insert(id, view);
    }
    for (at, event) in decoded {
        set.apply(at, event);
    }
    Ok(set)
}

/// Writes every view of `set` through `conn`.
pub async fn write(conn: &mut impl Conn, set: &ViewSet) -> anyhow::Result<()> {
    Ok(write_rows(conn, &views::rows(set)?).await?)
}

/// Writes view `rows`, per table, through `conn`.
pub async fn write_rows(
    conn: &mut impl Conn,
    rows: &[(&'static str, Vec<Row>)],
) -> Result<(), sqlx::Error> {
    for (table, rows) in rows {
        for chunk in rows.chunks(UPSERT_CHUNK) {
            conn.upsert(table, chunk).await?;
        }
    }
    Ok(())
}

/// The stored view `id` of `table`, or a fresh one.
async fn stored<V: DeserializeOwned + Default>(
    conn: &mut impl Conn,
    table: &str,
    id: &str,
) -> Result<V, sqlx::Error> {
    match conn.view_data(table, id).await? {
        Some(text) => views::decode(&text),
        None => Ok(V::default()),
    }
}

/// Decodes a batch of log records; an event no code can read stops the fold rather than
/// being skipped, since skipping it would leave every view after it silently wrong.
pub fn decode_all(records: &[LogRecord]) -> anyhow::Result<Vec<(Recorded, LoggedEvent)>> {
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let event =
            LoggedEvent::decode(&record.aggregate_type, record.payload.clone()).map_err(|e| {
                anyhow::anyhow!(
                    "event at position {} ({} {}) cannot be decoded: {e}",
                    record.position,
                    record.aggregate_type,
                    record.event_type
                )
            })?;
        if let Some(event) = event {
            let at = Recorded {
                position: record.position,
                aggregate_id: record.aggregate_id.clone(),
                recorded_at_ms: record.recorded_at_ms,
            };
            out.push((at, event));
        }
    }
    Ok(out)
}
