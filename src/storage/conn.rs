//! The log, view and checkpoint statements on one connection of either backend, so that a fold
//! can run inside whichever transaction its caller holds: the projector's own, or the one that
//! appends a command's events.

use std::future::Future;

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;
use sqlx::{PgConnection, SqliteConnection};

use clara_projections::Row;

use super::cursor::{Cursor, AFTER, ORDER, SETTLED_POSTGRES};

/// One row of the event log, as the projector and the mailer read it.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub xact_id: i64,
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub recorded_at_ms: i64,
    /// Whether the transaction that wrote it folded it into the views.
    pub folded: bool,
}

impl LogRecord {
    /// The event's place in the log.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            xact_id: self.xact_id,
            position: self.position,
        }
    }
}

/// Which events past a cursor a reader wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every event committed so far: for a reader that knows no append is running (a
    /// rebuild keeps them out) or checks afterwards that none committed (a verification).
    All,
    /// Only as far as no event can still commit before the last one read (see `cursor`):
    /// for a reader that keeps its place and moves on from it.
    Settled,
    /// [`Reading::Settled`], of the events their writer did not fold into the views.
    LeftToFold,
}

pub trait Conn: Send {
    /// Inserts one aggregate's events into the log and returns them as logged (position and
    /// time recorded); a unique violation means another command on the aggregate came first.
    fn insert_events(
        &mut self,
        events: &[SerializedEvent],
    ) -> impl Future<Output = Result<Vec<LogRecord>, sqlx::Error>> + Send;

    /// Up to `limit` events after `after`, in log order.
    fn read_after(
        &mut self,
        after: Cursor,
        limit: i64,
        reading: Reading,
    ) -> impl Future<Output = Result<Vec<LogRecord>, sqlx::Error>> + Send;

    /// The event at `position`.
    fn read_at(
        &mut self,
        position: i64,
    ) -> impl Future<Output = Result<Option<LogRecord>, sqlx::Error>> + Send;

    /// Keeps every append out until the transaction ends (on SQLite, a transaction that
    /// began `IMMEDIATE` has done so already).
    fn exclude_appends(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// The stored JSON of view `id` in `table`, its row locked until the transaction ends:
    /// two commits that change one view apply their changes one after the other.
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
    ) -> impl Future<Output = Result<Cursor, sqlx::Error>> + Send;

    /// Moves checkpoint `name`, locked by this transaction, to `to`.
    fn move_checkpoint(
        &mut self,
        name: &str,
        to: Cursor,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

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

    /// Sets checkpoint `name` to `to` and empties `tables`, for a rebuild.
    fn reset(
        &mut self,
        name: &str,
        to: Cursor,
        tables: &[&str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Events inserted per statement at most (seven parameters each).
const INSERT_CHUNK: usize = 500;
// Every command folds its own events into the views as it appends them.
const INSERT_EVENTS: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, \
    event_type, event_version, payload, metadata, folded) VALUES";
const SELECT_APPENDED: &str = "SELECT sequence, position, recorded_at, xact_id FROM events \
    WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence >= $3";
const RECORD_COLUMNS: &str = "SELECT xact_id, position, aggregate_type, aggregate_id, \
    event_type, event_version, payload, recorded_at, folded FROM events";
// An update that changes nothing takes the row lock on both backends (SQLite has no FOR UPDATE).
const LOCK_CHECKPOINT: &str = "UPDATE projector_checkpoints SET position = position \
    WHERE name = $1 RETURNING xact_id, position";
const SET_CHECKPOINT: &str =
    "UPDATE projector_checkpoints SET xact_id = $1, position = $2 WHERE name = $3";
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

/// A [`LogRecord`] from a row of [`RECORD_COLUMNS`].
macro_rules! record_of {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        Ok::<_, sqlx::Error>(LogRecord {
            xact_id: row.try_get("xact_id")?,
            position: row.try_get("position")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            recorded_at_ms: row.try_get("recorded_at")?,
            folded: row.try_get("folded")?,
        })
    }};
}

/// The statements, written once with `$N` placeholders (which both backends read) and
/// compiled for each backend's connection type.
macro_rules! conn_impl {
    ($conn:ty, positions_after_insert: $positions_after_insert:expr, one_statement: $one_statement:expr,
     settled: $settled:expr, lock_row: $lock_row:expr, exclude_appends: $exclude_appends:expr) => {
        impl Conn for $conn {
            async fn insert_events(
                &mut self,
                events: &[SerializedEvent],
            ) -> Result<Vec<LogRecord>, sqlx::Error> {
                let Some(first) = events.first() else {
                    return Ok(Vec::new());
                };
                let mut logged: Vec<(i64, Option<i64>, i64, i64)> = Vec::with_capacity(events.len());
                // Each statement stays far below both backends' limit on bound parameters.
                for chunk in events.chunks(INSERT_CHUNK) {
                    let values = placeholders(chunk.len(), 7).replace(')', ", TRUE)");
                    let sql = format!(
                        "{INSERT_EVENTS} {values} RETURNING sequence, position, recorded_at, xact_id"
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
                    let rows: Vec<(i64, Option<i64>, i64, i64)> = insert.fetch_all(&mut *self).await?;
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
                    .map(|(event, (_, position, recorded_at, xact_id))| {
                        Ok(LogRecord {
                            xact_id,
                            position: position.ok_or_else(|| {
                                sqlx::Error::Protocol("an appended event has no position".into())
                            })?,
                            aggregate_type: event.aggregate_type.clone(),
                            aggregate_id: event.aggregate_id.clone(),
                            event_type: event.event_type.clone(),
                            event_version: event.event_version.clone(),
                            payload: event.payload.clone(),
                            recorded_at_ms: recorded_at,
                            folded: true,
                        })
                    })
                    .collect()
            }

            async fn read_after(
                &mut self,
                after: Cursor,
                limit: i64,
                reading: Reading,
            ) -> Result<Vec<LogRecord>, sqlx::Error> {
                let only = match reading {
                    Reading::All => String::new(),
                    Reading::Settled => $settled.to_string(),
                    Reading::LeftToFold => format!(" AND NOT folded{}", $settled),
                };
                let sql = format!("{RECORD_COLUMNS} WHERE {AFTER}{only} {ORDER} LIMIT $3");
                let rows = sqlx::query(&sql)
                    .bind(after.xact_id)
                    .bind(after.position)
                    .bind(limit)
                    .fetch_all(&mut *self)
                    .await?;
                rows.iter().map(|row| record_of!(row)).collect()
            }

            async fn read_at(&mut self, position: i64) -> Result<Option<LogRecord>, sqlx::Error> {
                let sql = format!("{RECORD_COLUMNS} WHERE position = $1");
                let row = sqlx::query(&sql)
                    .bind(position)
                    .fetch_optional(&mut *self)
                    .await?;
                row.as_ref().map(|row| record_of!(row)).transpose()
            }

            async fn exclude_appends(&mut self) -> Result<(), sqlx::Error> {
                if let Some(statement) = $exclude_appends {
                    sqlx::query(statement).execute(&mut *self).await?;
                }
                Ok(())
            }

            async fn view_data(
                &mut self,
                table: &str,
                id: &str,
            ) -> Result<Option<String>, sqlx::Error> {
                let sql = format!("SELECT data FROM {table} WHERE id = $1{}", $lock_row);
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

            async fn lock_checkpoint(&mut self, name: &str) -> Result<Cursor, sqlx::Error> {
                let (xact_id, position) = sqlx::query_as(LOCK_CHECKPOINT)
                    .bind(name)
                    .fetch_one(&mut *self)
                    .await?;
                Ok(Cursor { xact_id, position })
            }

            async fn move_checkpoint(&mut self, name: &str, to: Cursor) -> Result<(), sqlx::Error> {
                sqlx::query(SET_CHECKPOINT)
                    .bind(to.xact_id)
                    .bind(to.position)
                    .bind(name)
                    .execute(&mut *self)
                    .await
                    .map(drop)
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
                to: Cursor,
                tables: &[&str],
            ) -> Result<(), sqlx::Error> {
                self.move_checkpoint(name, to).await?;
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

conn_impl!(SqliteConnection, positions_after_insert: true, one_statement: false,
    settled: "", lock_row: "", exclude_appends: None::<&str>);
// Writing every view a commit changes in one statement saves PostgreSQL a round trip per
// extra view, each costing the server about what the statement itself does: a registration
// writes three views. SQLite runs in-process and has no data-modifying CTEs.
conn_impl!(PgConnection, positions_after_insert: false, one_statement: true,
    settled: SETTLED_POSTGRES, lock_row: " FOR UPDATE",
    exclude_appends: Some("SELECT pg_advisory_xact_lock(clara_append_lock_key())"));
