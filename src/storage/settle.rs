//! The usual end of an append whose events need no stored view read to fold: move the
//! views' checkpoint over them, write the views they changed and read back the user view
//! the caller answers with. On PostgreSQL that is one statement, since a round trip to the
//! server costs about as much CPU as the statements themselves; SQLite runs in-process and
//! takes them one by one.

use std::future::Future;

use sqlx::{PgConnection, SqliteConnection};

use super::conn::{Conn, ADVANCE_TO_OWN, REPLACE_VIEW, VIEW_COLUMNS};
use super::fold::{write_rows, UPSERT_CHUNK};
use super::views::Row;

/// How a settle ended.
pub enum Settled {
    /// The checkpoint lies further back than the events before this append: nothing was
    /// written.
    Behind,
    /// The checkpoint moved and the views were written; with the stored data of the user
    /// view asked for, if it exists.
    Folded(Option<String>),
}

pub trait Settle: Conn {
    /// If no event lies between checkpoint `name` and position `first` of `positions`,
    /// moves the checkpoint to `last`, writes `rows` and reads the stored user view `want`.
    fn settle(
        &mut self,
        name: &str,
        positions: (i64, i64),
        rows: &[(&'static str, Vec<Row>)],
        want: Option<&str>,
    ) -> impl Future<Output = Result<Settled, sqlx::Error>> + Send;

    /// Waits until no append is in progress and keeps appends out until this transaction
    /// ends, so that the checkpoint and the views never change under an append.
    fn exclude_appends(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Settle for SqliteConnection {
    async fn settle(
        &mut self,
        name: &str,
        positions: (i64, i64),
        rows: &[(&'static str, Vec<Row>)],
        want: Option<&str>,
    ) -> Result<Settled, sqlx::Error> {
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
    ) -> Result<Settled, sqlx::Error> {
        if rows.iter().map(|(_, rows)| rows.len()).sum::<usize>() > UPSERT_CHUNK {
            return step_by_step(self, name, (first, last), rows, want).await;
        }
        // The statement's snapshot sees every other write to the checkpoint and the views:
        // this transaction holds the append lock, which each of those writers takes first.
        // Binds: last, name and first for the move, five per view row, then `want`.
        let mut sql = format!("WITH moved AS ({ADVANCE_TO_OWN} RETURNING 1)");
        let mut bound = 3;
        let mut next = || {
            bound += 1;
            format!("${bound}")
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
                ", w{i} AS (INSERT INTO {table} {VIEW_COLUMNS} SELECT * FROM (VALUES {}) AS v \
                 WHERE EXISTS (SELECT 1 FROM moved) {REPLACE_VIEW})",
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
        let (moved, wanted): (bool, Option<String>) =
            query.bind(want).fetch_one(&mut *self).await?;
        Ok(if moved {
            Settled::Folded(wanted)
        } else {
            Settled::Behind
        })
    }

    async fn exclude_appends(&mut self) -> Result<(), sqlx::Error> {
        // The key is the database's own, the one every append's trigger takes.
        sqlx::query("SELECT pg_advisory_xact_lock(clara_append_lock_key())")
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
) -> Result<Settled, sqlx::Error> {
    if !conn.advance_to_own(name, first, last).await? {
        return Ok(Settled::Behind);
    }
    write_rows(conn, rows).await?;
    let wanted = match want {
        Some(id) => conn.view_data("user_views", id).await?,
        None => None,
    };
    Ok(Settled::Folded(wanted))
}
