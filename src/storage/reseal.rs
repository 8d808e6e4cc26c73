//! The one-time sealing of a log written before personal data was sealed: each event whose
//! personal values are in clear is rewritten with them sealed under its person's key (or
//! erased, for a person whose account was already deleted). A checkpoint keeps the place, so
//! each start reads only what was appended since.

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use super::conn::Conn;
use super::cursor::{self, Cursor, ORDER};
use super::sealing::{person_of, personal_values, seal_rows};
use super::Db;
use crate::privacy::keys::{sealed_by, Keyring};
use crate::with_pool;

const CHECKPOINT: &str = "sealed";
const BATCH: i64 = 500;
const READ: &str = "SELECT xact_id, position, aggregate_type, aggregate_id, event_type, payload, \
    metadata FROM events WHERE (xact_id, position) > ($1, $2)";
const REWRITE: &str = "UPDATE events SET payload = $1, metadata = $2 WHERE position = $3";
const DELETED: &str = "SELECT count(*) FROM events WHERE aggregate_type = 'User' \
    AND aggregate_id = $1 AND event_type = 'AccountDeleted'";
const ERASED_KEY: &str = "INSERT INTO person_keys (user_id, wrapped) VALUES ($1, '') \
    ON CONFLICT (user_id) DO NOTHING";

type Row = (i64, i64, String, String, String, Value, Value);

/// Seals every event past the checkpoint that holds personal values in clear; returns how
/// many were rewritten.
pub async fn seal_log(db: &Db, keyring: &Keyring) -> anyhow::Result<usize> {
    let mut rewritten = 0;
    // Only as far as nothing can commit behind the checkpoint (a process of an older release
    // writing in clear, say): see `cursor`.
    cursor::settle(db).await?;
    let read = format!("{READ}{} {ORDER} LIMIT $3", cursor::settled(db));
    loop {
        let (count, read) = with_pool!(&db.writer(), pool => {
            let mut tx = pool.begin().await?;
            let from = tx.lock_checkpoint(CHECKPOINT).await?;
            let rows: Vec<Row> = sqlx::query_as(&read).bind(from.xact_id).bind(from.position).bind(BATCH)
                .fetch_all(&mut *tx).await?;
            let mut count = 0;
            for (_, position, aggregate_type, aggregate_id, event_type, payload, metadata) in &rows {
                let row = SerializedEvent {
                    aggregate_id: aggregate_id.clone(),
                    event_type: event_type.clone(),
                    aggregate_type: aggregate_type.clone(),
                    payload: payload.clone(),
                    metadata: metadata.clone(),
                    sequence: 0,
                    event_version: String::new(),
                };
                if !in_clear(&row) {
                    continue;
                }
                // A person deleted before sealing existed gets no key: their data is erased.
                if let Some(person) = person_of(&row) {
                    let deleted: i64 = sqlx::query_scalar(DELETED).bind(&person).fetch_one(&mut *tx).await?;
                    if deleted > 0 {
                        sqlx::query(ERASED_KEY).bind(&person).execute(&mut *tx).await?;
                    }
                }
                let sealed = seal_rows(&mut *tx, keyring, std::slice::from_ref(&row)).await?;
                sqlx::query(REWRITE).bind(&sealed.rows[0].payload).bind(&sealed.rows[0].metadata).bind(position)
                    .execute(&mut *tx).await?;
                count += 1;
            }
            if let Some((xact_id, position, ..)) = rows.last() {
                tx.move_checkpoint(CHECKPOINT, Cursor { xact_id: *xact_id, position: *position }).await?;
            }
            tx.commit().await?;
            (count, rows.len())
        });
        rewritten += count;
        if (read as i64) < BATCH {
            break;
        }
    }
    if rewritten > 0 {
        tracing::info!(events = rewritten, "personal data of earlier events sealed");
    }
    Ok(rewritten)
}

/// Whether `row` holds personal values and none of them is sealed (as every event written
/// before sealing existed, and none since).
fn in_clear(row: &SerializedEvent) -> bool {
    let values = personal_values(row);
    !values.is_empty() && values.iter().all(|value| sealed_by(value).is_none())
}
