//! Appending the events of a command (or of two committed together), with the views folded
//! over them in the same transaction, so the caller reads its own write the moment the
//! commit returns.

use clara_projections::ViewSet;
use cqrs_es::persist::SerializedEvent;

use super::conn::Conn;
use super::fold::{fold_pending, BATCH};
use super::sealing::seal_rows;
use super::{Db, StoreError};
use crate::privacy::keys::Keyring;
use crate::with_pool;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another command on the same aggregate committed first.
    #[error("another command on this aggregate committed first")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Commits `events` (each aggregate's in a run of its own) and folds the views over them. Returns the views folded, as committed;
/// none when the views lacked more than one batch, which the projector then folds.
pub async fn append(
    db: &Db,
    keyring: &Keyring,
    events: &[SerializedEvent],
) -> Result<Option<ViewSet>, AppendError> {
    // The append reads (a person's key) before it writes: on SQLite it takes the write lock
    // first, or another process's commit in between would make its first write fail.
    let begin = match db {
        Db::Sqlite(..) => "BEGIN IMMEDIATE",
        Db::Postgres(_) => "BEGIN",
    };
    let appended = with_pool!(&db.writer(), pool => {
        let mut tx = pool.begin_with(begin).await.map_err(StoreError::from)?;
        let sealed = seal_rows(&mut *tx, keyring, events).await.map_err(StoreError::from)?;
        let mut own = Vec::with_capacity(events.len());
        for one in sealed.rows.chunk_by(|a, b| (&a.aggregate_type, &a.aggregate_id) == (&b.aggregate_type, &b.aggregate_id)) {
            match tx.insert_events(one).await {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(AppendError::Conflict),
                logged => own.extend(logged.map_err(StoreError::from)?),
            }
        }
        // The views fold the events as decided, not as sealed.
        for (record, event) in own.iter_mut().zip(events) {
            record.payload = event.payload.clone();
        }
        // Every earlier position has committed and is visible by now: on PostgreSQL the
        // insert holds the append lock, on SQLite the single writer.
        let folded = fold_pending(&mut *tx, keyring, &own, BATCH).await.map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        for (person, key) in &sealed.keys {
            keyring.kept().keep(person, key);
        }
        folded
    });
    Ok(appended.map(|folded| folded.views))
}
