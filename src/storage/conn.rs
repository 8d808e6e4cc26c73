//! The log, view and checkpoint statements on one connection of either backend, so that a fold
//! can run inside whichever transaction its caller holds: the projector's own, or the one that
//! appends a command's events.

use std::future::Future;

use cqrs_es::persist::SerializedEvent;
use sqlx::{PgConnection, SqliteConnection};

use super::db::numbered;
use super::log::LogRecord;
use super::views::Row;

pub trait Conn: Send {
    /// Inserts one aggregate's events into the log and returns them as logged (position and
    /// time recorded); a unique violation means another command on the aggregate came first.
    fn insert_events(
        &mut self,
        events: &[SerializedEvent],
    ) -> impl Future<Output = Result<Vec<LogRecord>, sqlx::Error>> + Send;

    /// Up to `limit` events after `position`, oldest first.
    fn read_after(
        &mut self,
        position: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LogRecord>, sqlx::Error>> + Send;

    /// The stored JSON of view `id` in `table`.
    fn view_data(
        &mut self,
        table: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;

    /// Inserts or replaces `rows` of `table` in one statement.
    fn upsert(
        &mut self,
        table: &str,
        rows: &[Row],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Where checkpoint `name` stands.
    fn checkpoint(&mut self, name: &str) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// Where checkpoint `name` stands, with its row locked until the transaction ends.
    fn lock_checkpoint(
        &mut self,
        name: &str,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// Moves checkpoint `name` from `expected` to `position`; false if it was elsewhere.
    fn advance_checkpoint(
        &mut self,
        name: &str,
        expected: i64,
        position: i64,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Moves checkpoint `name` to `position` if no event lies between it and position
    /// `first`; false otherwise.
    fn advance_to_own(
        &mut self,
        name: &str,
        first: i64,
        position: i64,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Sets checkpoint `name` to `position` and empties `tables`, for a rebuild.
    fn reset(
        &mut self,
        name: &str,
        position: i64,
        tables: &[&str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

const INSERT_EVENTS: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, \
    event_type, event_version, payload, metadata) VALUES";
const SELECT_APPENDED: &str = "SELECT sequence, position, recorded_at FROM events \
    WHERE aggregate_type = ? AND aggregate_id = ? AND sequence >= ?";
const SELECT_AFTER: &str = "SELECT position, aggregate_type, aggregate_id, event_type, \
    payload, recorded_at FROM events WHERE position > ? ORDER BY position LIMIT ?";
const SELECT_CHECKPOINT: &str = "SELECT position FROM projector_checkpoints WHERE name = ?";
// An update that changes nothing takes the row lock on both backends (SQLite has no FOR UPDATE).
const LOCK_CHECKPOINT: &str = "UPDATE projector_checkpoints SET position = position \
    WHERE name = ? RETURNING position";
const ADVANCE_CHECKPOINT: &str =
    "UPDATE projector_checkpoints SET position = ? WHERE name = ? AND position = ?";
pub(super) const ADVANCE_TO_OWN: &str = "UPDATE projector_checkpoints SET position = ? WHERE name = ? \
    AND NOT EXISTS (SELECT 1 FROM events WHERE position > projector_checkpoints.position AND position < ?)";
/// The columns of every view table, and what an upsert of a view row does to an existing one.
pub(super) const VIEW_COLUMNS: &str = "(id, owner, sort_key, position, data)";
pub(super) const REPLACE_VIEW: &str = "ON CONFLICT (id) DO UPDATE SET \
    sort_key = excluded.sort_key, position = excluded.position, data = excluded.data";
const SET_CHECKPOINT: &str = "UPDATE projector_checkpoints SET position = ? WHERE name = ?";

/// Runs a conditional checkpoint move bound as (position, name, condition); true if it moved.
macro_rules! move_checkpoint {
    ($conn:ident, $query:expr, $position:expr, $name:expr, $condition:expr) => {
        sqlx::query(&$query)
            .bind($position)
            .bind($name)
            .bind($condition)
            .execute(&mut *$conn)
            .await
            .map(|done| done.rows_affected() == 1)
    };
}

/// The statements, written once and compiled for each backend's connection type; `$sql`
/// turns a query's `?` placeholders into the backend's own.
macro_rules! conn_impl {
    ($conn:ty, $sql:path, positions_after_insert: $positions_after_insert:expr) => {
        impl Conn for $conn {
            async fn insert_events(
                &mut self,
                events: &[SerializedEvent],
            ) -> Result<Vec<LogRecord>, sqlx::Error> {
                let Some(first) = events.first() else {
                    return Ok(Vec::new());
                };
                let values = vec!["(?, ?, ?, ?, ?, ?, ?)"; events.len()].join(", ");
                let sql = $sql(&format!(
                    "{INSERT_EVENTS} {values} RETURNING sequence, position, recorded_at"
                ));
                let mut insert = sqlx::query_as(&sql);
                for event in events {
                    let sequence = i64::try_from(event.sequence)
                        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                    insert = insert
                        .bind(&event.aggregate_type)
                        .bind(&event.aggregate_id)
                        .bind(sequence)
                        .bind(&event.event_type)
                        .bind(&event.event_version)
                        .bind(&event.payload)
                        .bind(&event.metadata);
                }
                let mut logged: Vec<(i64, Option<i64>, i64)> = insert.fetch_all(&mut *self).await?;
                if $positions_after_insert {
                    // The position comes from a trigger that runs after RETURNING has its values.
                    logged = sqlx::query_as(&$sql(SELECT_APPENDED))
                        .bind(&first.aggregate_type)
                        .bind(&first.aggregate_id)
                        .bind(
                            i64::try_from(first.sequence)
                                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
                        )
                        .fetch_all(&mut *self)
                        .await?;
                }
                logged.sort_by_key(|(sequence, ..)| *sequence);
                events
                    .iter()
                    .zip(logged)
                    .map(|(event, (_, position, recorded_at))| {
                        Ok(LogRecord {
                            position: position.ok_or_else(|| {
                                sqlx::Error::Protocol("an appended event has no position".into())
                            })?,
                            aggregate_type: event.aggregate_type.clone(),
                            aggregate_id: event.aggregate_id.clone(),
                            event_type: event.event_type.clone(),
                            payload: event.payload.clone(),
                            recorded_at_ms: recorded_at,
                        })
                    })
                    .collect()
            }

            async fn read_after(
                &mut self,
                position: i64,
                limit: i64,
            ) -> Result<Vec<LogRecord>, sqlx::Error> {
                use sqlx::Row as _;
                let rows = sqlx::query(&$sql(SELECT_AFTER))
                    .bind(position)
                    .bind(limit)
                    .fetch_all(&mut *self)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(LogRecord {
                            position: row.try_get("position")?,
                            aggregate_type: row.try_get("aggregate_type")?,
                            aggregate_id: row.try_get("aggregate_id")?,
                            event_type: row.try_get("event_type")?,
                            payload: row.try_get("payload")?,
                            recorded_at_ms: row.try_get("recorded_at")?,
                        })
                    })
                    .collect()
            }

            async fn view_data(
                &mut self,
                table: &str,
                id: &str,
            ) -> Result<Option<String>, sqlx::Error> {
                let sql = $sql(&format!("SELECT data FROM {table} WHERE id = ?"));
                sqlx::query_scalar(&sql)
                    .bind(id)
                    .fetch_optional(&mut *self)
                    .await
            }

            async fn upsert(&mut self, table: &str, rows: &[Row]) -> Result<(), sqlx::Error> {
                let values = vec!["(?, ?, ?, ?, ?)"; rows.len()].join(", ");
                let sql = $sql(&format!(
                    "INSERT INTO {table} {VIEW_COLUMNS} VALUES {values} {REPLACE_VIEW}"
                ));
                let mut upsert = sqlx::query(&sql);
                for (id, owner, sort_key, position, data) in rows {
                    upsert = upsert
                        .bind(id)
                        .bind(owner)
                        .bind(sort_key)
                        .bind(position)
                        .bind(data);
                }
                upsert.execute(&mut *self).await.map(drop)
            }

            async fn checkpoint(&mut self, name: &str) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar(&$sql(SELECT_CHECKPOINT))
                    .bind(name)
                    .fetch_one(&mut *self)
                    .await
            }

            async fn lock_checkpoint(&mut self, name: &str) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar(&$sql(LOCK_CHECKPOINT))
                    .bind(name)
                    .fetch_one(&mut *self)
                    .await
            }

            async fn advance_checkpoint(
                &mut self,
                name: &str,
                expected: i64,
                position: i64,
            ) -> Result<bool, sqlx::Error> {
                move_checkpoint!(self, $sql(ADVANCE_CHECKPOINT), position, name, expected)
            }

            async fn advance_to_own(
                &mut self,
                name: &str,
                first: i64,
                position: i64,
            ) -> Result<bool, sqlx::Error> {
                move_checkpoint!(self, $sql(ADVANCE_TO_OWN), position, name, first)
            }

            async fn reset(
                &mut self,
                name: &str,
                position: i64,
                tables: &[&str],
            ) -> Result<(), sqlx::Error> {
                sqlx::query(&$sql(SET_CHECKPOINT))
                    .bind(position)
                    .bind(name)
                    .execute(&mut *self)
                    .await?;
                for table in tables {
                    sqlx::query(&format!("DELETE FROM {table}"))
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }
        }
    };
}

fn verbatim(query: &str) -> String {
    query.to_string()
}

conn_impl!(SqliteConnection, verbatim, positions_after_insert: true);
conn_impl!(PgConnection, numbered, positions_after_insert: false);
