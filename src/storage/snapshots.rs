//! Aggregate snapshots: the state after a given event, kept so long histories load fast.
//! Written only after the events they reflect have committed, never moved backwards, and
//! ignored when they no longer parse — the log stays the source of truth.

use super::Db;
use crate::with_pool;

/// The stored state of an aggregate and the sequence of the last event in it.
pub async fn load(
    db: &Db,
    aggregate_type: &str,
    id: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    // An empty snapshot is a deleted account's, kept only to refuse late saves.
    let sql = "SELECT sequence, payload FROM aggregate_snapshots \
        WHERE aggregate_type = $1 AND aggregate_id = $2 AND payload <> '{}'";
    with_pool!(db, pool => sqlx::query_as(sql).bind(aggregate_type).bind(id).fetch_optional(pool).await)
}

/// Stores the state after event `sequence`, unless a later one is already stored.
pub async fn save(
    db: &Db,
    aggregate_type: &str,
    id: &str,
    sequence: i64,
    payload: &str,
) -> Result<(), sqlx::Error> {
    let db = db.writer();
    let sql = "INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, sequence, payload) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET sequence = excluded.sequence, \
         payload = excluded.payload WHERE aggregate_snapshots.sequence < excluded.sequence";
    with_pool!(&db, pool => sqlx::query(sql).bind(aggregate_type).bind(id).bind(sequence).bind(payload).execute(pool).await?.rows_affected());
    Ok(())
}
