//! Where a command is committed: load the aggregate, let it decide, append its events with
//! the views they change folded in the same transaction (so the caller reads its own write),
//! and retry a lost optimistic-concurrency race a bounded number of times. The outcome is
//! typed: the events, the refusal they record if any, and the views folded; or a
//! [`CommitError`]. Within one process, commands on one aggregate take turns, so such races
//! are left to other processes.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clara_aggregates::Refusals;
use clara_projections::ViewSet;
use cqrs_es::persist::EventStoreAggregateContext;
use cqrs_es::Aggregate;

mod decide;
mod load;
mod recent;
mod together;
mod turns;

use crate::storage::{Db, EventReader, Projector, StoreError};
use recent::Recent;
pub use together::CommittedPair;
use turns::Turns;

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

/// What a command committed.
pub struct Committed<A: Refusals> {
    pub events: Vec<A::Event>,
    /// The refusal the events record: committed so that it counts, yet refusing the caller.
    pub refusal: Option<A::Refusal>,
    /// The views the command's own transaction folded, as committed; none when it decided
    /// no event.
    pub views: Option<ViewSet>,
}

/// Why a command did not commit.
#[derive(Debug, thiserror::Error)]
pub enum CommitError<E> {
    /// The aggregate refused it.
    #[error(transparent)]
    Domain(E),
    /// Other commands on the aggregate kept committing first, through every retry.
    #[error("the aggregate was modified concurrently")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Commands of one aggregate type. Cheap to clone.
pub struct CommandBus<A: Aggregate> {
    inner: Arc<Inner<A>>,
}

struct Inner<A: Aggregate> {
    repo: EventReader,
    db: Db,
    projector: Arc<Projector>,
    turns: Turns,
    recent: Recent<A>,
    /// Appends that found another command had committed on the aggregate first.
    lost_races: AtomicU64,
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
    A: Refusals<Services = ()> + Clone,
    A::Command: Clone,
{
    pub fn new(db: &Db, projector: Arc<Projector>) -> Self {
        let inner = Inner {
            repo: EventReader::new(db),
            db: db.clone(),
            projector,
            turns: Turns::default(),
            recent: Recent::default(),
            lost_races: AtomicU64::new(0),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The aggregate's current state: as last seen here, or its snapshot, and the events
    /// after that.
    pub async fn load(&self, id: &str) -> Result<Loaded<A>, StoreError> {
        let inner = &self.inner;
        let kept = inner.recent.get(id);
        let keyring = inner.projector.keyring();
        let context = load::context::<A>(&inner.db, &inner.repo, keyring, id, kept).await?;
        Ok(self.keep(context))
    }

    /// Aggregate `id` as it is before its first event, for an id this process has just made:
    /// deciding on it reads nothing. Should the id have events after all, the append fails
    /// and the retry (see [`CommandBus::execute_on`]) loads them.
    pub fn fresh(&self, id: &str) -> Loaded<A> {
        Loaded(EventStoreAggregateContext {
            aggregate_id: id.to_string(),
            aggregate: A::default(),
            current_sequence: 0,
            current_snapshot: None,
        })
    }

    /// Keeps a state just read from the log for the next load, and hands it out.
    fn keep(&self, context: EventStoreAggregateContext<A>) -> Loaded<A> {
        // An aggregate without events is not kept: probes for unknown ids would fill the cache.
        if context.current_sequence > 0 {
            self.inner.recent.keep(
                &context.aggregate_id,
                context.current_sequence,
                context.aggregate.clone(),
            );
        }
        Loaded(context)
    }

    /// How many appends so far lost a race to another command on the same aggregate and
    /// had to be decided again; each costs a wasted transaction and a reload.
    pub fn lost_races(&self) -> u64 {
        self.inner.lost_races.load(Ordering::Relaxed)
    }

    /// One attempt, without retry: load, decide, commit with the views.
    pub async fn execute_once(
        &self,
        id: &str,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Committed<A>, CommitError<A::Error>> {
        counted::<A, _, _>(self.attempt(id, None, command, meta).await)
    }

    /// [`CommandBus::execute`] on an aggregate the caller has just loaded: the first attempt
    /// decides on that state, a retry after a lost race loads it afresh.
    pub async fn execute_on(
        &self,
        loaded: Loaded<A>,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Committed<A>, CommitError<A::Error>> {
        let id = loaded.0.aggregate_id.clone();
        let mut first = Some(loaded);
        let result = retry_on_conflict(|| self.attempt(&id, first.take(), command.clone(), meta));
        counted::<A, _, _>(result.await)
    }

    /// One attempt in this process's turn for the aggregate, on the state given or a fresh
    /// load of it.
    async fn attempt(
        &self,
        id: &str,
        preloaded: Option<Loaded<A>>,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Committed<A>, CommitError<A::Error>> {
        let _turn = self.inner.turns.take(id).await;
        let loaded = match preloaded {
            Some(loaded) => self.newest(loaded),
            None => self.load(id).await?,
        };
        self.decide(loaded, command, meta).await
    }

    /// `loaded`, or the state kept here if a command of this process has committed on the
    /// aggregate since: deciding on the older one would lose the race for certain. The kept
    /// state is not re-read, since appending checks it: had another process committed
    /// after it, the append fails and the retry loads afresh.
    fn newest(&self, loaded: Loaded<A>) -> Loaded<A> {
        let Loaded(context) = &loaded;
        let recent = &self.inner.recent;
        match recent.newer_than(&context.aggregate_id, context.current_sequence) {
            Some((sequence, aggregate)) => Loaded(EventStoreAggregateContext {
                aggregate_id: context.aggregate_id.clone(),
                aggregate,
                current_sequence: sequence,
                current_snapshot: None,
            }),
            None => loaded,
        }
    }

    /// Lets the aggregate decide `command` and commits what it decided with the views.
    async fn decide(
        &self,
        loaded: Loaded<A>,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Committed<A>, CommitError<A::Error>> {
        let decision = self.decision(loaded, command, meta).await?;
        let refusal = A::refusal(&decision.events);
        if decision.events.is_empty() {
            let (events, views) = (Vec::new(), None);
            return Ok(Committed {
                events,
                refusal,
                views,
            });
        }
        let views = Some(self.write(&decision.rows).await?);
        let events = self.settle(decision).await;
        Ok(Committed {
            events,
            refusal,
            views,
        })
    }

    /// Executes `command`, retrying lost races; the views include its events on return.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        meta: &Meta,
    ) -> Result<Committed<A>, CommitError<A::Error>> {
        let result = retry_on_conflict(|| self.attempt(id, None, command.clone(), meta)).await;
        counted::<A, _, _>(result)
    }
}

/// An aggregate as loaded for a command, with the sequence of its last event; reads as the
/// aggregate itself.
pub struct Loaded<A: Aggregate>(EventStoreAggregateContext<A>);

impl<A: Aggregate> Deref for Loaded<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.0.aggregate
    }
}

/// Runs `attempt` until it does not end in a concurrency conflict, at most [`MAX_ATTEMPTS`]
/// times, with a short growing, jittered pause between tries.
pub async fn retry_on_conflict<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Conflicting,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(error) if error.is_conflict() && tries < MAX_ATTEMPTS => {
                let jitter = rand::random::<u64>() % 5;
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 2 + jitter)).await;
            }
            other => return other,
        }
    }
}

/// Counts a command's end in `clara_commands_total`, by aggregate type and outcome.
fn counted<A: Aggregate, T, E>(result: Result<T, CommitError<E>>) -> Result<T, CommitError<E>> {
    let outcome = match &result {
        Ok(_) => "committed",
        Err(CommitError::Domain(_)) => "refused",
        Err(CommitError::Conflict) => "conflict",
        Err(CommitError::Store(_)) => "failed",
    };
    crate::meter::command(A::TYPE, outcome);
    result
}

/// Errors that can mean a lost race, worth another try.
pub trait Conflicting {
    fn is_conflict(&self) -> bool;
}

impl<E> Conflicting for CommitError<E> {
    fn is_conflict(&self) -> bool {
        matches!(self, CommitError::Conflict)
    }
}
