//! Appending a command's events and folding them into the views in the same transaction, so
//! the caller reads its own write the moment the commit returns, for the price of one commit.
//!
//! The fold covers every event the views lack, up to one projector batch. When they lack
//! more (after a crash, or while another process appends), the events commit alone and the
//! caller lets the projector catch up instead.

use clara_projections::{LoggedEvent, Recorded, ViewSet};
use cqrs_es::persist::SerializedEvent;

use super::conn::Conn;
use super::projector::{BATCH, CHECKPOINT};
use super::settle::{Settle, Settled};
use super::{fold, views, Db};
use crate::with_pool;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another command on the same aggregate committed first.
    #[error("another command on this aggregate committed first")]
    Conflict,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> Self {
        AppendError::Failed(error.into())
    }
}

/// Commits `events`. When the views include them on return, also returns every view this
/// transaction folded, as committed; in the usual case (see [`settle_own`]) also the user
/// view of `want`, the user the caller answers with, even if the events left it unchanged.
pub async fn append(
    db: &Db,
    events: &[SerializedEvent],
    want: Option<&str>,
) -> Result<Option<ViewSet>, AppendError> {
    with_pool!(&db.writer(), pool => {
        let mut tx = pool.begin().await?;
        let appended = match tx.insert_events(events).await {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(AppendError::Conflict),
            appended => appended?,
        };
        let (Some(first), Some(last)) = (appended.first(), appended.last()) else {
            return Ok(Some(ViewSet::default()));
        };
        // From here on, every earlier position has committed and is visible: on PostgreSQL
        // the insert holds the append lock, on SQLite the single writer.
        let positions = (first.position, last.position);
        let decoded = fold::decode_all(&appended)?;
        let folded = if ViewSet::to_load(&decoded).is_empty() {
            settle_own(&mut *tx, positions, &decoded, want).await?
        } else if tx.advance_to_own(CHECKPOINT, positions.0, positions.1).await? {
            // The views lacked only these events; folding them reads the stored views.
            let set = fold::fold(&mut *tx, &decoded).await?;
            fold::write(&mut *tx, &set).await?;
            Some(set)
        } else {
            fold_backlog(&mut *tx).await?
        };
        tx.commit().await?;
        Ok(folded)
    })
}

/// Folds events that need no stored view to fold: in one step when the views lacked only
/// them, the usual case; else as part of the backlog.
async fn settle_own(
    tx: &mut impl Settle,
    positions: (i64, i64),
    decoded: &[(Recorded, LoggedEvent)],
    want: Option<&str>,
) -> Result<Option<ViewSet>, AppendError> {
    // Nothing to load: this reads no view.
    let mut set = fold::fold(tx, decoded).await?;
    let rows = views::rows(&set).map_err(anyhow::Error::from)?;
    let want = want.filter(|id| !set.users.contains_key(*id));
    match tx.settle(CHECKPOINT, positions, &rows, want).await? {
        Settled::Behind => fold_backlog(tx).await,
        Settled::Folded(wanted) => {
            if let (Some(id), Some(text)) = (want, wanted) {
                set.users.insert(id.to_string(), views::decode(&text)?);
            }
            Ok(Some(set))
        }
    }
}

/// Folds everything the views lack, if that is at most one projector batch, and returns the
/// views folded; none when it is more, or when the backlog cannot be decoded (the projector's
/// runs report that).
async fn fold_backlog(tx: &mut impl Conn) -> Result<Option<ViewSet>, AppendError> {
    let checkpoint = tx.lock_checkpoint(CHECKPOINT).await?;
    let records = tx.read_after(checkpoint, BATCH).await?;
    let Some(last) = records.last().map(|r| r.position) else {
        return Ok(None);
    };
    if records.len() as i64 >= BATCH {
        return Ok(None);
    }
    // Only a decoding fault is left to the projector: a failed statement has aborted the
    // transaction on PostgreSQL, so it must fail the command rather than seem to commit.
    let decoded = match fold::decode_all(&records) {
        Ok(decoded) => decoded,
        Err(error) => {
            tracing::error!(%error, "folding the views' backlog failed");
            return Ok(None);
        }
    };
    let set = fold::fold(tx, &decoded).await?;
    fold::write(tx, &set).await?;
    let advanced = tx.advance_checkpoint(CHECKPOINT, checkpoint, last).await?;
    Ok(advanced.then_some(set))
}
