//! Two aggregates' decisions committed in one transaction: an analysis's charge with the
//! task it pays for, a task's failure with its refund. Either both are in the log or
//! neither is, whatever crashes in between.

use clara_aggregates::Refusals;
use clara_projections::ViewSet;
use cqrs_es::Aggregate;

use super::{retry_on_conflict, CommandBus, CommitError, Meta};

/// What a command committed (with whatever its decision called for on another aggregate).
pub struct CommittedPair<A: Aggregate> {
    pub first: Vec<A::Event>,
    pub views: Option<ViewSet>,
}

impl<A> CommandBus<A>
where
    A: Refusals<Services = ()> + Clone,
    A::Command: Clone,
{
    /// Decides `command` on aggregate `id`; if it decided anything, `follow` names the
    /// command its outcome calls for on an aggregate of `other`, and both commit together.
    /// A lost race on either is retried from the start.
    pub async fn execute_with<B, E>(
        &self,
        id: &str,
        command: A::Command,
        other: &CommandBus<B>,
        follow: impl Fn(&A, &[A::Event]) -> Option<(String, B::Command)>,
        meta: &Meta,
    ) -> Result<CommittedPair<A>, CommitError<E>>
    where
        B: Refusals<Services = ()> + Clone,
        B::Command: Clone,
        E: From<A::Error> + From<B::Error>,
    {
        let result =
            retry_on_conflict(|| self.attempt_with(id, command.clone(), other, &follow, meta));
        super::counted::<A, _, _>(result.await)
    }

    async fn attempt_with<B, E>(
        &self,
        id: &str,
        command: A::Command,
        other: &CommandBus<B>,
        follow: &impl Fn(&A, &[A::Event]) -> Option<(String, B::Command)>,
        meta: &Meta,
    ) -> Result<CommittedPair<A>, CommitError<E>>
    where
        B: Refusals<Services = ()> + Clone,
        B::Command: Clone,
        E: From<A::Error> + From<B::Error>,
    {
        let _turn = self.inner.turns.take(id).await;
        let loaded = self.load(id).await?;
        let first = self
            .decision(loaded, command, meta)
            .await
            .map_err(|e| e.map_domain(E::from))?;
        if first.events.is_empty() {
            let (first, views) = (Vec::new(), None);
            return Ok(CommittedPair { first, views });
        }
        let Some((other_id, then)) = follow(&first.aggregate, &first.events) else {
            let views = Some(self.write(&first.rows).await?);
            let first = self.settle(first).await;
            return Ok(CommittedPair { first, views });
        };
        // The second aggregate's turn too, so that this process's own commands on it cannot
        // make the pair lose its race over and over. Pairs are always taken in one order per
        // kind (a wallet and the task it pays for, a task and its wallet), and a task's turn
        // is never awaited before the task exists, so no two pairs wait on each other.
        let _other_turn = other.inner.turns.take(&other_id).await;
        let loaded = other.load(&other_id).await?;
        let second = other
            .decision(loaded, then, meta)
            .await
            .map_err(|e| e.map_domain(E::from))?;
        let rows = [first.rows.as_slice(), second.rows.as_slice()].concat();
        let views = Some(self.write(&rows).await?);
        other.settle(second).await;
        let first = self.settle(first).await;
        Ok(CommittedPair { first, views })
    }
}

impl<E> CommitError<E> {
    /// The same failure with the aggregate's refusal turned into `F`.
    pub fn map_domain<F>(self, into: impl FnOnce(E) -> F) -> CommitError<F> {
        match self {
            CommitError::Domain(e) => CommitError::Domain(into(e)),
            CommitError::Conflict => CommitError::Conflict,
            CommitError::Store(e) => CommitError::Store(e),
        }
    }
}
