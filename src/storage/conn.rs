//! The log, view and checkpoint statements on one connection of either backend, so that a fold
//! can run inside whichever transaction its caller holds: the projector's own, or the one that
//! appends a command's events.

use std::future::Future;

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;
use sqlx::{PgConnection, SqliteConnection};

use clara_projections::Row;

/// One row of the event log, as the projector and the mailer read it.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub recorded_at_ms: i64,
}

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

    /// Inserts or replaces view rows, each slice of its table.
    fn upsert(
        &mut self,
        tables: &[(&str, &[Row])],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

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

    /// The wrapped keys of those of `user_ids` that have a key row (empty once destroyed).
    fn person_keys(
        &mut self,
        user_ids: &[String],
    ) -> impl Future<Output = Result<Vec<(String, String)>, sqlx::Error>> + Send;

    /// Keeps the wrapped key of `user_id`, unless it has one already; true if it was kept.
    fn add_person_key(
        &mut self,
        user_id: &str,
        wrapped: &str,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Deletes what is kept of a deleted account outside the log: the rows `owner` owns in
    /// `tables`, the delivery records of the mail sent to them, their snapshot, and their
    /// data key: what the log holds sealed under it can no longer be read.
    fn forget_owner(
        &mut self,
        owner: &str,
        tables: &[&str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Sets checkpoint `name` to `position` and empties `tables`, for a rebuild.
    fn reset(
        &mut self,
        name: &str,
        position: i64,
        tables: &[&str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Events inserted per statement at most (seven parameters each).
const INSERT_CHUNK: usize = 500;
const INSERT_EVENTS: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, \
    event_type, event_version, payload, metadata) VALUES";
const SELECT_APPENDED: &str = "SELECT sequence, position, recorded_at FROM events \
    WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence >= $3";
const SELECT_AFTER: &str = "SELECT position, aggregate_type, aggregate_id, event_type, \
    event_version, payload, recorded_at FROM events WHERE position > $1 ORDER BY position LIMIT $2";
// An update that changes nothing takes the row lock on both backends (SQLite has no FOR UPDATE).
const LOCK_CHECKPOINT: &str = "UPDATE projector_checkpoints SET position = position \
    WHERE name = $1 RETURNING position";
const ADVANCE_CHECKPOINT: &str =
    "UPDATE projector_checkpoints SET position = $1 WHERE name = $2 AND position = $3";
const ADVANCE_TO_OWN: &str = "UPDATE projector_checkpoints SET position = $1 WHERE name = $2 \
    AND NOT EXISTS (SELECT 1 FROM events WHERE position > projector_checkpoints.position AND position < $3)";
/// The columns of every view table, and what an upsert of a view row does to an existing one.
const VIEW_COLUMNS: &str = "(id, owner, sort_key, position, data)";
const REPLACE_VIEW: &str = "ON CONFLICT (id) DO UPDATE SET \
    sort_key = excluded.sort_key, position = excluded.position, data = excluded.data";
const ADD_PERSON_KEY: &str = "INSERT INTO person_keys (user_id, wrapped) VALUES ($1, $2) \
    ON CONFLICT (user_id) DO NOTHING";
/// What a deleted account leaves outside the log and the views: the records of its mail, and
/// its aggregate's snapshot, which holds the address. The snapshot becomes an empty one at the
/// last sequence there can be, so that a snapshot another process saves late is refused (a
/// save never moves a snapshot backwards) and loading ignores it (it does not parse).
const FORGET_OUTSIDE_VIEWS: [&str; 3] = [
    "INSERT INTO person_keys (user_id, wrapped) VALUES ($1, '') \
        ON CONFLICT (user_id) DO UPDATE SET wrapped = ''",
    "DELETE FROM mail_deliveries WHERE position IN \
        (SELECT position FROM events WHERE aggregate_type = 'User' AND aggregate_id = $1)",
    "INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, sequence, payload) \
        VALUES ('User', $1, 9223372036854775807, '{}') ON CONFLICT (aggregate_type, aggregate_id) \
        DO UPDATE SET sequence = excluded.sequence, payload = excluded.payload",
];
const SET_CHECKPOINT: &str = "UPDATE projector_checkpoints SET position = $1 WHERE name = $2";

/// Runs a conditional checkpoint move bound as (position, name, condition); true if it moved.
macro_rules! move_checkpoint {
    ($conn:ident, $query:expr, $position:expr, $name:expr, $condition:expr) => {
        sqlx::query($query)
            .bind($position)
            .bind($name)
            .bind($condition)
            .execute(&mut *$conn)
            .await
            .map(|done| done.rows_affected() == 1)
    };
}

/// The statements, written once with `$N` placeholders (which both backends read) and
/// compiled for each backend's connection type.
macro_rules! conn_impl {
    ($conn:ty, positions_after_insert: $positions_after_insert:expr, one_statement: $one_statement:expr) => {
        impl Conn for $conn {
            async fn insert_events(
                &mut self,
                events: &[SerializedEvent],
            ) -> Result<Vec<LogRecord>, sqlx::Error> {
                let Some(first) = events.first() else {
                    return Ok(Vec::new());
                };
                let mut logged: Vec<(i64, Option<i64>, i64)> = Vec::with_capacity(events.len());
                // Each statement stays far below both backends' limit on bound parameters.
                for chunk in events.chunks(INSERT_CHUNK) {
                    let values = placeholders(chunk.len(), 7);
                    let sql = format!(
                        "{INSERT_EVENTS} {values} RETURNING sequence, position, recorded_at"
                    );
                    let mut insert = sqlx::query_as(&sql);
                    for event in chunk {
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
                    let rows: Vec<(i64, Option<i64>, i64)> = insert.fetch_all(&mut *self).await?;
                    logged.extend(rows);
                }
                if $positions_after_insert {
                    // The position comes from a trigger that runs after RETURNING has its values.
                    logged = sqlx::query_as(SELECT_APPENDED)
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
                            event_version: event.event_version.clone(),
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
                let rows = sqlx::query(SELECT_AFTER)
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
                            event_version: row.try_get("event_version")?,
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
                let sql = format!("SELECT data FROM {table} WHERE id = $1");
                sqlx::query_scalar(&sql)
                    .bind(id)
                    .fetch_optional(&mut *self)
                    .await
            }

            async fn upsert(&mut self, tables: &[(&str, &[Row])]) -> Result<(), sqlx::Error> {
                let groups: Vec<&[(&str, &[Row])]> = if $one_statement {
                    vec![tables]
                } else {
                    tables.chunks(1).collect()
                };
                for group in groups {
                    let sql = upsert_sql(group);
                    let mut upsert = sqlx::query(&sql);
                    for row in group.iter().flat_map(|(_, rows)| rows.iter()) {
                        upsert = upsert
                            .bind(&row.id)
                            .bind(&row.owner)
                            .bind(row.sort_key)
                            .bind(row.position)
                            .bind(&row.data);
                    }
                    upsert.execute(&mut *self).await?;
                }
                Ok(())
            }

            async fn lock_checkpoint(&mut self, name: &str) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar(LOCK_CHECKPOINT)
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
                move_checkpoint!(self, ADVANCE_CHECKPOINT, position, name, expected)
            }

            async fn advance_to_own(
                &mut self,
                name: &str,
                first: i64,
                position: i64,
            ) -> Result<bool, sqlx::Error> {
                move_checkpoint!(self, ADVANCE_TO_OWN, position, name, first)
            }

            async fn person_keys(
                &mut self,
                user_ids: &[String],
            ) -> Result<Vec<(String, String)>, sqlx::Error> {
                if user_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let list = (1..=user_ids.len())
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>();
                let sql = format!(
                    "SELECT user_id, wrapped FROM person_keys WHERE user_id IN ({})",
                    list.join(", ")
                );
                let mut query = sqlx::query_as(&sql);
                for user_id in user_ids {
                    query = query.bind(user_id);
                }
                query.fetch_all(&mut *self).await
            }

            async fn add_person_key(
                &mut self,
                user_id: &str,
                wrapped: &str,
            ) -> Result<bool, sqlx::Error> {
                sqlx::query(ADD_PERSON_KEY)
                    .bind(user_id)
                    .bind(wrapped)
                    .execute(&mut *self)
                    .await
                    .map(|done| done.rows_affected() == 1)
            }

            async fn forget_owner(
                &mut self,
                owner: &str,
                tables: &[&str],
            ) -> Result<(), sqlx::Error> {
                for table in tables {
                    sqlx::query(&format!("DELETE FROM {table} WHERE owner = $1"))
                        .bind(owner)
                        .execute(&mut *self)
                        .await?;
                }
                for statement in FORGET_OUTSIDE_VIEWS {
                    sqlx::query(statement)
                        .bind(owner)
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }

            async fn reset(
                &mut self,
                name: &str,
                position: i64,
                tables: &[&str],
            ) -> Result<(), sqlx::Error> {
                sqlx::query(SET_CHECKPOINT)
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

/// `rows` tuples of `width` placeholders, numbered on: `($1, $2), ($3, $4)` for 2 × 2.
fn placeholders(rows: usize, width: usize) -> String {
    placeholders_from(0, rows, width)
}

/// [`placeholders`] numbered on from `$after + 1`.
fn placeholders_from(after: usize, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let row: Vec<String> = (1..=width)
                .map(|i| format!("${}", after + row * width + i))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One statement that inserts or replaces the rows of every table in `tables`: a plain insert
/// for one table, a data-modifying CTE per table for several (PostgreSQL only).
fn upsert_sql(tables: &[(&str, &[Row])]) -> String {
    let mut bound = 0;
    let inserts: Vec<String> = tables
        .iter()
        .map(|(table, rows)| {
            let values = placeholders_from(bound, rows.len(), 5);
            bound += rows.len() * 5;
            format!("INSERT INTO {table} {VIEW_COLUMNS} VALUES {values} {REPLACE_VIEW}")
        })
        .collect();
    match inserts.as_slice() {
        [one] => one.clone(),
        several => {
            let ctes: Vec<String> = several
                .iter()
                .enumerate()
                .map(|(i, insert)| format!("w{i} AS ({insert})"))
                .collect();
            format!("WITH {} SELECT 1", ctes.join(", "))
        }
    }
}

conn_impl!(SqliteConnection, positions_after_insert: true, one_statement: false);
// Writing every view a commit changes in one statement saves PostgreSQL a round trip per
// extra view, each costing the server about what the statement itself does: a registration
// writes three views. SQLite runs in-process and has no data-modifying CTEs.
conn_impl!(PgConnection, positions_after_insert: false, one_statement: true);
