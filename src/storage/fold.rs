//! Where views are folded: load the stored views a batch of events changes (their rows
//! locked), apply the events (pure code in `clara_projections`), write the rows back, inside
//! the caller's transaction. A command folds its own events as it appends them, so its
//! caller reads its own write; the projector folds the events their writer left (written by
//! hand or by an older release), and moves its checkpoint past them.

use clara_projections::{LoggedEvent, Recorded, ViewSet};

use super::conn::{Conn, LogRecord, Reading};
use super::cursor::Cursor;
use super::sealing::Opener;
use crate::privacy::keys::Keyring;

/// The checkpoint of the views: every event before it that its writer left has been folded.
pub const CHECKPOINT: &str = "views";
/// Events folded per transaction at most.
pub const BATCH: i64 = 500;

/// What a fold did: of one batch here, of a whole run in the projector.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FoldReport {
    pub events: u64,
    pub views_written: u64,
    /// The last place folded.
    pub cursor: Cursor,
}

/// Folds the events `tx` has just appended (their payloads as decided, not as sealed) into
/// the views; returns the views as written. Commits that change one view fold one after the
/// other (each locks the rows it loads), and the views two aggregates share take disjoint
/// fields from each, so the order in which two concurrent commits fold does not matter.
pub async fn fold_own(tx: &mut impl Conn, own: &[LogRecord]) -> anyhow::Result<ViewSet> {
    fold(tx, &decode_all(own)?).await
}

/// Folds up to `limit` of the events past the checkpoint that their writer left, in `tx`,
/// and moves the checkpoint past them. An event no code can decode stops the fold.
pub async fn fold_left(
    tx: &mut impl Conn,
    keyring: &Keyring,
    limit: i64,
) -> anyhow::Result<FoldReport> {
    let checkpoint = tx.lock_checkpoint(CHECKPOINT).await?;
    let mut records = tx
        .read_after(checkpoint, limit, Reading::LeftToFold)
        .await?;
    let Some(last) = records.last().map(LogRecord::cursor) else {
        return Ok(FoldReport {
            cursor: checkpoint,
            ..FoldReport::default()
        });
    };
    let payloads = records.iter_mut().map(|record| &mut record.payload);
    Opener::new(keyring).open_payloads(tx, payloads).await?;
    let views = fold(tx, &decode_all(&records)?).await?;
    // The checkpoint row is locked by this transaction, so this moves it.
    tx.move_checkpoint(CHECKPOINT, last).await?;
    Ok(FoldReport {
        events: records.len() as u64,
        views_written: views.len() as u64,
        cursor: last,
    })
}

/// Decoded events folded into the stored views they change, which are read through `tx`;
/// the changed views are written back.
async fn fold(tx: &mut impl Conn, decoded: &[(Recorded, LoggedEvent)]) -> anyhow::Result<ViewSet> {
    let mut set = ViewSet::default();
    // Rows are locked in one order, so two folds never deadlock on each other.
    let mut load = ViewSet::to_load(decoded);
    load.sort();
    for (table, id) in load {
        if let Some(data) = tx.view_data(table, &id).await? {
            set.insert_stored(table, &id, &data)?;
        }
    }
    for (at, event) in decoded {
        set.apply(at, event);
    }
    write(tx, &set).await?;
    Ok(set)
}

/// Rows written per upsert statement at most (five parameters each).
const UPSERT_CHUNK: usize = 500;

/// Writes every view of `set` through `tx`, after deleting those of the accounts it forgot.
pub async fn write(tx: &mut impl Conn, set: &ViewSet) -> anyhow::Result<()> {
    for owner in &set.forgotten {
        tx.forget_owner(owner, &ViewSet::TABLES).await?;
    }
    let rows = set.rows()?;
    let mut pieces: Vec<(&str, &[clara_projections::Row])> = Vec::new();
    for (table, rows) in &rows {
        pieces.extend(rows.chunks(UPSERT_CHUNK).map(|chunk| (*table, chunk)));
    }
    // Statements of at most UPSERT_CHUNK rows, each piece whole.
    let mut start = 0;
    while start < pieces.len() {
        let mut end = start;
        let mut count = 0;
        while end < pieces.len() && (end == start || count + pieces[end].1.len() <= UPSERT_CHUNK) {
            count += pieces[end].1.len();
            end += 1;
        }
        tx.upsert(&pieces[start..end]).await?;
        start = end;
    }
    Ok(())
}

/// Decodes a batch of log records; an event no code can read stops the fold rather than
/// being skipped, since skipping it would leave every view after it silently wrong.
pub fn decode_all(records: &[LogRecord]) -> anyhow::Result<Vec<(Recorded, LoggedEvent)>> {
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let event = LoggedEvent::decode(
            &record.aggregate_type,
            &record.event_type,
            &record.event_version,
            record.payload.clone(),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "event at position {} ({} {}) cannot be decoded: {e}",
                record.position,
                record.aggregate_type,
                record.event_type
            )
        })?;
        if let Some(event) = event {
            let at = Recorded {
                position: record.position,
                aggregate_id: record.aggregate_id.clone(),
                recorded_at_ms: record.recorded_at_ms,
            };
            out.push((at, event));
        }
    }
    Ok(out)
}
