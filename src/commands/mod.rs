//! Executing commands: load the aggregate from the log, let it decide, commit its events,
//! retry a lost optimistic-concurrency race a bounded number of times, then bring the views
//! up to date so the caller reads its own write.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, EventStore};

mod load;

use crate::error::ApiError;
use crate::storage::{AnyEventRepository, Db, Projector};

/// How many times a command that lost a concurrency race is tried in all before 409.
pub const MAX_ATTEMPTS: u32 = 8;

/// Who asked for a change and through which request: stored as event metadata, never as
/// event fields.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub request_id: Option<String>,
    pub actor: Option<String>,
    pub ip: Option<String>,
}

impl Meta {
    fn to_map(&self) -> HashMap<String, String> {
        [
            ("request_id", &self.request_id),
            ("actor", &self.actor),
            ("ip", &self.ip),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect()
    }
}

type Store<A> = PersistedEventStore<AnyEventRepository, A>;

/// Commands of one aggregate type. Cheap to clone.
pub struct CommandBus<A: Aggregate> {
    inner: Arc<Inner<A>>,
}

struct Inner<A: Aggregate> {
    store: Store<A>,
    repo: AnyEventRepository,
    db: Db,
    projector: Arc<Projector>,
}

impl<A: Aggregate> Clone for CommandBus<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<A> CommandBus<A>
where
    A: Aggregate<Services = ()>,
    A::Command: Clone,
    A::Error: Into<ApiError>,
{
    pub fn new(db: &Db, projector: Arc<Projector>) -> Self {
        // The plain event store: cqrs-es 0.5's snapshot and aggregate stores re-apply events
        // that `handle` already applied.
        let store = Store::<A>::new_event_store(AnyEventRepository::new(db));
        let inner = Inner {
            store,
            repo: AnyEventRepository::new(db),
            db: db.clone(),
            projector,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The aggregate's current state: its snapshot and the events after it.
    pub async fn load(&self, id: &str) -> Result<A, ApiError> {
        Ok(load::context::<A>(&self.inner.db, &self.inner.repo, id)
            .await?
            .aggregate)
    }

    /// One attempt, without retry or projection: load, decide, commit. Returns the events
    /// committed, so a caller can tell a recorded failure (say, a wrong code) from a success.
    pub async fn execute_once(
        &self,
        id: &str,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Vec<A::Event>, ApiError> {
        let inner = &self.inner;
        let mut context = load::context::<A>(&inner.db, &inner.repo, id).await?;
        let sequence = context.current_sequence;
        let sink = EventSink::default();
        context
            .aggregate
            .handle(command, &(), &sink)
            .await
            .map_err(|e| ApiError::from(AggregateError::UserError(e)))?;
        let events = sink.collect().await;
        if !events.is_empty() {
            let snapshot = load::due(&context.aggregate, sequence, events.len());
            inner
                .store
                .commit(events.clone(), context, meta.to_map())
                .await
                .map_err(|e: AggregateError<A::Error>| ApiError::from(e))?;
            load::save::<A>(&inner.db, id, snapshot).await;
        }
        Ok(events)
    }

    /// Executes `command`, retrying lost races, then folds the new events into the views.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Vec<A::Event>, ApiError> {
        let events = retry_on_conflict(|| self.execute_once(id, command.clone(), meta)).await?;
        if !events.is_empty() {
            self.inner.projector.catch_up_after_write().await?;
        }
        Ok(events)
    }
}

/// Runs `attempt` until it does not end in a concurrency conflict, at most [`MAX_ATTEMPTS`]
/// times, with a short growing, jittered pause between tries.
pub async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(ApiError::Conflict) if tries < MAX_ATTEMPTS => {
                let jitter = rand::random::<u64>() % 5;
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 2 + jitter)).await;
            }
            other => return other,
        }
    }
}
