//! Appending the events of a command (or of two committed together), with the views folded
//! over them in the same transaction, so the caller reads its own write the moment the
//! commit returns.

use clara_projections::ViewSet;
use cqrs_es::persist::SerializedEvent;

use super::conn::Conn;
use super::fold::fold_own;
use super::sealing::seal_rows;
use super::{Db, StoreError};
use crate::privacy::keys::Keyring;
use crate::with_pool;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another command on the same aggregate committed first, or a concurrent commit on a
    /// view this one changes made PostgreSQL abort it (a deadlock): deciding again is safe.
    #[error("another command on this aggregate committed first")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// PostgreSQL's deadlock_detected (two commits waited for each other's rows) and
/// serialization_failure (where a stricter isolation level is the server's default).
const RACES: [&str; 2] = ["40P01", "40001"];

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(e)
                if e.is_unique_violation() || e.code().is_some_and(|c| RACES.contains(&&*c)) =>
            {
                AppendError::Conflict
            }
            _ => AppendError::Store(error.into()),
        }
    }
}

impl From<anyhow::Error> for AppendError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<sqlx::Error>() {
            Ok(error) => error.into(),
            Err(other) => AppendError::Store(StoreError::Internal(other)),
        }
    }
}

/// Commits `events` (each aggregate's in a run of its own) and folds the views over them.
/// Returns the views folded, as committed.
pub async fn append(
    db: &Db,
    keyring: &Keyring,
    events: &[SerializedEvent],
) -> Result<ViewSet, AppendError> {
    let views = with_pool!(&db.writer(), pool => {
        let mut tx = pool.begin_with(db.begin_writing()).await?;
        let sealed = seal_rows(&mut *tx, keyring, events).await?;
        let mut own = Vec::with_capacity(events.len());
        for one in sealed.rows.chunk_by(|a, b| (&a.aggregate_type, &a.aggregate_id) == (&b.aggregate_type, &b.aggregate_id)) {
            own.extend(tx.insert_events(one).await?);
        }
        // The views fold the events as decided, not as sealed.
        for (record, event) in own.iter_mut().zip(events) {
            record.payload = event.payload.clone();
        }
        let views = fold_own(&mut *tx, &own).await?;
        tx.commit().await?;
        for (person, key) in &sealed.keys {
            keyring.kept().keep(person, key);
        }
        views
    });
    Ok(views)
}
