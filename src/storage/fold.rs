//! Where views are folded: the one routine that brings the views up to the log, inside the
//! caller's transaction — load the stored views a batch of events changes, apply the events
//! (pure code in `clara_projections`), write the rows back and move the checkpoint past them.
//! A command runs it as it appends, so its caller reads its own write; the projector runs it
//! to catch up with whatever commands left.

use clara_projections::{LoggedEvent, Recorded, ViewSet};

use super::conn::{Conn, LogRecord};
use super::sealing::Opener;
use crate::privacy::keys::Keyring;

/// The checkpoint of the views.
pub const CHECKPOINT: &str = "views";
/// Events folded per transaction at most.
pub const BATCH: i64 = 500;

/// What one fold did.
pub struct Folded {
    /// Every view the fold wrote, as written.
    pub views: ViewSet,
    pub events: usize,
    /// The log position the views now reflect.
    pub position: i64,
}

/// Folds the events the views lack, at most `limit` of them, in `tx`. `own` are events `tx`
/// has just appended: when the views lacked only those, they are folded without being read
/// back. With `own` given, `None` means the views lack more than `limit` events, or events
/// no code can decode: the commit leaves them to the projector, which reports them.
pub async fn fold_pending(
    tx: &mut impl Conn,
    keyring: &Keyring,
    own: &[LogRecord],
    limit: i64,
) -> anyhow::Result<Option<Folded>> {
    if let (Some(first), Some(last)) = (own.first(), own.last()) {
        if tx
            .advance_to_own(CHECKPOINT, first.position, last.position)
            .await?
        {
            let views = fold(tx, &decode_all(own)?).await?;
            let (events, position) = (own.len(), last.position);
            return Ok(Some(Folded {
                views,
                events,
                position,
            }));
        }
    }
    let checkpoint = tx.lock_checkpoint(CHECKPOINT).await?;
    let mut records = tx.read_after(checkpoint, limit).await?;
    let payloads = records.iter_mut().map(|record| &mut record.payload);
    Opener::new(keyring).open_payloads(tx, payloads).await?;
    let Some(last) = records.last().map(|r| r.position) else {
        let views = ViewSet::default();
        return Ok(Some(Folded {
            views,
            events: 0,
            position: checkpoint,
        }));
    };
    let decoded = match decode_all(&records) {
        Ok(decoded) => decoded,
        Err(error) if !own.is_empty() => {
            tracing::error!(%error, "folding the views' backlog failed");
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    if !own.is_empty() && records.len() as i64 >= limit {
        return Ok(None);
    }
    let views = fold(tx, &decoded).await?;
    // The checkpoint row is locked by this transaction, so this moves it.
    tx.advance_checkpoint(CHECKPOINT, checkpoint, last).await?;
    Ok(Some(Folded {
        views,
        events: records.len(),
        position: last,
    }))
}

/// Decoded events folded into the stored views they change, which are read through `tx`;
/// the changed views are written back.
async fn fold(tx: &mut impl Conn, decoded: &[(Recorded, LoggedEvent)]) -> anyhow::Result<ViewSet> {
    let mut set = ViewSet::default();
    for (table, id) in ViewSet::to_load(decoded) {
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
