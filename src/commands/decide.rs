//! One decision of an aggregate and its commit: the events it decides as log rows, their
//! append with the views, and what this process keeps of the new state.

use std::sync::atomic::Ordering;

use clara_aggregates::Refusals;
use clara_projections::ViewSet;
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, EventEnvelope};

use super::{load, CommandBus, CommitError, Loaded, Meta};
use crate::storage::append::{append, AppendError};
use crate::storage::StoreError;

/// What one aggregate decided, ready to append.
pub(super) struct Decision<A: Aggregate> {
    pub(super) id: String,
    /// The sequence the decision was made on.
    pub(super) sequence: usize,
    /// The state with the events applied.
    pub(super) aggregate: A,
    pub(super) events: Vec<A::Event>,
    pub(super) rows: Vec<SerializedEvent>,
    pub(super) snapshot: Option<(i64, String)>,
}

impl<A> CommandBus<A>
where
    A: Refusals<Services = ()> + Clone,
    A::Command: Clone,
{
    /// What the aggregate decides on `command`, as the state after it and its log rows.
    pub(super) async fn decision(
        &self,
        loaded: Loaded<A>,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Decision<A>, CommitError<A::Error>> {
        let Loaded(mut context) = loaded;
        let sequence = context.current_sequence;
        let sink = EventSink::default();
        context
            .aggregate
            .handle(command, &(), &sink)
            .await
            .map_err(CommitError::Domain)?;
        let events = sink.collect().await;
        let id = context.aggregate_id;
        let rows = serialize::<A>(&id, sequence, &events, meta)?;
        Ok(Decision {
            snapshot: load::due(&context.aggregate, sequence, events.len()),
            aggregate: context.aggregate,
            id,
            sequence,
            events,
            rows,
        })
    }

    /// Appends `rows` (of this aggregate, and of another committed with it) with the views
    /// folded; returns the views as committed.
    pub(super) async fn write<E>(
        &self,
        rows: &[SerializedEvent],
    ) -> Result<ViewSet, CommitError<E>> {
        let inner = &self.inner;
        let views = append(&inner.db, inner.projector.keyring(), rows)
            .await
            .map_err(|e| match e {
                AppendError::Conflict => {
                    inner.lost_races.fetch_add(1, Ordering::Relaxed);
                    CommitError::Conflict
                }
                AppendError::Store(e) => CommitError::Store(e),
            })?;
        crate::meter::events_appended(rows.len());
        Ok(views)
    }

    /// Keeps a committed decision's state for the next command, and saves a snapshot if due.
    pub(super) async fn settle(&self, decision: Decision<A>) -> Vec<A::Event> {
        let inner = &self.inner;
        let Decision {
            id,
            sequence,
            aggregate,
            events,
            snapshot,
            ..
        } = decision;
        inner.recent.keep(&id, sequence + events.len(), aggregate);
        load::save::<A>(&inner.db, &id, snapshot).await;
        events
    }
}

/// The log rows of `events`, numbered on from `sequence`, each carrying `meta`.
fn serialize<A: Aggregate>(
    id: &str,
    sequence: usize,
    events: &[A::Event],
    meta: &Meta,
) -> Result<Vec<SerializedEvent>, StoreError> {
    let metadata = meta.to_map();
    events
        .iter()
        .zip(sequence + 1..)
        .map(|(event, sequence)| {
            let envelope = EventEnvelope::<A> {
                aggregate_id: id.to_string(),
                sequence,
                payload: event.clone(),
                metadata: metadata.clone(),
            };
            SerializedEvent::try_from(&envelope).map_err(|e| StoreError::Internal(e.into()))
        })
        .collect()
}
