//! The usual end of an append whose events need no stored view read to fold: move the
//! views' checkpoint over them, write the views they changed and read back the user view
//! the caller answers with. On PostgreSQL that is one statement, since a round trip to the
//! server costs about as much CPU as the statements themselves; SQLite runs in-process and
//! takes them one by one.

use std::future::Future;

use sqlx::{PgConnection, SqliteConnection};

use super::conn::Conn;
use super::fold::{write_rows, UPSERT_CHUNK};
use super::views::Row;

/// The key of the transaction-scoped advisory lock every append takes before it draws a
/// position (see the event log migration).
const APPEND_LOCK: i64 = 7_304_220_101;

pub trait Settle: Conn {
    /// If no event lies between checkpoint `name` and position `first`, moves the checkpoint
    /// to `last`, writes `rows` and returns `Some` with the stored user view `want`, if asked
    /// for and present; `None`, writing nothing, when the checkpoint lies further back.
    fn settle(
        &mut self,
        name: &str,
        positions: (i64, i64),
        rows: &[(&'static str, Vec<Row>)],
        want: Option<&str>,
    ) -> impl Future<Output = Result<Option<Option<String>>, sqlx::Error>> + Send;

    /// Waits until no append is in progress and keeps appends out until this transaction
    /// ends, so that the checkpoint never moves under an append between its statements.
    fn exclude_appends(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Settle for SqliteConnection {
    async fn settle(
        &mut self,
        name: &str,
        positions: (i64, i64),
        rows: &[(&'static str, Vec<Row>)],
        want: Option<&str>,
    ) -> Result<Option<Option<String>>, sqlx::Error> {
        step_by_step(self, name, positions, rows, want).await
    }

    /// The single writer connection already keeps every other write out.
    async fn exclude_appends(&mut self) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

impl Settle for PgConnection {
    async fn settle(
        &mut self,
        name: &str,
        (first, last): (i64, i64),
        rows: &[(&'static str, Vec<Row>)],
        want: Option<&str>,
    ) -> Result<Option<Option<String>>, sqlx::Error> {
        if rows.iter().map(|(_, rows)| rows.len()).sum::<usize>() > UPSERT_CHUNK {
            return step_by_step(self, name, (first, last), rows, want).await;
        }
        // The statement's snapshot sees every other write to the checkpoint and the views:
        // this transaction holds the append lock, which each of those writers takes first.
        let mut sql = String::from(
            "WITH moved AS (UPDATE projector_checkpoints SET position = $1 WHERE name = $2 \
             AND NOT EXISTS (SELECT 1 FROM events WHERE position > projector_checkpoints.position \
             AND position < $3) RETURNING 1)",
        );
        let mut n = 3;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        for (i, (table, rows)) in rows.iter().filter(|(_, rows)| !rows.is_empty()).enumerate() {
            let values: Vec<String> = rows
                .iter()
                .map(|_| {
                    format!(
                        "({}, {}, {}, {}, {})",
                        next(),
                        next(),
                        next(),
                        next(),
                        next()
                    )
                })
                .collect();
            sql.push_str(&format!(
                ", w{i} AS (INSERT INTO {table} (id, owner, sort_key, position, data) \
                 SELECT * FROM (VALUES {}) AS v WHERE EXISTS (SELECT 1 FROM moved) \
                 ON CONFLICT (id) DO UPDATE SET sort_key = excluded.sort_key, \
                 position = excluded.position, data = excluded.data)",
                values.join(", ")
            ));
        }
        sql.push_str(&format!(
            " SELECT EXISTS (SELECT 1 FROM moved), (SELECT data FROM user_views WHERE id = {})",
            next()
        ));
        let mut query = sqlx::query_as(&sql).bind(last).bind(name).bind(first);
        for (id, owner, sort_key, position, data) in rows.iter().flat_map(|(_, rows)| rows) {
            query = query
                .bind(id)
                .bind(owner)
                .bind(sort_key)
                .bind(position)
                .bind(data);
        }
        let (moved, view): (bool, Option<String>) = query.bind(want).fetch_one(&mut *self).await?;
        Ok(moved.then_some(view.filter(|_| want.is_some())))
    }

    async fn exclude_appends(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut *self)
            .await
            .map(drop)
    }
}

/// [`Settle::settle`] one statement at a time.
async fn step_by_step(
    conn: &mut impl Conn,
    name: &str,
    (first, last): (i64, i64),
    rows: &[(&'static str, Vec<Row>)],
    want: Option<&str>,
) -> Result<Option<Option<String>>, sqlx::Error> {
    if !conn.advance_to_own(name, first, last).await? {
        return Ok(None);
    }
    write_rows(conn, rows).await?;
    match want {
        Some(id) => conn.view_data("user_views", id).await.map(Some),
        None => Ok(Some(None)),
    }
}
