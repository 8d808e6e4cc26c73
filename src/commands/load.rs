//! Loading an aggregate for a command: a state kept in memory or else its latest snapshot,
//! plus the events after it; and saving a new snapshot every [`SNAPSHOT_EVERY`] events, once
//! they have committed.

use clara_aggregates::upcast::upcast;
use cqrs_es::persist::EventStoreAggregateContext;
use cqrs_es::Aggregate;
use serde_json::Value;

use crate::privacy::keys::Keyring;
use crate::storage::sealing::{fields_of, open_in, Opener};
use crate::storage::StoreError;
use crate::storage::{snapshots, Db, EventReader};

/// Events between snapshots: loading never replays more than this many.
pub const SNAPSHOT_EVERY: usize = 100;

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("{e}"))
}

/// The aggregate `id` as of its last committed event, with that event's sequence: from `kept`
/// (a state this process saw, with its sequence) or else the latest snapshot, plus the events
/// after it.
pub async fn context<A: Aggregate>(
    db: &Db,
    repo: &EventReader,
    keyring: &Keyring,
    id: &str,
    kept: Option<(usize, A)>,
) -> Result<EventStoreAggregateContext<A>, StoreError> {
    let start = match kept {
        Some(kept) => kept,
        None => snapshot::<A>(db, id).await?,
    };
    let mut events = repo
        .events_after::<A>(id, start.0)
        .await
        .map_err(internal)?;
    let fields = fields_of(events.iter_mut().map(|e| &mut e.payload));
    open_in(db, &mut Opener::new(keyring), fields).await?;
    let current = events.into_iter().map(|e| {
        let payload = upcast(A::TYPE, &e.event_type, &e.event_version, e.payload);
        (e.sequence, payload)
    });
    after(id, start, current)
}

/// Aggregate `id` from `start` (a state and the sequence of its last event) with the
/// `(sequence, payload)` of the events after it applied.
fn after<A: Aggregate>(
    id: &str,
    (mut sequence, mut aggregate): (usize, A),
    events: impl IntoIterator<Item = (usize, Value)>,
) -> Result<EventStoreAggregateContext<A>, StoreError> {
    for (number, payload) in events {
        aggregate.apply(serde_json::from_value(payload).map_err(internal)?);
        sequence = number;
    }
    Ok(EventStoreAggregateContext {
        aggregate_id: id.to_string(),
        aggregate,
        current_sequence: sequence,
        current_snapshot: None,
    })
}

/// The latest snapshot of `id` and its sequence, or the empty aggregate.
async fn snapshot<A: Aggregate>(db: &Db, id: &str) -> Result<(usize, A), StoreError> {
    let Some((sequence, payload)) = snapshots::load(db, A::TYPE, id).await? else {
        return Ok((0, A::default()));
    };
    match serde_json::from_str::<A>(&payload) {
        Ok(state) => Ok((usize::try_from(sequence).map_err(internal)?, state)),
        Err(error) => {
            // An old shape of the state: rebuild from the log; the next save replaces it.
            tracing::warn!(aggregate = A::TYPE, %error, "ignoring a snapshot that no longer parses");
            Ok((0, A::default()))
        }
    }
}

/// The snapshot to save once `added` events after `sequence` commit, if they cross a
/// [`SNAPSHOT_EVERY`] boundary: the new sequence and the state serialised.
pub fn due<A: Aggregate>(state: &A, sequence: usize, added: usize) -> Option<(i64, String)> {
    let next = sequence + added;
    if next / SNAPSHOT_EVERY == sequence / SNAPSHOT_EVERY {
        return None;
    }
    Some((
        i64::try_from(next).ok()?,
        serde_json::to_string(state).ok()?,
    ))
}

/// Saves a due snapshot; a failure only costs speed, so it is logged, not returned.
pub async fn save<A: Aggregate>(db: &Db, id: &str, snapshot: Option<(i64, String)>) {
    if let Some((sequence, payload)) = snapshot {
        if let Err(error) = snapshots::save(db, A::TYPE, id, sequence, &payload).await {
            tracing::warn!(aggregate = A::TYPE, %error, "saving a snapshot failed");
        }
    }
}
